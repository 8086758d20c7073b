import type { Redis, RedisOptions } from 'ioredis';
import { createRedisClient, type RedisClient, type RedisTarget } from './client.js';

/**
 * A connection for the ACD. No offline queue and no per-request retry: during an outage an operation fails at once
 * with STORE_UNAVAILABLE (the call session keeps the caller and retries) instead of hanging in a client-side queue.
 * ioredis keeps reconnecting in the background, and the queues in Redis are intact when it returns.
 * A command lost with a dropped connection may or may not have run: retrying enqueue is safe (CALL_DUPLICATE
 * then means the call is in). A URL is one server; a target may name a cluster or Sentinels (client.ts).
 */
export async function connectAcdRedis(url: string, extra?: RedisOptions): Promise<Redis>;
export async function connectAcdRedis(target: RedisTarget, extra?: RedisOptions): Promise<RedisClient>;
export async function connectAcdRedis(target: string | RedisTarget, extra: RedisOptions = {}): Promise<RedisClient> {
  const redis = createRedisClient(typeof target === 'string' ? { kind: 'single', url: target } : target, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (n) => Math.min(50 * n, 1000),
    ...extra,
  });
  // Without a listener ioredis prints every reconnect error; the operations report them as STORE_UNAVAILABLE.
  redis.on('error', noop);
  try {
    await redis.connect();
  } catch (e) {
    // A cluster client keeps retrying its seed nodes after connect() gave up: stop it, or the process stays up.
    redis.disconnect();
    throw e;
  }
  return redis;
}

function noop(): void {}
