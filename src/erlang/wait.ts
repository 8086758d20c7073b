import { digamma } from './special.js';
import { requirePositive, requireWholeAtLeastOne } from './validate.js';

export interface PositionWaitInput {
  /** Place in the queue: 1 = next to be answered. */
  readonly position: number;
  /** Agents serving this queue (whole or fractional, > 0). */
  readonly agents: number;
  readonly ahtSeconds: number;
  /** Mean patience of the callers ahead; when given, callers ahead may hang up, which shortens the wait. */
  readonly patienceSeconds?: number;
}

/**
 * Expected time until a caller at position k is answered, for queue announcements: all n agents are busy, a
 * line moves on each completion (rate n/AHT, exponential handle times) and, with patience, each of the i
 * callers still ahead also leaves at rate 1/patience. The caller needs k departures from the head:
 *   E[W_k] = Σ_{i=0..k−1} 1 / (n/AHT + i/patience)  = (patience)·[ψ(c + k) − ψ(c)],  c = n·patience/AHT,
 * and k·AHT/n without patience. (The caller's own patience is left out: the announcement says how long until
 * they are answered if they stay.)
 */
export function expectedWaitAtPosition(input: PositionWaitInput): number {
  const k = requireWholeAtLeastOne('position', input.position);
  const n = requirePositive('agents', input.agents);
  const aht = requirePositive('ahtSeconds', input.ahtSeconds);
  if (input.patienceSeconds === undefined) return (k * aht) / n;
  const patience = requirePositive('patienceSeconds', input.patienceSeconds);
  const serviceRate = n / aht;
  const abandonRate = 1 / patience;
  if (k <= 64) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += 1 / (serviceRate + i * abandonRate);
    return sum;
  }
  const c = serviceRate * patience;
  return patience * (digamma(c + k) - digamma(c));
}
