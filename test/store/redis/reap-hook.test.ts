import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReapResult } from '../../../src/acd/store.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { startClock } from '../../acd/contract.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';

// Whoever reaps a dead instance gets its calls back once (ReapResult.orphans) and must hang them up: the API's
// store reaps too (an operator's hang-up of an orphan), so the store tells main.ts's handler of every reap that
// found a dead instance, whichever code path called it.
let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe('RedisAcdStore onReaped', () => {
  it('is told of a reap that found a dead instance (with its tracked calls), and of no other', async () => {
    const clock = startClock();
    const seen: ReapResult[] = [];
    const store = new RedisAcdStore({ redis, hotlineId: uniqueHotline('reap-hook'), clock, leaseMs: 1000, onReaped: (r) => seen.push(r) });
    try {
      await store.renewLease('live');
      await store.renewLease('dead');
      await store.trackCall({ callId: 'c1', ownerInstance: 'dead', callerNumber: '1', calledNumber: '7100', at: clock.now(), dialogs: [{ callId: 'sip-c1' }] });
      await store.reap();
      expect(seen).toEqual([]);
      clock.advance(1500);
      await store.renewLease('live');
      const r = await store.reap();
      expect(seen).toEqual([r]);
      expect(r.orphans.map((o) => o.callId)).toEqual(['c1']);
      await store.reap();
      expect(seen).toHaveLength(1);
    } finally {
      await store.destroy();
    }
  });
});
