#!/usr/bin/env bash
# Regenerates every prompt's audio from its text: prompts/prompts.yaml (standard scripts) and the `prompts:` of
# each flow in ivr-flows/. Output: <language>/<id>.wav, 8 kHz 16-bit mono PCM WAV, which FreeSWITCH plays as is.
# Needs espeak-ng (speaks Mandarin with -v cmn) and sox:  apt-get install -y espeak-ng sox
# Usage: ivr-flows/prompts/regenerate.sh [prompt-id...]   (no ids: all prompts)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
flows="$(dirname "$here")"
root="$(dirname "$flows")"
command -v espeak-ng >/dev/null || { echo "regenerate.sh: espeak-ng is not installed" >&2; exit 1; }
command -v sox >/dev/null || { echo "regenerate.sh: sox is not installed" >&2; exit 1; }

# id <TAB> language <TAB> text, one line each; a prompt id defined twice with different text is an error.
list="$(cd "$root" && FLOWS="$flows" node --input-type=module -e '
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
const dir = process.env.FLOWS;
const files = [join(dir, "prompts", "prompts.yaml"), ...readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "queues.yaml").map((f) => join(dir, f))];
const seen = new Map();
for (const f of files) {
  const doc = parse(readFileSync(f, "utf8")) ?? {};
  for (const [id, text] of Object.entries(doc.prompts ?? {})) {
    for (const [lang, t] of Object.entries(text)) {
      const key = id + "\t" + lang;
      if (seen.has(key) && seen.get(key) !== t) { console.error(`${f}: prompt ${id} (${lang}) differs from its other definition`); process.exit(1); }
      seen.set(key, t);
    }
  }
}
for (const [key, t] of seen) console.log(key + "\t" + t.replace(/\s+/g, " "));
')"

want=" $* "
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
count=0
while IFS=$'\t' read -r id lang text; do
  [[ $# -gt 0 && "$want" != *" $id "* ]] && continue
  mkdir -p "$here/$lang"
  out="$here/$lang/$id.wav"
  if [[ "$id" == "hold-music" ]]; then
    # Music on hold: a soft two-note chime with rests, 12 s, looped by the media server.
    sox -n -r 8000 -b 16 -c 1 "$tmp/a.wav" synth 0.6 sine 523.25 sine 659.25 remix 1,2 fade q 0.05 0.6 0.3 vol 0.25
    sox -n -r 8000 -b 16 -c 1 "$tmp/b.wav" synth 0.6 sine 392 sine 493.88 remix 1,2 fade q 0.05 0.6 0.3 vol 0.25
    sox -n -r 8000 -b 16 -c 1 "$tmp/r.wav" trim 0 2.4
    sox "$tmp/a.wav" "$tmp/b.wav" "$tmp/r.wav" "$tmp/b.wav" "$tmp/a.wav" "$tmp/r.wav" "$tmp/a.wav" "$tmp/b.wav" "$tmp/r.wav" "$tmp/r.wav" "$out"
  else
    case "$lang" in
      zh) voice="cmn"; speed=150 ;;
      en) voice="en-us"; speed=155 ;;
      *) echo "regenerate.sh: no voice for language $lang" >&2; exit 1 ;;
    esac
    espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw.wav" -- "$text"
    sox "$tmp/raw.wav" -r 8000 -b 16 -c 1 "$out" norm -3
  fi
  count=$((count + 1))
done <<< "$list"
echo "regenerate.sh: wrote $count prompt file(s) under $here" >&2
