import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { closeHarness, run, shippedFlowsWithE2e, world, type CallOptions } from './harness.js';

// A seat answering while the queue's first announcement still plays on the caller's leg (sip-load --media-release:
// the seat answers 0.5 s after the offer). detach() releases that leg; FreeSWITCH reports the broken playback only
// after uuid_break has returned, so the play ends with the leg (MEDIA_GONE), which the IVR channel would read as the
// caller hanging up: every such call ended 20 ms after the release.
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
