import type { RedisClient } from './client.js';
import type { SeatSlots } from '../../callbacks/ports.js';

/**
 * "At most N seats on callbacks at once" across every instance: a sorted set of running callback tasks scored by
 * lease end. Acquiring drops expired leases (a dead instance's slots) and adds ours only while fewer than N remain,
 * in one script, so two instances never both take the last slot.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

export class RedisCallbackSlots implements SeatSlots {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    hotlineId: string,
  ) {
    this.key = `{${hotlineId}}:callback-seats`;
  }

  async acquire(taskId: string, max: number, nowMs: number, untilMs: number): Promise<boolean> {
    const r = await this.redis.eval(ACQUIRE, 1, this.key, taskId, String(nowMs), String(untilMs), String(max));
    return r === 1;
  }

  async renew(taskId: string, untilMs: number): Promise<void> {
    // XX: a slot already freed (released, or expired and taken) is not brought back.
    await this.redis.zadd(this.key, 'XX', untilMs, taskId);
  }

  async release(taskId: string): Promise<void> {
    await this.redis.zrem(this.key, taskId);
  }

  /** Live slots at `nowMs` (tests, metrics). */
  async held(nowMs: number): Promise<number> {
    return this.redis.zcount(this.key, `(${nowMs}`, '+inf');
  }
}
