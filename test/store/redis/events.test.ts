import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { agent, queue } from '../../acd/fixtures.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';

describe('RedisAcdStore event stream', () => {
  it('holds one entry per operation, read back flattened in order, and tick() trims it', async () => {
    const redis = await testRedis();
    const store = new RedisAcdStore({ redis, hotlineId: uniqueHotline('events'), clock: new VirtualClock(1_700_000_000_000), leaseMs: 60_000, eventsMaxLen: 50 });
    try {
      await store.configure({ skills: [], queues: [queue('q')] });
      await store.loginAgent(agent('a'));
      const first = await store.readEvents();
      expect(first.map((r) => r.event.type)).toEqual(['agent-state']);
      for (let i = 0; i < 150; i++) await (i % 2 === 0 ? store.setReady('a') : store.setNotReady('a', 'break'));
      const all = await store.readEvents('0', 1000);
      expect(all).toHaveLength(151);
      // Resuming after an id returns only later entries.
      expect(await store.readEvents(all[149]!.id)).toEqual([all[150]]);
      const len = (): Promise<number> => redis.xlen(`${store.prefix}events`);
      expect(await len()).toBe(151);
      await store.tick();
      // Approximate trimming drops whole stream nodes, so somewhat more than 50 may stay; never all of them.
      expect(await len()).toBeLessThan(151);
      expect(await len()).toBeGreaterThanOrEqual(50);
    } finally {
      await store.destroy();
      await redis.quit();
    }
  });
});
