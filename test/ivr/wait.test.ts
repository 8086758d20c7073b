import { describe, expect, it } from 'vitest';
import { runScriptedCall } from '../../src/ivr/testing/harness.js';
import { erlangWaitEstimator } from '../../src/ivr/wait.js';
import { hotlineFlow, shanghai } from './support.js';

describe('expected wait from the Erlang engine', () => {
  it('k·AHT/n without patience, shorter with impatient callers ahead, unknown with nobody logged in', async () => {
    const est = erlangWaitEstimator({ agentsServing: (q) => (q === 'general' ? 3 : 0), ahtSeconds: () => 180 });
    expect(await est.expectedWaitSec('general', 2)).toBeCloseTo(120, 9);
    expect(await est.expectedWaitSec('complaints', 2)).toBeUndefined();
    const impatient = erlangWaitEstimator({ agentsServing: () => 3, ahtSeconds: () => 180, patienceSeconds: () => 60 });
    // Position 2: 1/(3/180) + 1/(3/180 + 1/60) = 60 + 30.
    expect(await impatient.expectedWaitSec('general', 2)).toBeCloseTo(90, 9);
    const fresh = erlangWaitEstimator({ agentsServing: () => Promise.resolve(2), ahtSeconds: () => Promise.resolve(undefined) });
    expect(await fresh.expectedWaitSec('general', 1)).toBeCloseTo(90, 9);
  });

  it('announces the Erlang wait in whole minutes, rounded up', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: shanghai('2026-01-05', '10:00'),
      script: [{ press: '1' }],
      queue: { position: 4, answerAfterMs: 20_000, talkMs: 10_000 },
      wait: erlangWaitEstimator({ agentsServing: () => 5, ahtSeconds: () => 100 }),
    });
    // 4 · 100 / 5 = 80 s → 2 minutes; below the 120 s callback-offer threshold, so no offer.
    expect(call.channel.said().slice(2, 7)).toEqual(['please-hold', 'position', '#4', 'expected-wait', '#2']);
    expect(call.channel.said()).not.toContain('callback-offer');
  });
});
