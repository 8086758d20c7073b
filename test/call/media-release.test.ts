import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { STORE_KINDS, closeHarness, run, shippedFlowsWithE2e, world, type CallOptions, type SeatScript, type World } from './harness.js';

// Media release (QueueSettings.releaseMedia), the way production runs a call: HotlineCalls → the e2e flow (menu,
// press 1 → queue general, survey after the agent) → the CallSession. When the seat answers in time the caller is
// re-INVITEd with the seat's offer and the caller's media-server leg is released; the survey after the agent brings
// the caller back on a new leg (re-anchor).
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('media-release-'));
});

afterAll(async () => {
  await remove?.();
  await closeHarness();
});

/** Menu prompt (1 s) + the caller pressing 1 (0.5 s): the call reaches the queue and the first seat rings. */
const TO_QUEUE_MS = 1500;
const RELEASE: CallOptions = { reinvitable: true, presses: ['1', '2'], policy: { releaseMedia: () => true } };

describe.each(STORE_KINDS)('media release on the %s store', (kind) => {
  const make = (agents: string[], scripts: Record<string, SeatScript>): Promise<World> => world(kind, flows, agents, scripts);

  it('a seat answering in time gets the caller directly: the caller is re-INVITEd with its offer and the media-server leg is released, the call goes on', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    await run(w, TO_QUEUE_MS + 2000 + 200);
    expect(c.peer!.reinvites).toEqual(['seat-offer-a']);
    expect(w.seats.direct.has('a')).toBe(true);
    expect(w.seats.legs).toEqual([]); // no media leg for the seat
    expect(c.leg.released).toBe(true); // the caller's FreeSWITCH leg is gone ...
    expect(c.leg.events.filter((e) => e.startsWith('bridge:'))).toEqual([]);
    expect(c.session().ended).toBe(false); // ... but the caller is not
    expect(await w.state('a')).toBe('on-call');
    await run(w, 60_000);
    expect(c.session().ended).toBe(false); // talking for a minute: nothing ends the call
    expect(c.peer!.anchored).toEqual([]); // and nothing brought the media back
    await w.stop();
  });

  it('the agent hangs up: the survey brings the caller back on a new leg, the rating is recorded once, every leg is released', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    await run(w, TO_QUEUE_MS + 2000 + 200);
    w.seats.direct.get('a')!.agentBye();
    await run(w, 0);
    expect(await w.state('a')).toBe('wrap-up');
    await run(w, 10_000);
    await c.done;
    expect(c.peer!.anchored).toHaveLength(1);
    const back = c.peer!.anchored[0]!;
    expect(back.events.some((e) => e.startsWith('collect:survey'))).toBe(true);
    expect(back.released).toBe(true);
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ disposition: 'completed', agentId: 'a', surveyRating: 2, whispered: false });
    await w.stop();
  });

  it('the caller hangs up while talking directly: one record, the agent to wrap-up, no re-anchor', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    await run(w, TO_QUEUE_MS + 2000 + 200);
    c.signal.remoteBye(); // the caller's BYE (its old media leg is already released)
    await run(w, 100);
    await c.done;
    expect(c.peer!.anchored).toEqual([]);
    expect(w.seats.direct.get('a')!.hangups).toBe(1);
    expect(await w.state('a')).toBe('wrap-up');
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ disposition: 'completed', endedBy: 'caller', agentId: 'a' });
    await w.stop();
  });

  it('a late answer keeps the media: the agent hears the whisper first and is bridged as usual', async () => {
    const w = await make(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
    const c = w.call(RELEASE);
    await run(w, TO_QUEUE_MS + 15_000 + 3000 + 200);
    expect(c.peer!.reinvites).toEqual([]);
    const seat = w.seats.answered.get('b')!;
    expect(seat.leg.events[0]).toMatch(/^play:whisper-waited/);
    await run(w, 3000);
    expect(c.leg.events).toContain(`bridge:${seat.leg.id}`);
    expect(c.leg.released).toBe(false);
    await w.stop();
  });

  it('a caller that refuses the seat\'s offer is bridged through the media server instead', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    c.peer!.refuseReinvite = true;
    await run(w, TO_QUEUE_MS + 2000 + 200);
    expect(c.peer!.reinvites).toEqual(['seat-offer-a']);
    const seat = w.seats.answered.get('a')!;
    expect(c.leg.events).toContain(`bridge:${seat.leg.id}`);
    expect(c.leg.released).toBe(false);
    expect(await w.state('a')).toBe('on-call');
    await w.stop();
  });

  it('queues that record or run the silent-call script keep the media whatever the release option says', async () => {
    for (const policy of [{ record: () => true }, { silentAuto: () => true }]) {
      const w = await make(['a'], { a: { answerAfterMs: 2000 } });
      const c = w.call({ ...RELEASE, policy: { releaseMedia: () => true, ...policy } });
      await run(w, TO_QUEUE_MS + 2000 + 200);
      expect(c.peer!.reinvites).toEqual([]);
      expect(c.leg.events.some((e) => e.startsWith('bridge:'))).toBe(true);
      await w.stop();
    }
  });

  it('a REFER while talking directly brings the caller back for the transfer prompt and the next queue\'s music', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    await run(w, TO_QUEUE_MS + 2000 + 200);
    w.seats.direct.get('a')!.refer('q:complaints');
    await run(w, 2000);
    const back = c.peer!.anchored[0]!;
    expect(back.events).toContain('play:transferring');
    expect(back.events.some((e) => e.startsWith('music:'))).toBe(true);
    expect((await w.store.call(c.callId))?.queueId).toBe('complaints');
    expect(await w.state('a')).toBe('wrap-up');
    await w.stop();
  });

  it('a re-anchor that fails ends the call with its record, and nothing is left held', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    c.peer!.refuseReanchor = true;
    await run(w, TO_QUEUE_MS + 2000 + 200);
    w.seats.direct.get('a')!.agentBye();
    await run(w, 5000);
    await c.done;
    expect(c.signal.hangups).toBe(1);
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ agentId: 'a', surveyRating: undefined });
    expect(await w.state('a')).toBe('wrap-up');
    await w.stop();
  });

  it('the caller hangs up during the re-anchor: the leg that arrives after is released, the record written once', async () => {
    const w = await make(['a'], { a: { answerAfterMs: 2000 } });
    const c = w.call(RELEASE);
    c.peer!.reanchorMs = 1000;
    await run(w, TO_QUEUE_MS + 2000 + 200);
    w.seats.direct.get('a')!.agentBye();
    await run(w, 500); // the re-INVITE is out, no answer yet
    c.signal.remoteBye();
    await run(w, 2000);
    await c.done;
    expect(c.peer!.anchored).toHaveLength(1);
    expect(c.peer!.anchored[0]!.released).toBe(true);
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ disposition: 'completed', endedBy: 'caller' });
    await w.stop();
  });
});
