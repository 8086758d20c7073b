import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erlangB, erlangC, erlangCMetrics } from '../../src/erlang/index.js';
import { inverseErlangB, inverseErlangBReal, inverseErlangBSum } from '../../src/erlang/erlang-b.js';
import { erlangCFromScratch } from '../../src/erlang/baseline.js';

/** The plain recursion from B(0) = 1, the textbook reference the faster paths must reproduce. */
function erlangBRecursion(n: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

describe('Erlang B', () => {
  // Standard Erlang B table (traffic in Erlangs carried at a given grade of service): e.g. the tables printed
  // in ITU-T "Teletraffic Engineering Handbook" (2005), Table of Erlang's B-formula, and erlang.com's Erlang B
  // tables: 1 % blocking at 5, 10, 20, 50, 100 trunks → 1.361, 4.461, 12.031, 37.901, 84.064 Erlangs; 2 % at 10 → 5.084.
  it.each([
    [5, 1.361, 0.01],
    [10, 4.461, 0.01],
    [20, 12.031, 0.01],
    [50, 37.901, 0.01],
    [100, 84.064, 0.01],
    [10, 5.084, 0.02],
  ])('table: %i trunks at %f Erlangs block %f', (n, a, grade) => {
    // Tables print traffic to 3 decimals, which moves B by under 0.1 % of its value.
    expect(Math.abs(erlangB(n, a) / grade - 1)).toBeLessThan(1e-3);
  });

  it('the truncated sum start equals the recursion from 0 (relative 1e-13) across loads', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 5000, noNaN: true }), fc.double({ min: -3, max: 9.5, noNaN: true }), (a, beta) => {
        const n = Math.max(0, Math.floor(a + beta * Math.sqrt(a)));
        const expected = 1 / erlangBRecursion(n, a);
        const got = n === 0 ? 1 : inverseErlangBSum(n, a);
        expect(Math.abs(got - expected) / expected).toBeLessThan(1e-13);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('inverseErlangB beyond A + 10√A recurses on from the start and reaches B = 0 without NaN', () => {
    const deep = erlangBRecursion(400, 100);
    expect(deep).toBeGreaterThan(0);
    expect(Math.abs(1 / inverseErlangB(400, 100) - deep) / deep).toBeLessThan(1e-13);
    expect(Math.abs(1 / inverseErlangB(150, 100) - erlangBRecursion(150, 100)) / erlangBRecursion(150, 100)).toBeLessThan(1e-13);
    expect(inverseErlangB(100_000, 0.01)).toBe(Number.POSITIVE_INFINITY);
    expect(erlangB(100_000, 0.01)).toBe(0);
  });

  it('continuous extension: equals the recursion at whole n, obeys it at real x, decreases smoothly', () => {
    for (const a of [0.3, 2, 7.5, 40]) {
      for (const n of [1, 3, 10, 41]) {
        expect(erlangB(n, a)).toBeCloseTo(erlangBRecursion(n, a), 14);
        // limit from below and above the whole number
        expect(Math.abs(erlangB(n - 1e-9, a) - erlangB(n, a))).toBeLessThan(1e-7);
        expect(Math.abs(erlangB(n + 1e-9, a) - erlangB(n, a))).toBeLessThan(1e-7);
      }
      for (const x of [1.25, 1.5, 6.75, 20.1]) {
        const bPrev = erlangB(x - 1, a);
        expect(erlangB(x, a)).toBeCloseTo((a * bPrev) / (x + a * bPrev), 14);
        expect(erlangB(x + 0.1, a)).toBeLessThan(erlangB(x, a));
      }
    }
  });

  it.each([
    [0.5, 3], // continued-fraction start
    [1.25, 0.3], // series start (small load)
    [2.75, 10],
    [70.5, 60], // closed form Q/D above 64 agents
  ])('continuous B(%f, %f) equals 1 / (A ∫ e^{−At} (1+t)^x dt), Jagerman 1974, by quadrature', (x, a) => {
    // Midpoint rule in log space; the integrand is smooth and decays like e^{−(A−x)t} once t > x/A − 1.
    const h = 1e-4;
    let integral = 0;
    const end = Math.max(60, 80 / a);
    for (let t = h / 2; t < end; t += h) integral += Math.exp(-a * t + x * Math.log1p(t)) * h;
    expect(Math.abs(erlangB(x, a) * a * integral - 1)).toBeLessThan(1e-7);
  });

  it('large fractional counts in closed form Q(x+1,A)/D(x,A) join the whole-number values and obey the recursion', () => {
    for (const a of [60, 100, 1e4, 1e6]) {
      for (const beta of [-2, 0, 1, 4]) {
        const n = Math.max(70, Math.floor(a + beta * Math.sqrt(a)));
        const whole = inverseErlangB(n, a);
        expect(Math.abs(inverseErlangBReal(n + 1e-12, a) / whole - 1)).toBeLessThan(1e-9);
        const x = n + 0.37;
        const bPrev = erlangB(x - 1, a);
        expect(Math.abs(erlangB(x, a) / ((a * bPrev) / (x + a * bPrev)) - 1)).toBeLessThan(1e-11);
      }
    }
  });

  it('extreme loads give finite values in [0, 1], never NaN', () => {
    for (const a of [0.01, 0.5, 1, 100, 1e4, 1e5, 1e6]) {
      for (const n of [1, Math.floor(a) + 1, Math.ceil(a + 3 * Math.sqrt(a)), Math.ceil(2 * a) + 5]) {
        for (const v of [erlangB(n, a), erlangC(n, a)]) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
    }
    // Square-root staffing at 10^6 Erlangs with β = 1: B ≈ φ(β)/(√A Φ(β)) (Halfin & Whitt 1981) ≈ 2.87e-4.
    expect(erlangB(1e6 + 1000, 1e6)).toBeCloseTo(0.24197 / (1000 * 0.84134), 5);
  });
});

describe('Erlang C', () => {
  it('the B→C relation C = B / (1 − ρ(1 − B)) and the from-scratch reference agree', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 2000, noNaN: true }), fc.integer({ min: 1, max: 60 }), (a, extra) => {
        const n = Math.floor(a) + extra;
        const b = erlangB(n, a);
        const rho = a / n;
        expect(erlangC(n, a)).toBeCloseTo(b / (1 - rho * (1 - b)), 12);
        expect(erlangC(n, a)).toBeCloseTo(erlangCFromScratch(n, a), 12);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('Westbay-style worked example: 360 calls / 30 min, AHT 240 s, 55 agents, 15 s target', () => {
    // Inputs of the Erlang-C walk-through on erlang.com (Westbay Engineers, "The Erlang-C formula"). Expected
    // values computed here from the closed forms by hand: A = 360·240/1800 = 48, occupancy 48/55.
    const m = erlangCMetrics({ trafficErlangs: 48, ahtSeconds: 240, agents: 55, targetTimeSeconds: 15 });
    expect(m.occupancy).toBeCloseTo(0.8727, 4);
    expect(m.probWait).toBeCloseTo(0.2387, 4);
    expect(m.asaSeconds!).toBeCloseTo((m.probWait * 240) / 7, 10);
    expect(m.serviceLevel).toBeCloseTo(1 - m.probWait * Math.exp((-7 * 15) / 240), 12);
  });

  it('service level rises and ASA falls with every added agent (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 3000, noNaN: true }), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 120, noNaN: true }), (a, extra, t) => {
        const n = Math.floor(a) + extra;
        const m1 = erlangCMetrics({ trafficErlangs: a, ahtSeconds: 180, agents: n, targetTimeSeconds: t });
        const m2 = erlangCMetrics({ trafficErlangs: a, ahtSeconds: 180, agents: n + 1, targetTimeSeconds: t });
        expect(m2.serviceLevel).toBeGreaterThanOrEqual(m1.serviceLevel);
        expect(m2.asaSeconds!).toBeLessThan(m1.asaSeconds!);
        expect(m2.probWait).toBeLessThan(m1.probWait);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('agents ≤ traffic: every caller waits and ASA is unbounded (null), not Infinity', () => {
    const m = erlangCMetrics({ trafficErlangs: 10, ahtSeconds: 180, agents: 9.5 });
    expect(m).toMatchObject({ probWait: 1, serviceLevel: 0, asaSeconds: null, occupancy: 1 });
    expect(erlangCMetrics({ trafficErlangs: 0, ahtSeconds: 180, agents: 1 })).toMatchObject({ probWait: 0, serviceLevel: 1, asaSeconds: 0 });
  });

  it('rejects nonsense inputs, naming the field', () => {
    expect(() => erlangCMetrics({ trafficErlangs: -1, ahtSeconds: 180, agents: 3 })).toThrow(/trafficErlangs/);
    expect(() => erlangCMetrics({ trafficErlangs: 1, ahtSeconds: 0, agents: 3 })).toThrow(/ahtSeconds/);
    expect(() => erlangCMetrics({ trafficErlangs: 1, ahtSeconds: 180, agents: Number.NaN })).toThrow(/agents/);
    expect(() => erlangCMetrics({ trafficErlangs: 1, ahtSeconds: 180, agents: 2, targetTimeSeconds: -5 })).toThrow(/targetTimeSeconds/);
    try {
      erlangCMetrics({ trafficErlangs: Number.POSITIVE_INFINITY, ahtSeconds: 180, agents: 3 });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_INPUT', field: 'trafficErlangs' });
    }
  });
});
