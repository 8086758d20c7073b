/**
 * The method most open-source Erlang calculators use, kept as the benchmark's baseline and as an independent
 * oracle in the tests: try n = ⌊A⌋+1, ⌊A⌋+2, … and recompute Erlang C from scratch for every candidate. We
 * give it the stable recursion from B(0) = 1 (many calculators use factorials and powers and overflow near 170
 * agents), so the comparison measures the search strategy, not a numerical accident. Work: O(answer × (answer − A)).
 */
export function erlangCFromScratch(n: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b / (1 - (a / n) * (1 - b));
}

/** Required agents by recomputing each candidate (asa 0 = no ASA target, maxOcc 1 = no cap). */
export function requiredAgentsRecompute(a: number, aht: number, sl: number, tt: number, asa: number, maxOcc: number): number {
  if (a === 0) return 0;
  for (let n = Math.floor(a) + 1; ; n++) {
    if (a / n > maxOcc) continue;
    const c = erlangCFromScratch(n, a);
    const serviceLevel = 1 - c * Math.exp((-(n - a) * tt) / aht);
    const speed = (c * aht) / (n - a);
    if (serviceLevel >= sl && (asa === 0 || speed <= asa)) return n;
  }
}
