#!/usr/bin/env bash
# Regenerates every prompt's audio from its text: prompts/prompts.yaml (standard scripts) and the `prompts:` of
# each flow in ivr-flows/. Output: <language>/<id>.wav, 8 kHz 16-bit mono PCM WAV, which FreeSWITCH plays as is.
# The number pieces of prompts/numbers.yaml go to <language>/num/<id>.wav, trimmed of leading and trailing
# silence so that a number said piece by piece sounds like one phrase.
# Needs espeak-ng and sox:  apt-get install -y espeak-ng sox
# Mandarin uses the voice cmn-latn-pinyin: espeak-ng's cmn dictionary turns characters into pinyin, and the
# plain `cmn` voice would then read that pinyin as English. Latin runs inside a Mandarin prompt ("For English,
# press 0.") are spoken with the English voice and joined in.
# Usage: ivr-flows/prompts/regenerate.sh [prompt-id...]   (no ids: all prompts)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
flows="$(dirname "$here")"
root="$(dirname "$flows")"
command -v espeak-ng >/dev/null || { echo "regenerate.sh: espeak-ng is not installed" >&2; exit 1; }
command -v sox >/dev/null || { echo "regenerate.sh: sox is not installed" >&2; exit 1; }

cd "$root"
FLOWS="$flows" OUT="$here" node --input-type=module - "$@" <<'JS'
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";

const dir = process.env.FLOWS;
const out = process.env.OUT;
const only = new Set(process.argv.slice(2));
const VOICES = { zh: ["cmn-latn-pinyin", "150"], en: ["en-us", "155"] };

// Every prompt text, from the catalogue and the flows; one id must not carry two different texts.
const files = [join(dir, "prompts", "prompts.yaml"), ...readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "queues.yaml").map((f) => join(dir, f))];
// Keys are <language>/<id> for prompts and <language>/num/<id> for number pieces, which is also their file path.
const texts = new Map();
for (const [f, sub] of [...files.map((f) => [f, ""]), [join(dir, "prompts", "numbers.yaml"), "num/"]]) {
  const doc = parse(readFileSync(f, "utf8")) ?? {};
  for (const [id, byLang] of Object.entries(doc.prompts ?? {})) {
    for (const [lang, text] of Object.entries(byLang)) {
      const key = `${lang}/${sub}${id}`;
      if (texts.has(key) && texts.get(key) !== text) throw new Error(`${f}: prompt ${id} (${lang}) differs from its other definition`);
      texts.set(key, text);
    }
  }
}

const tmp = mkdtempSync(join(tmpdir(), "prompts-"));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });

/** Split a Mandarin text into Mandarin and Latin (English) runs. */
function runs(lang, text) {
  if (lang !== "zh") return [[lang, text]];
  const parts = [];
  const re = /[A-Za-z][A-Za-z0-9 ,.'!?-]*[A-Za-z0-9.!?]/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parts.push(["zh", text.slice(last, m.index)]);
    parts.push(["en", m[0]]);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(["zh", text.slice(last)]);
  return parts.filter(([, t]) => /[\p{L}\p{N}]/u.test(t));
}

function holdMusic(file) {
  // A soft two-note chime with rests, about 10 s, looped by the media server.
  const a = join(tmp, "a.wav"), b = join(tmp, "b.wav"), r = join(tmp, "r.wav");
  run("sox", ["-n", "-r", "8000", "-b", "16", "-c", "1", a, "synth", "0.6", "sine", "523.25", "sine", "659.25", "remix", "1,2", "fade", "q", "0.05", "0.6", "0.3", "vol", "0.25"]);
  run("sox", ["-n", "-r", "8000", "-b", "16", "-c", "1", b, "synth", "0.6", "sine", "392", "sine", "493.88", "remix", "1,2", "fade", "q", "0.05", "0.6", "0.3", "vol", "0.25"]);
  run("sox", ["-n", "-r", "8000", "-b", "16", "-c", "1", r, "trim", "0", "2.4"]);
  run("sox", [a, b, r, b, a, r, a, b, r, r, file]);
}

let count = 0;
for (const [key, text] of texts) {
  const lang = key.split("/")[0];
  const id = key.split("/").at(-1);
  const piece = key.split("/").length > 2;
  if (only.size > 0 && !only.has(id)) continue;
  if (!VOICES[lang]) throw new Error(`no voice for language ${lang}`);
  const file = join(out, `${key}.wav`);
  mkdirSync(dirname(file), { recursive: true });
  if (id === "hold-music") holdMusic(file);
  else {
    const pieces = runs(lang, text).map(([l, t], i) => {
      const raw = join(tmp, `part${i}.wav`);
      const [voice, speed] = VOICES[l];
      run("espeak-ng", ["-v", voice, "-s", speed, "-w", raw, "--", t.trim()]);
      const norm = join(tmp, `norm${i}.wav`);
      // Headroom before resampling, or espeak's peaks clip on the way to 8 kHz.
      run("sox", [raw, "-r", "8000", "-b", "16", "-c", "1", norm, "gain", "-6"]);
      return norm;
    });
    if (piece) run("sox", [...pieces, file, "norm", "-3", "silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse", "pad", "0.02", "0.06"]);
    else run("sox", [...pieces, file, "norm", "-3"]);
  }
  count++;
}
rmSync(tmp, { recursive: true, force: true });
console.error(`regenerate.sh: wrote ${count} prompt file(s) under ${out}`);
JS
