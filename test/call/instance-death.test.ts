import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { STORE_KINDS, closeHarness, run, shippedFlowsWithE2e, world } from './harness.js';

/**
 * An instance dies with calls in every part of their life (issue 12, several instances): another instance's reaper
 * must give each a record and hand back its dialogs to hang up, whether the call was in the ACD or not. HotlineCalls
 * tracks each call from its answer (AcdStore.trackCall), adds the seat's dialog when a seat answers, and drops the
 * entry once the record is written. Run on both stores; the records themselves are written from the reaper's
 * events (test/store/pg/acd-events.test.ts).
 */
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('instance-death-'));
});

afterAll(async () => {
  await remove?.();
  await closeHarness();
});

const LEASE_MS = 3000;

describe.each(STORE_KINDS)('a dead instance on the %s store', (kind) => {
  it('its call with an agent and its call in the menus each get a removed event, and come back with their dialogs', async () => {
    const w = await world(kind, flows, ['a'], { a: { answerAfterMs: 1000 } }, { leaseMs: LEASE_MS, events: true });
    try {
      w.call({ callId: 'talking', callerNumber: '13900000001', presses: ['1', '2'] });
      await run(w, 5000); // menu prompt, 1 pressed, the seat rings 1 s and answers
      expect(await w.state('a')).toBe('on-call');
      const menus = w.call({ callId: 'menus', callerNumber: '13900000002', presses: [] });
      await run(w, 500); // the menu prompt is playing
      expect(menus.leg.events[0]).toBe('collect:please-hold');
      await w.kill();
      await run(w, LEASE_MS + 2000);

      const reap = w.reaped.find((r) => r.deadInstances.includes('i1'));
      expect(reap?.orphans.map((o) => [o.callId, o.callerNumber, o.flowId, o.dialogs])).toEqual([
        ['talking', '13900000001', 'e2e', [{ callId: 'caller-dialog-talking' }, { callId: 'seat-dialog-a' }]],
        ['menus', '13900000002', 'e2e', [{ callId: 'caller-dialog-menus' }]],
      ]);
      const removed = (await w.acdEvents()).filter((e) => e.type === 'removed-dead-instance');
      expect(removed.map((e) => e.type === 'removed-dead-instance' && [e.callId, e.stage, e.agentId, e.callerNumber, e.flowId])).toEqual([
        ['talking', 'on-call', 'a', '13900000001', 'e2e'],
        ['menus', 'ivr', undefined, '13900000002', 'e2e'],
      ]);
      // The agent is free within the lease (plus the reaper's second), not stuck on-call.
      expect(await w.state('a')).toBe('ready');
      // Reaped once: later reaps hand nothing back.
      await run(w, 3000);
      expect(w.reaped.filter((r) => r.orphans.length > 0)).toHaveLength(1);
    } finally {
      await w.stop();
    }
  });

  it('a call that ended before the death is not tracked any more: nothing comes back for it', async () => {
    const w = await world(kind, flows, ['a'], { a: { answerAfterMs: 1000 } }, { leaseMs: LEASE_MS, events: true });
    try {
      const c = w.call({ callId: 'finished', presses: ['1', '2'] });
      await run(w, 5000);
      w.seats.answered.get('a')!.agentBye();
      await run(w, 30_000);
      await c.done;
      expect(w.records.records.map((r) => r.callId)).toEqual(['finished']);
      await w.kill();
      await run(w, LEASE_MS + 2000);
      expect(w.reaped.find((r) => r.deadInstances.includes('i1'))).toMatchObject({ orphans: [] });
      expect((await w.acdEvents()).filter((e) => e.type === 'removed-dead-instance')).toEqual([]);
    } finally {
      await w.stop();
    }
  });
});
