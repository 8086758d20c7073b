import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erlangAMetrics, erlangCMetrics, requiredAgents } from '../../src/erlang/index.js';

/**
 * Independent reference: the M/M/n+M birth–death chain summed state by state (Palm 1943). In queue state n+j
 * an arrival has j callers ahead; it is answered with probability nμ/(nμ+(j+1)θ) after an expected
 * Σ_{i=1..j+1} 1/(nμ+iθ) (competing exponentials). Moderate sizes only — it is the textbook, not the engine.
 */
function birthDeath(a: number, aht: number, n: number, patience: number): { probWait: number; abandonRate: number; asa: number } {
  const mu = 1 / aht;
  const theta = 1 / patience;
  const lambda = a * mu;
  const pi: number[] = [1];
  for (let k = 1; k <= n; k++) pi.push((pi[k - 1]! * a) / k);
  const q: number[] = [pi[n]!];
  for (let j = 1; j < 200_000; j++) {
    const next = (q[j - 1]! * lambda) / (n * mu + j * theta);
    if (next < 1e-300 || (next < q[j - 1]! && next < 1e-18 * q[0]!)) break;
    q.push(next);
  }
  const total = pi.slice(0, n).reduce((s, v) => s + v, 0) + q.reduce((s, v) => s + v, 0);
  let waitMass = 0;
  let abandon = 0;
  let waitAnswered = 0;
  let h = 0;
  q.forEach((qj, j) => {
    const p = qj / total;
    const answered = (n * mu) / (n * mu + (j + 1) * theta);
    h += 1 / (n * mu + (j + 1) * theta);
    waitMass += p;
    abandon += p * (1 - answered);
    waitAnswered += p * answered * h;
  });
  return { probWait: waitMass, abandonRate: abandon, asa: waitAnswered / (1 - abandon) };
}

/** SL counting abandons as failures, by integrating the offered-wait density f(s) ∝ exp(x(1−e^{−θs}) − nμs). */
function serviceLevelByQuadrature(a: number, aht: number, n: number, patience: number, t: number, probWait: number): number {
  const mu = 1 / aht;
  const theta = 1 / patience;
  const x = (a * mu) / theta;
  const f = (s: number): number => Math.exp(x * (1 - Math.exp(-theta * s)) - n * mu * s - x);
  const simpson = (lo: number, hi: number, g: (s: number) => number, steps = 20_000): number => {
    const h = (hi - lo) / steps;
    let sum = g(lo) + g(hi);
    for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * g(lo + i * h);
    return (sum * h) / 3;
  };
  const norm = simpson(0, 50 * Math.max(aht, patience), f, 200_000);
  const within = simpson(0, t, (s) => f(s) * Math.exp(-theta * s));
  return 1 - probWait + (probWait * within) / norm;
}

const CASES: [number, number, number, number][] = [
  // [Erlangs, AHT s, agents, patience s]
  [10, 180, 11, 120],
  [10, 180, 9, 300], // fewer agents than Erlangs: stable only because callers abandon
  [100, 240, 95, 60],
  [50, 60, 60, 600],
  [3, 300, 2, 30],
  [0.2, 200, 1, 45],
];

describe('Erlang A (M/M/n+M)', () => {
  it.each(CASES)('A=%f, AHT=%f, n=%f, patience=%f agrees with the birth–death chain', (a, aht, n, patience) => {
    const m = erlangAMetrics({ trafficErlangs: a, ahtSeconds: aht, agents: n, patienceSeconds: patience, targetTimeSeconds: 20 });
    const ref = birthDeath(a, aht, n, patience);
    expect(m.probWait).toBeCloseTo(ref.probWait, 10);
    expect(m.abandonRate).toBeCloseTo(ref.abandonRate, 10);
    expect(m.asaSeconds!).toBeCloseTo(ref.asa, 10);
    expect(m.meanWaitAllSeconds).toBeCloseTo(ref.abandonRate * patience, 8);
    expect(m.occupancy).toBeCloseTo((a * (1 - ref.abandonRate)) / n, 10);
    expect(m.serviceLevel).toBeCloseTo(serviceLevelByQuadrature(a, aht, n, patience, 20, ref.probWait), 6);
    expect(m.serviceLevelExcludingAbandoned).toBeCloseTo(m.serviceLevel / (1 - m.abandonRate), 12);
  });

  it('very patient callers: Erlang A tends to Erlang C', () => {
    const c = erlangCMetrics({ trafficErlangs: 10, ahtSeconds: 180, agents: 12 });
    const a = erlangAMetrics({ trafficErlangs: 10, ahtSeconds: 180, agents: 12, patienceSeconds: 1e9 });
    // The remaining gap is the model's, not rounding: queue terms shrink by ≈ exp(−j²θ/(2nμ)), ~1e-6 here.
    expect(a.probWait).toBeCloseTo(c.probWait, 5);
    expect(a.serviceLevel).toBeCloseTo(c.serviceLevel, 5);
    expect(a.asaSeconds!).toBeCloseTo(c.asaSeconds!, 3);
    expect(a.abandonRate).toBeLessThan(1e-7);
  });

  it('service level rises and abandonment falls with every added agent (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 500, noNaN: true }), fc.double({ min: 0.3, max: 1.5, noNaN: true }), fc.double({ min: 5, max: 1000, noNaN: true }), (a, frac, patience) => {
        const n = Math.max(1, Math.round(a * frac));
        const m1 = erlangAMetrics({ trafficErlangs: a, ahtSeconds: 180, agents: n, patienceSeconds: patience });
        const m2 = erlangAMetrics({ trafficErlangs: a, ahtSeconds: 180, agents: n + 1, patienceSeconds: patience });
        expect(m2.serviceLevel).toBeGreaterThanOrEqual(m1.serviceLevel - 1e-12);
        expect(m2.abandonRate).toBeLessThanOrEqual(m1.abandonRate + 1e-12);
      }),
      { numRuns: 150, seed: 99 },
    );
  });

  it('finite values in range at extreme loads, heavy under- and over-staffing', () => {
    for (const a of [0.01, 1, 1e3, 1e5, 1e6]) {
      for (const frac of [0.3, 0.9, 1, 1.01, 1.5]) {
        for (const patience of [1, 60, 1e4]) {
          const m = erlangAMetrics({ trafficErlangs: a, ahtSeconds: 200, agents: Math.max(0.5, a * frac), patienceSeconds: patience });
          for (const v of [m.probWait, m.serviceLevel, m.abandonRate, m.occupancy, m.serviceLevelExcludingAbandoned]) {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
          expect(Number.isFinite(m.asaSeconds!)).toBe(true);
          expect(m.asaSeconds!).toBeGreaterThanOrEqual(0);
        }
      }
    }
    // Half the agents a load needs: in the long run half the callers must abandon (capacity n/A).
    const over = erlangAMetrics({ trafficErlangs: 1e6, ahtSeconds: 180, agents: 5e5, patienceSeconds: 1200 });
    expect(over.abandonRate).toBeCloseTo(0.5, 3);
  });

  it('required agents with patience: fewer than Erlang C, minimal, and meeting the target', () => {
    const input = { trafficErlangs: 100, ahtSeconds: 240, serviceLevel: 0.8, targetTimeSeconds: 20, patienceSeconds: 120 };
    const n = requiredAgents(input);
    const withoutPatience = requiredAgents({ ...input, patienceSeconds: undefined });
    expect(n).toBeLessThanOrEqual(withoutPatience);
    const at = (k: number): number => erlangAMetrics({ ...input, agents: k }).serviceLevel;
    expect(at(n)).toBeGreaterThanOrEqual(0.8);
    expect(at(n - 1)).toBeLessThan(0.8);
  });
});
