import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { closeHarness, run, shippedFlowsWithE2e, world, type CallOptions } from './harness.js';

// Repro (sip-load --media-release): a seat answering while the queue's first announcement still plays on the
// caller's leg. detach() releases that leg; the announcement's play fails MEDIA_GONE, which the IVR channel reads
// as the caller hanging up: the call ends 20 ms after the release.
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('media-release-early-'));
});
afterAll(async () => {
  await remove?.();
  await closeHarness();
});

const RELEASE: CallOptions = { reinvitable: true, presses: ['1', '2'], policy: { releaseMedia: () => true } };

describe('media release, early answer', () => {
  it('a seat answering during the queue announcement: the call goes on', async () => {
    const w = await world('memory', flows, ['a'], { a: { answerAfterMs: 200 } });
    const c = w.call(RELEASE);
    c.leg.stopLatencyMs = 20;
    await run(w, 1500 + 200 + 300);
    expect(c.peer!.reinvites).toEqual(['seat-offer-a']);
    expect(c.leg.events).toContain('gone:released');
    await run(w, 5_000);
    expect(c.session().ended).toBe(false);
    await w.stop();
  });
});
