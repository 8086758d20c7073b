import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { keyPrefix } from '../../../src/store/redis/keys.js';
import { agent, call, queue } from '../../acd/fixtures.js';
import { startClock } from '../../acd/contract.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';

// The returning-caller look-up on the real Redis: what the record holds, how long it lives, and records written
// by the earlier library version (a bare agent id).
let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe('last-agent record in Redis (returning callers)', () => {
  it('an answered call leaves "<agent>|<ended at>" for 90 days; lastServed reads it and the agent\'s state, unregistered seat = not active', async () => {
    const clock = startClock();
    const hotlineId = uniqueHotline('last');
    const store = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000 });
    try {
      await store.configure({ skills: [], queues: [queue('q')] });
      await store.renewLease('i1');
      await store.loginAgent(agent('a'));
      await store.setReady('a');
      await store.enqueue(call('c1', 'q', { callerNumber: '+8613800000000' }));
      await store.answer('c1');
      clock.advance(90_000);
      await store.endCall('c1');
      const key = `${keyPrefix(hotlineId)}last:+8613800000000`;
      expect(await redis.get(key)).toBe(`a|${clock.now()}`);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(7_776_000 - 60);
      expect(ttl).toBeLessThanOrEqual(7_776_000);
      expect(await store.lastServed('+8613800000000')).toEqual({ agentId: 'a', at: clock.now(), active: true });
      expect(await store.lastServed('+8613900000000')).toBeNull();
      // The seat's registration lapsed: still logged in, but no call can reach it.
      await store.setRegistration('a', clock.now() - 1);
      expect(await store.lastServed('+8613800000000')).toMatchObject({ agentId: 'a', active: false });
    } finally {
      await store.destroy();
    }
  });

  it('a bare agent id (written before the time was kept) still routes sticky, but is no returning caller for the IVR', async () => {
    const clock = startClock();
    const hotlineId = uniqueHotline('last-legacy');
    const store = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000 });
    try {
      await store.configure({ skills: [], queues: [queue('q', { stickyAgentSec: 30 })] });
      await store.renewLease('i1');
      await store.loginAgent(agent('a'));
      await store.loginAgent(agent('b'));
      await store.setReady('b');
      await redis.set(`${keyPrefix(hotlineId)}last:555`, 'a', 'EX', 60);
      expect(await store.lastServed('555')).toBeNull();
      expect(await store.enqueue(call('c1', 'q', { callerNumber: '555' }))).toMatchObject({ status: 'queued' });
      expect(await store.call('c1')).toMatchObject({ stickyAgent: 'a' });
    } finally {
      await store.destroy();
    }
  });
});
