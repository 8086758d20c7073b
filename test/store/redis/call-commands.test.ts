import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { RedisCallCommands, type LocalHangupStatus } from '../../../src/store/redis/call-commands.js';
import { keyPrefix } from '../../../src/store/redis/keys.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';

let redis: Redis;
const started: RedisCallCommands[] = [];
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  for (const c of started) await c.stop();
  await redis.quit();
});

async function instance(hotlineId: string, instanceId: string, calls?: Record<string, LocalHangupStatus>, timeoutMs = 2500): Promise<{ cmds: RedisCallCommands; asked: string[] }> {
  const asked: string[] = [];
  const handler = calls && {
    hangup: (id: string): LocalHangupStatus => {
      asked.push(id);
      return calls[id] ?? 'unknown';
    },
  };
  const cmds = new RedisCallCommands({ redis, hotlineId, instanceId, handler, timeoutMs, log: silentLogger });
  await cmds.start();
  started.push(cmds);
  return { cmds, asked };
}

describe('RedisCallCommands: operator commands relayed to the instance carrying the call', () => {
  it('a hang-up reaches the owning instance, which answers for its own calls; a local call needs no relay', async () => {
    const h = uniqueHotline('cmd');
    const owner = await instance(h, 'app-1', { c1: 'accepted', c2: 'ended' });
    const api = await instance(h, 'api-only');
    expect(await api.cmds.hangup('c1', 'app-1')).toBe('accepted');
    expect(await api.cmds.hangup('c2', 'app-1')).toBe('ended');
    expect(await api.cmds.hangup('gone', 'app-1')).toBe('ended');
    expect(owner.asked).toEqual(['c1', 'c2', 'gone']);
    expect(await owner.cmds.hangup('c1', 'app-1')).toBe('accepted');
    expect(owner.asked).toHaveLength(4);
  });

  it('never hangs: an owner nobody listens for answers unreachable at once, a mute one times out on the limit', async () => {
    const h = uniqueHotline('cmd');
    const api = await instance(h, 'api', undefined, 300);
    let t = Date.now();
    expect(await api.cmds.hangup('c1', 'dead-instance')).toBe('unreachable');
    expect(Date.now() - t).toBeLessThan(250);
    // Something subscribed on the owner's channel that never answers (a stuck process).
    const mute = redis.duplicate();
    if (mute.status === 'wait') await mute.connect();
    await mute.subscribe(`${keyPrefix(h)}cmd:stuck`);
    try {
      t = Date.now();
      expect(await api.cmds.hangup('c1', 'stuck')).toBe('timeout');
      expect(Date.now() - t).toBeGreaterThanOrEqual(280);
      expect(Date.now() - t).toBeLessThan(2000);
    } finally {
      await mute.quit();
    }
  });

  it('an instance of another hotline never receives the command', async () => {
    const other = await instance(uniqueHotline('cmd'), 'app-1', { c1: 'accepted' });
    const api = await instance(uniqueHotline('cmd'), 'api');
    expect(await api.cmds.hangup('c1', 'app-1')).toBe('unreachable');
    expect(other.asked).toEqual([]);
  });
});
