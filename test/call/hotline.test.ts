import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { STORE_KINDS, closeHarness, run, shippedFlowsWithE2e, world, type StoreKind } from './harness.js';

// The shipped prompts and queues plus the e2e flow (press 1 for the general queue, survey after the agent), run
// through HotlineCalls: the IVR runner on MediaCallChannel, its queue node through the session, on virtual time.
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('hotline-call-'));
});

afterAll(async () => {
  await remove?.();
  await closeHarness();
});

async function setup(kind: StoreKind) {
  const w = await world(kind, flows, ['a'], { a: { answerAfterMs: 1000 } });
  return { w, registry: w.registry };
}

describe.each(STORE_KINDS)('HotlineCalls on the %s store: the IVR flow over the media channel and the session', (kind) => {
  it('menu 1 → queue → agent answers and hangs up → survey digit in the one call record', async () => {
    const { w, registry } = await setup(kind);
    const { leg, signal, done } = w.call({ callId: 'call-42', presses: ['1', '2'] });
    expect(registry.size).toBe(1);
    await run(w, 5000); // menu prompt (1 s) + press (0.5 s) + ring 1 s
    expect(await w.state('a')).toBe('on-call');
    expect(leg.events).toContain('bridge:seat-a');
    w.seats.answered.get('a')!.agentBye();
    await run(w, 30_000);
    await done;
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ callId: 'call-42', flowId: 'e2e', queueId: 'general', agentId: 'a', surveyRating: 2, disposition: 'completed', ringsToAnswer: 1 });
    // The flow's prompts reached the leg as files: menu, music on hold, survey, goodbye.
    expect(leg.events[0]).toBe('collect:please-hold');
    expect(leg.events).toContain('music:hold-music');
    expect(leg.events.some((e) => e.startsWith('collect:survey'))).toBe(true);
    expect(leg.events).toContain('play:goodbye');
    expect(signal.hangups).toBe(1);
    expect(['wrap-up', 'ready']).toContain(await w.state('a'));
    expect(registry.size).toBe(0);
    await w.stop();
  });

  it('the caller hangs up in the menu: one record, caller-hangup, nobody rung', async () => {
    const { w } = await setup(kind);
    const { leg, signal, done } = w.call({ callId: 'call-43' });
    await run(w, 500);
    signal.remoteBye();
    leg.hangUp();
    await run(w, 1000);
    await done;
    expect(w.records.records.map((r) => [r.callId, r.disposition, r.endedBy])).toEqual([['call-43', 'caller-hangup', 'caller']]);
    expect(w.seats.rung).toEqual([]);
    await w.stop();
  });
});
