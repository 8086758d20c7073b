/** Series of Prometheus text whose metric name starts with `prefix`, by `name{labels}` (the app's /metrics in benches). */
export function parsePromText(text: string, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const cut = line.lastIndexOf(' ');
    const v = Number(line.slice(cut + 1));
    if (cut > 0 && Number.isFinite(v)) out[line.slice(0, cut)] = v;
  }
  return out;
}
