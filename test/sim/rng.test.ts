import { describe, expect, it } from 'vitest';
import { durationSampler, lognormalParams, Rng } from '../../src/sim/rng.js';
import { batchHalfWidth, tQuantile975 } from '../../src/sim/stats.js';

const N = 200_000;

function moments(draw: () => number): { mean: number; sd: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < N; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / N;
  return { mean, sd: Math.sqrt(s2 / N - mean * mean) };
}

describe('seeded random numbers', () => {
  it('the same seed gives the same stream; nearby seeds give unrelated ones', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(xa);
    const xc = Array.from({ length: 100 }, () => c.nextUint32());
    expect(xc.filter((x, i) => x === xa[i])).toHaveLength(0);
  });

  it('uniform, exponential and log-normal have the moments asked for (within 5 standard errors)', () => {
    const r = new Rng(1);
    const u = moments(() => r.uniform());
    expect(Math.abs(u.mean - 0.5)).toBeLessThan((5 * Math.sqrt(1 / 12)) / Math.sqrt(N));
    const e = moments(() => r.exponential(180));
    expect(Math.abs(e.mean - 180)).toBeLessThan((5 * 180) / Math.sqrt(N));
    expect(Math.abs(e.sd - 180)).toBeLessThan(180 * 0.02);
    const ln = moments(durationSampler({ distribution: 'lognormal', meanSec: 170, sdSec: 120 }, r));
    expect(Math.abs(ln.mean - 170)).toBeLessThan((5 * 120) / Math.sqrt(N));
    expect(Math.abs(ln.sd - 120)).toBeLessThan(120 * 0.05);
    expect(durationSampler({ distribution: 'constant', meanSec: 7 }, r)()).toBe(7);
  });

  it('log-normal parameters reproduce mean and sd exactly', () => {
    const { mu, sigma } = lognormalParams(170, 120);
    expect(Math.exp(mu + (sigma * sigma) / 2)).toBeCloseTo(170, 9);
    expect(Math.sqrt((Math.exp(sigma * sigma) - 1) * Math.exp(2 * mu + sigma * sigma))).toBeCloseTo(120, 9);
  });

  it('uniform never returns 1 and uniformPositive never 0 (safe under log)', () => {
    const r = new Rng(5);
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = r.uniform();
      const p = r.uniformPositive();
      if (!(u >= 0 && u < 1) || !(p > 0 && p <= 1)) bad++;
    }
    expect(bad).toBe(0);
  });
});

describe('batch-means intervals', () => {
  it('t quantiles match the tables (df 4, 9, 19, 99)', () => {
    expect(tQuantile975(4)).toBeCloseTo(2.776, 1);
    expect(tQuantile975(9)).toBeCloseTo(2.262, 2);
    expect(tQuantile975(19)).toBeCloseTo(2.093, 2);
    expect(tQuantile975(99)).toBeCloseTo(1.984, 3);
  });

  it('half-width from batch ratios; null with fewer than 5 usable batches', () => {
    const num = Float64Array.from([1, 2, 3, 4, 5]);
    const den = Float64Array.from([10, 10, 10, 10, 10]);
    // ratios .1 .2 .3 .4 .5: sd = 0.1581, /√5 = 0.0707, × t(4)
    expect(batchHalfWidth(num, den)).toBeCloseTo(tQuantile975(4) * 0.070711, 5);
    expect(batchHalfWidth(num, Float64Array.from([10, 10, 10, 10, 0]))).toBeNull();
  });
});
