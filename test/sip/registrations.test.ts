import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistrationStore } from '../../src/sip/registrations.js';

// Real Redis, isolated by a hotline id (hash tag) unique to this file and run.
const HOTLINE = `t-sipreg-${process.pid}-${Date.now()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = await redis.keys(`{${HOTLINE}}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

function reg(agentId: string, contact: string, expiresAt: number) {
  return { agentId, contact, source: '10.0.0.5:5062', transport: 'udp', userAgent: 'Linphone', expiresAt };
}

describe('RegistrationStore (Redis)', () => {
  it('keeps contacts until they expire, newest expiry first, visible to any instance', async () => {
    const a = new RegistrationStore(redis, HOTLINE);
    const other = new RegistrationStore(redis, HOTLINE);
    const now = 1_000_000;
    await a.register(reg('1001', 'sip:1001@10.0.0.5:5062', now + 60_000), now);
    await a.register(reg('1001', 'sip:1001@10.0.0.6:5060', now + 120_000), now);
    const seen = await other.contacts('1001', now + 1000);
    expect(seen.map((r) => r.contact)).toEqual(['sip:1001@10.0.0.6:5060', 'sip:1001@10.0.0.5:5062']);
    expect(seen[1]!.source).toBe('10.0.0.5:5062');
    expect((await other.contacts('1001', now + 60_000)).map((r) => r.contact)).toEqual(['sip:1001@10.0.0.6:5060']);
    expect(await other.contacts('1001', now + 120_000)).toEqual([]);
    expect(await other.contacts('nobody', now)).toEqual([]);
  });

  it('re-registering refreshes one contact; unregister removes it; the keys carry a TTL', async () => {
    const s = new RegistrationStore(redis, HOTLINE);
    const now = Date.now();
    await s.register(reg('1002', 'sip:1002@h', now + 30_000), now);
    await s.register(reg('1002', 'sip:1002@h', now + 90_000), now);
    expect((await s.contacts('1002', now)).map((r) => r.expiresAt)).toEqual([now + 90_000]);
    const ttl = await redis.pttl(`{${HOTLINE}}:reg:1002`);
    expect(ttl).toBeGreaterThan(90_000);
    expect(ttl).toBeLessThanOrEqual(150_000);
    await s.unregister('1002', 'sip:1002@h');
    expect(await s.contacts('1002', now)).toEqual([]);
    await s.register(reg('1002', 'sip:1002@x', now + 30_000), now);
    await s.unregisterAll('1002');
    expect(await s.contacts('1002', now)).toEqual([]);
  });

  it('liveUntil: the longest live contact expiry, 0 once every contact expired or un-registered', async () => {
    const s = new RegistrationStore(redis, HOTLINE);
    const now = 5_000_000;
    expect(await s.liveUntil('1003', now)).toBe(0);
    await s.register(reg('1003', 'sip:1003@a', now + 30_000), now);
    await s.register(reg('1003', 'sip:1003@b', now + 90_000), now);
    expect(await s.liveUntil('1003', now)).toBe(now + 90_000);
    expect(await s.liveUntil('1003', now + 90_000)).toBe(0);
    await s.unregister('1003', 'sip:1003@b');
    expect(await s.liveUntil('1003', now)).toBe(now + 30_000);
    await s.unregisterAll('1003');
    expect(await s.liveUntil('1003', now)).toBe(0);
  });
});
