import { describe, expect, it } from 'vitest';
import { emptySums } from '../../src/kpi/buckets.js';
import { queueAlerts, queueFigures, staffingNeed } from '../../src/kpi/figures.js';

/** Erlang C written out here from the textbook formula (not the engine's algorithm), to check the engine's use. */
function erlangCServiceLevel(n: number, a: number, aht: number, t: number): number {
  if (n <= a) return 0;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < n; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / n) * (n / (n - a));
  const pw = top / (sum + top);
  return 1 - pw * Math.exp((-(n - a) * t) / aht);
}
function textbookAgents(a: number, aht: number, sl: number, t: number): number {
  let n = Math.floor(a) + 1;
  while (erlangCServiceLevel(n, a, aht, t) < sl) n++;
  return n;
}

describe('live figures from a window of sums', () => {
  it('follows the report definitions and sizes staffing with Erlang C on the window rate and AHT = talk + wrap-up', () => {
    const sums = { ...emptySums(), off: 200, ans: 180, inT: 150, waitMs: 180 * 12_000, abn: 20, talkMs: 170 * 150_000, talkN: 170, wrapMs: 160 * 30_000, wrapN: 160, rings: 340, ringsN: 170, rona: 4, silent: 3 };
    const k = queueFigures({ queueId: 'billing', sums, target: { fraction: 0.8, seconds: 20 }, waiting: 3, longestWaitSec: 42, windowSec: 3600, occupancy: null, loggedIn: 12, ready: 2 });
    expect(k).toMatchObject({ offered: 200, answered: 180, abandoned: 20, answeredWithinTarget: 150, serviceLevel: 0.75, abandonRate: 0.1, answerRate: 0.9, asaSec: 12, attSec: 150, ahtSec: 180, avgRings: 2, rona: 4, silent: 3 });
    // 200 calls an hour at 180 s: 10 Erlangs; 80% in 20 s.
    expect(k.staffing).toEqual({ required: textbookAgents(10, 180, 0.8, 20), loggedIn: 12, ready: 2 });
    expect(k.staffing.required).toBeGreaterThan(10);
  });

  it('needs nobody for no calls, and says unknown without a handled call', () => {
    expect(staffingNeed(0, 3600, null, { fraction: 0.8, seconds: 20 })).toBe(0);
    expect(staffingNeed(5, 3600, null, { fraction: 0.8, seconds: 20 })).toBeNull();
    // A 100% target is asked as 99.99%, not refused.
    expect(staffingNeed(100, 3600, 180, { fraction: 1, seconds: 20 })).toBe(textbookAgents(5, 180, 0.9999, 20));
  });

  it('alerts on service level under target and on the longest wait over the queue limit', () => {
    const base = queueFigures({ queueId: 'q', sums: { ...emptySums(), off: 10, ans: 10, inT: 7 }, target: { fraction: 0.8, seconds: 20 }, waiting: 1, longestWaitSec: 61, windowSec: 3600, occupancy: null, loggedIn: 1, ready: 0 });
    expect(queueAlerts(base, 60).map((a) => a.kind)).toEqual(['service-level', 'longest-wait']);
    expect(queueAlerts(base, 0).map((a) => a.kind)).toEqual(['service-level']);
    const fine = { ...base, serviceLevel: 0.8, longestWaitSec: 60 };
    expect(queueAlerts(fine, 60)).toEqual([]);
  });
});
