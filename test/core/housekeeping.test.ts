import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { SystemClock, VirtualClock } from '../../src/core/clock.js';
import { Housekeeping } from '../../src/core/housekeeping.js';
import { silentLogger } from '../../src/core/logger.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
afterAll(() => redis.quit());

describe('Housekeeping', () => {
  it('runs each chore every period, one run at a time', async () => {
    const clock = new VirtualClock();
    const hk = new Housekeeping(clock, silentLogger);
    let runs = 0;
    hk.every('count', 100, () => Promise.resolve(runs++));
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    expect(runs).toBe(5);
    await hk.close();
  });

  it('a failing chore is logged and keeps its schedule', async () => {
    const clock = new VirtualClock();
    const warnings: unknown[] = [];
    const hk = new Housekeeping(clock, { ...silentLogger, warn: (o: unknown) => warnings.push(o) });
    let runs = 0;
    hk.every('fails', 50, () => {
      runs++;
      return Promise.reject(new Error('boom'));
    });
    for (let i = 0; i < 3; i++) {
      clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
    expect(runs).toBe(3);
    expect(warnings).toHaveLength(3);
    await hk.close();
  });

  it('after close() no chore touches Redis again, even one that was running during close (item 2)', async () => {
    await redis.connect();
    const clock = new SystemClock();
    const hk = new Housekeeping(clock, silentLogger);
    let calls = 0;
    let running: (() => void) | undefined;
    hk.every('ping', 5, async () => {
      calls++;
      await redis.ping();
      // Hold one run open so close() happens while it is under way: it must not re-arm when it ends.
      if (calls === 3) await new Promise<void>((r) => (running = r));
    });
    // Wait until the third run is really held (after its PING), or close() would wait on a run nobody releases.
    while (!running) await new Promise((r) => setTimeout(r, 5));
    const closing = hk.close();
    running();
    await closing;
    const atClose = calls;
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(atClose);
    expect(calls).toBe(3);
  });

  it('refuses a new chore after close()', async () => {
    const hk = new Housekeeping(new VirtualClock(), silentLogger);
    await hk.close();
    expect(() => hk.every('late', 10, () => Promise.resolve())).toThrow(/closed/);
  });
});
