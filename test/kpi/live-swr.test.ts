import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { RedisLiveKpis } from '../../src/kpi/live.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { testRedis, uniqueHotline } from '../support/redis.js';
import { DAY_QUEUES } from './day.js';

// Stale-while-revalidate of the live KPIs (issue 10: /api/kpis/live at p99 close to an empty route): a reading past
// the reuse window is served at once while one background refresh runs; past 10x the window it is not served.
let redis: Redis;
let store: RedisAcdStore;
let hotline: string;
const T0 = Date.parse('2026-12-07T03:00:00Z');
const clock = new VirtualClock(T0);
let n = 0;

const waiting = async (live: RedisLiveKpis, fresh = false) => (await live.live(fresh ? { fresh: true } : {})).queues.find((q) => q.queueId === 'tech')!.waiting;
const enqueue = () => store.enqueue({ callId: `swr-${++n}`, queueId: 'tech', callerNumber: String(n), priority: 0, ownerInstance: 'i1' });
/** Counts the source's Redis reads (its private read(), the one place it reads): spies on our code, not on Redis. */
const countReads = (live: RedisLiveKpis) => vi.spyOn(live as unknown as { read: (now: number) => Promise<unknown> }, 'read');
const until = async (cond: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not met within 1 s');
};

beforeAll(async () => {
  redis = await testRedis();
  hotline = uniqueHotline('kpiswr');
  store = new RedisAcdStore({ redis, hotlineId: hotline, clock, leaseMs: 3_600_000 });
  await store.configure({ skills: ['billing', 'tech'], queues: DAY_QUEUES });
  await store.renewLease('i1');
});
afterAll(async () => {
  await store.destroy();
  await redis.quit();
});

describe('RedisLiveKpis stale-while-revalidate', () => {
  it('serves an expired reading at once and refreshes it in the background, one read however many callers', async () => {
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES, maxAgeMs: 1_000 });
    const before = await waiting(live);
    const reads = countReads(live);
    await enqueue();
    clock.advance(500);
    expect(await waiting(live)).toBe(before); // within the window: reused, no read
    expect(reads).toHaveBeenCalledTimes(0);
    clock.advance(600);
    // Past the window: ten callers at once all get the old reading without waiting, and start ONE refresh.
    const got = await Promise.all(Array.from({ length: 10 }, () => waiting(live)));
    expect(got).toEqual(Array(10).fill(before));
    expect(reads).toHaveBeenCalledTimes(1);
    await until(async () => (await waiting(live)) === before + 1);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('forget() marks the reading stale (served once more, refreshed), and fresh waits for a reading after it', async () => {
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES, maxAgeMs: 60_000 });
    const before = await waiting(live);
    await enqueue();
    live.forget();
    const reads = countReads(live);
    expect(await waiting(live)).toBe(before);
    expect(reads).toHaveBeenCalledTimes(1);
    // The background refresh began after forget(): fresh joins it rather than reading a second time.
    expect(await waiting(live, true)).toBe(before + 1);
    expect(reads).toHaveBeenCalledTimes(1);
    await enqueue();
    live.forget();
    expect(await waiting(live, true)).toBe(before + 2);
    expect(reads).toHaveBeenCalledTimes(2);
    // Not stale any more: reused within the window.
    expect(await waiting(live)).toBe(before + 2);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('fresh never joins a read begun before the change: it waits for it, then reads once more', async () => {
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES, maxAgeMs: 60_000 });
    const before = await waiting(live);
    live.forget();
    const reads = countReads(live);
    const early = live.live(); // starts a background read of the old figures
    await enqueue();
    live.forget();
    const fresh = await waiting(live, true);
    await early;
    expect(fresh).toBe(before + 1);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('a failed refresh is logged once and the last reading serves; past 10x the window it is refused, not served', async () => {
    const own = await testRedis();
    const warn = vi.fn();
    const logger: Logger = { ...silentLogger, warn };
    const live = new RedisLiveKpis({ redis: own, hotlineId: hotline, clock, queues: () => DAY_QUEUES, maxAgeMs: 1_000, logger });
    const before = await waiting(live);
    own.disconnect(); // Redis away for this source: every read fails
    clock.advance(2_000);
    expect(await waiting(live)).toBe(before);
    await until(() => Promise.resolve(warn.mock.calls.length === 1));
    clock.advance(2_000);
    expect(await waiting(live)).toBe(before);
    await new Promise((r) => setTimeout(r, 20));
    expect(warn).toHaveBeenCalledTimes(1); // once per run of failures, not per refresh
    clock.advance(7_000); // 11 s old: more than 10x the 1 s window
    await expect(live.live()).rejects.toThrow(/Connection is closed/);
  });

  it('past the hard limit the caller waits for a fresh reading rather than getting the old one', async () => {
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES, maxAgeMs: 1_000, staleLimitMs: 5_000 });
    const before = await waiting(live);
    await enqueue();
    clock.advance(5_001);
    expect(await waiting(live)).toBe(before + 1);
  });
});
