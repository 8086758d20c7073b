/**
 * The same random operation sequences applied to MemoryAcdStore and RedisAcdStore must give the same result for
 * every operation (offers, positions, errors), the same state after every step and the same event log; and the
 * safety invariants must hold on Redis after every step (no agent on two calls, no call offered twice, no call lost
 * without a record, nothing reserved without a live lease). Random arrivals, hang-ups at any moment, agent state
 * changes, lease expiries (clock jumps past the lease) and instance deaths (an instance stops renewing) are all ops.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcdEvent } from '../../../src/acd/events.js';
import { MemoryAcdStore } from '../../../src/acd/memory-store.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';
import { AGENTS, applyOp, INSTANCES, normalise, opArb, SETUP, violations, type Op } from './ops-model.js';

const LEASE_MS = 15_000;
let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

async function runBoth(ops: Op[], seedAgents: boolean): Promise<void> {
  const clock = new VirtualClock(1_700_000_000_000);
  const memEvents: AcdEvent[] = [];
  const mem = new MemoryAcdStore({ clock, leaseMs: LEASE_MS, onEvent: (e) => memEvents.push(e) });
  const red = new RedisAcdStore({ redis, hotlineId: uniqueHotline('diff'), clock, leaseMs: LEASE_MS });
  const wm = { killed: new Set<string>() };
  const wr = { killed: new Set<string>() };
  const enqueued = new Set<string>();
  try {
    mem.configure(SETUP);
    await red.configure(SETUP);
    const prelude: Op[] = INSTANCES.map((_, inst) => ({ op: 'renew', inst }));
    if (seedAgents) for (let a = 0; a < AGENTS.length; a++) prelude.push({ op: 'login', a }, { op: 'setReady', a });
    const all = [...prelude, ...ops];
    for (let i = 0; i < all.length; i++) {
      const o = all[i]!;
      const rm = await applyOp(mem, clock, wm, o);
      const rr = await applyOp(red, clock, wr, o);
      expect(rr, `step ${i} ${JSON.stringify(o)}`).toEqual(rm);
      if (o.op === 'enqueue' && (rm as { status?: string } | null)?.status) enqueued.add(`c${o.c}`);
      const snap = await red.snapshot();
      expect(normalise(snap), `state after step ${i} ${JSON.stringify(o)}`).toEqual(normalise(mem.snapshot()));
      const events = (await red.readEvents()).map((r) => r.event);
      expect(violations(snap, events, clock.now(), o.op === 'reap', enqueued), `invariants after step ${i} ${JSON.stringify(o)}`).toEqual([]);
    }
    const redEvents = (await red.readEvents()).map((r) => r.event);
    expect(redEvents).toEqual(memEvents);
    for (const inst of INSTANCES) expect(await red.takeOffers(inst, 1000)).toEqual(mem.takeOffers(inst, 1000));
  } finally {
    await red.destroy();
  }
}

describe('MemoryAcdStore and RedisAcdStore agree (fast-check, real Redis)', () => {
  it('on random sequences from an empty floor', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 60 }), (ops) => runBoth(ops, false)), { numRuns: 25 });
  });

  it('on random sequences with every agent logged in and ready', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 80 }), (ops) => runBoth(ops, true)), { numRuns: 40 });
  });

  it('on a busy scripted day: overflow, sticky returns, RONA, instance death with tracked calls', async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 40; i++) {
      // Every ninth caller or so chose at the returning node: 'none' (next agent) or held for a0 / a1 for 20 s.
      // Tracked from the answer (before the IVR queues it); a few are never queued (they stay in the menus).
      ops.push({ op: 'track', c: i, inst: i % 3 });
      if (i % 8 !== 5) ops.push({ op: 'enqueue', c: i, q: i % 4, caller: i % 4, prio: i % 3, inst: i % 3, hold: i % 9 < 6 ? 0 : (i % 9) - 5 });
      if (i % 6 === 2) ops.push({ op: 'lastServed', caller: i % 4 });
      if (i % 5 === 0) ops.push({ op: 'advance', ms: 6000 }, { op: 'tick' });
      if (i % 7 === 3) ops.push({ op: 'rona', c: i - 2 });
      if (i % 4 === 1) ops.push({ op: 'requestAfterCall', a: i % 6, next: i % 9 });
      ops.push({ op: 'answer', c: i - 1 }, { op: 'endCall', c: i - 3 }, { op: 'wrapUpDone', a: i % 6 });
      // Their records written: untracked (an ended call's entry goes; some outlive their call until the reap).
      if (i % 2 === 0 && i >= 3) ops.push({ op: 'untrack', c: i - 3, inst: (i - 3) % 3 });
      if (i === 20) ops.push({ op: 'kill', inst: 2 });
      ops.push({ op: 'renew', inst: i % 3 }, { op: 'reap' });
    }
    await runBoth(ops, true);
  });
});
