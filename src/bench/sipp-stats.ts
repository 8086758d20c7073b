/**
 * SIPp's statistics files as the load bench reads them (src/bench/sip-load.ts for the steps, src/bench/overload.ts for
 * the overload checks): -trace_stat and -trace_counts are `;`-separated with a header line; durations are
 * `HH:MM:SS:microseconds`. Pure.
 */

/** One line of SIPp's -trace_stat file, by column name. */
export type SippStatRow = Readonly<Record<string, string>>;

export function parseSippStats(text: string): SippStatRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!.split(';');
  return lines.slice(1).map((line) => {
    const cells = line.split(';');
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      if (name !== '') row[name] = cells[i] ?? '';
    });
    return row;
  });
}

/** SIPp's durations are `HH:MM:SS:microseconds`. */
export function sippDurationMs(s: string | undefined): number {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec((s ?? '').trim());
  if (!m) return NaN;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]) / 1000;
}

/** The sum of one line's columns whose names match `column` (e.g. every message index's `_503_Recv` counter). */
export function sumColumns(row: SippStatRow | undefined, column: RegExp): number {
  let n = 0;
  for (const [k, v] of Object.entries(row ?? {})) if (column.test(k)) n += Number(v) || 0;
  return n;
}
