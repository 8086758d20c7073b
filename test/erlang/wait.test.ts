import { describe, expect, it } from 'vitest';
import { expectedWaitAtPosition } from '../../src/erlang/index.js';

describe('expected wait at queue position k', () => {
  it('without abandonment: k departures at rate n/AHT, i.e. k·AHT/n', () => {
    expect(expectedWaitAtPosition({ position: 1, agents: 10, ahtSeconds: 180 })).toBe(18);
    expect(expectedWaitAtPosition({ position: 5, agents: 10, ahtSeconds: 180 })).toBe(90);
    expect(expectedWaitAtPosition({ position: 3, agents: 2.5, ahtSeconds: 100 })).toBe(120);
  });

  it('with abandonment ahead: Σ 1/(n/AHT + i/patience), shorter than without', () => {
    const got = expectedWaitAtPosition({ position: 3, agents: 10, ahtSeconds: 180, patienceSeconds: 60 });
    const mu = 10 / 180;
    expect(got).toBeCloseTo(1 / mu + 1 / (mu + 1 / 60) + 1 / (mu + 2 / 60), 12);
    expect(got).toBeLessThan(54);
    // position 1 has nobody ahead to abandon
    expect(expectedWaitAtPosition({ position: 1, agents: 10, ahtSeconds: 180, patienceSeconds: 60 })).toBeCloseTo(18, 12);
  });

  it('the digamma form for long queues equals the direct sum', () => {
    for (const k of [64, 65, 200, 5000]) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += 1 / (50 / 240 + i / 90);
      expect(expectedWaitAtPosition({ position: k, agents: 50, ahtSeconds: 240, patienceSeconds: 90 })).toBeCloseTo(sum, 9);
    }
  });

  it('rejects a position that is not a whole number ≥ 1, and other nonsense, by field', () => {
    expect(() => expectedWaitAtPosition({ position: 0, agents: 1, ahtSeconds: 1 })).toThrow(/position/);
    expect(() => expectedWaitAtPosition({ position: 1.5, agents: 1, ahtSeconds: 1 })).toThrow(/position/);
    expect(() => expectedWaitAtPosition({ position: 1, agents: 0, ahtSeconds: 1 })).toThrow(/agents/);
    expect(() => expectedWaitAtPosition({ position: 1, agents: 1, ahtSeconds: 1, patienceSeconds: 0 })).toThrow(/patienceSeconds/);
  });
});
