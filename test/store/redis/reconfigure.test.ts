/**
 * Redis only: serve entries are computed in TypeScript from the queues read just before the script runs, so a
 * queues.yaml reload landing in between (another instance's configure) must not leave an agent with old queues.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import type { AcdSetup } from '../../../src/acd/store.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { agent, call, queue } from '../../acd/fixtures.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';

let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

type WithReadSetup = { readSetup: () => Promise<unknown> };

describe('RedisAcdStore: a log-in racing a reload', () => {
  it('recomputes the queues of an agent whose log-in read the queues just before another instance reloaded them', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const hotlineId = uniqueHotline('reconf');
    const a = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000 });
    const b = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000 });
    const s1: AcdSetup = { skills: ['s'], queues: [queue('q1')] };
    const s2: AcdSetup = { skills: ['s'], queues: [queue('q1'), queue('q2', { requiredSkills: [{ skill: 's', minLevel: 1 }] })] };
    try {
      await a.configure(s1);
      await a.renewLease('i1');
      const patched = a as unknown as WithReadSetup;
      const read = patched.readSetup.bind(a);
      let reloads = 0;
      patched.readSetup = async () => {
        const r = await read();
        // The reload lands between this instance's read and its log-in script.
        if (reloads++ === 0) await b.configure(s2);
        return r;
      };
      await a.loginAgent(agent('x', 's:1'));
      expect(reloads).toBe(2);
      await a.setReady('x');
      expect(await a.enqueue(call('c1', 'q2'))).toMatchObject({ status: 'offered', offer: { agentId: 'x' } });
    } finally {
      await a.destroy();
    }
  });
});
