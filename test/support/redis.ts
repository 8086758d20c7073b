import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectAcdRedis } from '../../src/store/redis/connection.js';

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A hotline id (hence hash tag and key prefix) unique to one test file run, so parallel files never collide. */
export function uniqueHotline(name: string): string {
  return `t-${name}-${process.pid}-${randomBytes(3).toString('hex')}`.slice(0, 32);
}

export async function testRedis(): Promise<Redis> {
  return connectAcdRedis(TEST_REDIS_URL);
}
