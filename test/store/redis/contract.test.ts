import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { acdStoreContract, startClock } from '../../acd/contract.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';

let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

acdStoreContract('RedisAcdStore', (leaseMs) => {
  const clock = startClock();
  const store = new RedisAcdStore({ redis, hotlineId: uniqueHotline('contract'), clock, leaseMs });
  return Promise.resolve({
    store,
    clock,
    events: async () => (await store.readEvents()).map((r) => r.event),
    close: () => store.destroy(),
  });
});
