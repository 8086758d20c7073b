/**
 * Operations issued together (same tick) reach Redis as ONE batch function call; each must still behave exactly as
 * if sent alone, in the order issued: same results, same typed errors for the refused ones (which change nothing),
 * same state and events as MemoryAcdStore applying them one by one.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AcdEvent } from '../../../src/acd/events.js';
import { MemoryAcdStore } from '../../../src/acd/memory-store.js';
import type { AcdStore } from '../../../src/acd/store.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { BATCH_FUNCTION } from '../../../src/store/redis/lua-ops.js';
import { agent, call, queue } from '../../acd/fixtures.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';
import { normalise } from './ops-model.js';

let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

/** The operations of one burst, issued without waiting; each settles to its result or its error code. */
function burst(store: AcdStore): Promise<unknown>[] {
  // A function, not a value: MemoryAcdStore throws synchronously.
  const settle = (op: () => unknown): Promise<unknown> =>
    new Promise((resolve) => resolve(op())).then(
      (v) => v ?? null,
      (e: unknown) => ({ error: (e as { code?: string }).code }),
    );
  return [
    settle(() => store.enqueue(call('c1', 'q'))),
    settle(() => store.enqueue(call('c1', 'q'))),
    settle(() => store.answer('c1')),
    settle(() => store.setNotReady('ghost', 'break')),
    settle(() => store.enqueue(call('c2', 'q'))),
    settle(() => store.requestAfterCall('a', 'lunch')),
    settle(() => store.endCall('c1')),
    settle(() => store.position('c2')),
    settle(() => store.enqueue(call('c3', 'nope'))),
    settle(() => store.setReady('b')),
  ];
}

describe('RedisAcdStore batches', () => {
  it('runs a burst of operations in one call with the results, errors, state and events of one-by-one', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const memEvents: AcdEvent[] = [];
    const mem = new MemoryAcdStore({ clock, leaseMs: 60_000, onEvent: (e) => memEvents.push(e) });
    const red = new RedisAcdStore({ redis, hotlineId: uniqueHotline('batch'), clock, leaseMs: 60_000 });
    try {
      for (const s of [mem, red] as AcdStore[]) {
        await s.configure({ skills: [], queues: [queue('q')] });
        await s.renewLease('i1');
        await s.loginAgent(agent('a'));
        await s.loginAgent(agent('b'));
        await s.setReady('a');
      }
      const spy = vi.spyOn(redis, 'fcall');
      const fromRedis = await Promise.all(burst(red));
      const batchCalls = spy.mock.calls.filter((c) => c[0] === BATCH_FUNCTION).length;
      spy.mockRestore();
      expect(batchCalls).toBe(1);
      const fromMemory = await Promise.all(burst(mem));
      expect(fromRedis).toEqual(fromMemory);
      expect(fromRedis.filter((r) => (r as { error?: string } | null)?.error)).toEqual([{ error: 'CALL_DUPLICATE' }, { error: 'AGENT_UNKNOWN' }, { error: 'UNKNOWN_QUEUE' }]);
      expect(normalise(await red.snapshot())).toEqual(normalise(mem.snapshot()));
      expect((await red.readEvents()).map((r) => r.event)).toEqual(memEvents);
      expect(await red.takeOffers('i1', 100)).toEqual(mem.takeOffers('i1', 100));
    } finally {
      await red.destroy();
    }
  });
});
