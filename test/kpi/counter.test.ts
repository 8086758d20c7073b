import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { KpiCounter } from '../../src/kpi/counter.js';
import { createLiveKpis } from '../../src/kpi/index.js';
import { RedisLiveKpis } from '../../src/kpi/live.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { testRedis, uniqueHotline } from '../support/redis.js';
import { DAY_QUEUES } from './day.js';

let redis: Redis;
let store: RedisAcdStore;
let hotline: string;
const T0 = Date.parse('2026-12-07T01:00:00Z');
const clock = new VirtualClock(T0);
const counter = (): KpiCounter => new KpiCounter({ redis, hotlineId: hotline, source: store, targetSec: () => 20, clock, logger: silentLogger });

beforeAll(async () => {
  redis = await testRedis();
  hotline = uniqueHotline('kpicnt');
  store = new RedisAcdStore({ redis, hotlineId: hotline, clock, leaseMs: 3_600_000 });
  await store.configure({ skills: ['billing', 'tech'], queues: DAY_QUEUES });
  await store.renewLease('i1');
});
afterAll(async () => {
  await store.destroy();
  await redis.quit();
});

describe('KpiCounter', () => {
  it('counts each event once across restarts (the cursor is in Redis) and each record once', async () => {
    await store.enqueue({ callId: 'x1', queueId: 'billing', callerNumber: '1', priority: 0, ownerInstance: 'i1' });
    await counter().drain();
    // A new instance (or a restarted one) carries on after the cursor: nothing counted twice.
    await store.enqueue({ callId: 'x2', queueId: 'billing', callerNumber: '2', priority: 0, ownerInstance: 'i1' });
    await counter().drain();
    await counter().drain();
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES });
    const before = (await live.interval(T0, T0 + 60_000)).find((k) => k.queueId === 'billing')!;
    expect(before.offered).toBe(2);

    const record = { callId: 'x1', queueId: 'billing', arrivalAt: T0, enqueueAt: T0, answerAt: T0 + 5_000, hangupAt: T0 + 65_000, ringsToAnswer: 1, disposition: 'answered' as const };
    const c = counter();
    await c.countRecord(record);
    await c.countRecord(record); // a retried write
    const after = (await live.interval(T0, T0 + 60_000)).find((k) => k.queueId === 'billing')!;
    expect(after).toMatchObject({ offered: 2, attSec: 60, avgRings: 1 });
    expect((await live.sums(T0, T0 + 60_000)).queues.get('billing')).toMatchObject({ off: 2, talkN: 1, talkMs: 60_000, ringsN: 1 });
  });

  it('an arrival counts nothing: offered is counted when the call enters a queue', async () => {
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES });
    await counter().drain();
    const before = await live.sums(T0 - 3_600_000, T0 + 3_600_000);
    await store.recordArrival({ callId: 'arr-1', callerNumber: '5', calledNumber: '7100', ownerInstance: 'i1' });
    expect((await store.readEvents()).at(-1)!.event).toMatchObject({ type: 'arrived', callId: 'arr-1' });
    await counter().drain();
    expect(await live.sums(T0 - 3_600_000, T0 + 3_600_000)).toEqual(before);
    await store.enqueue({ callId: 'arr-1', queueId: 'billing', callerNumber: '5', priority: 0, ownerInstance: 'i1' });
    await counter().drain();
    expect((await live.sums(T0 - 3_600_000, T0 + 3_600_000)).queues.get('billing')!.off).toBe((before.queues.get('billing')?.off ?? 0) + 1);
    await store.abandon('arr-1');
    await counter().drain();
  });

  it('a failed read counts nothing and moves no cursor: the next pump counts the events', async () => {
    const broken = new KpiCounter({
      redis,
      hotlineId: hotline,
      source: { readEvents: () => Promise.reject(new Error('Connection is closed.')) },
      targetSec: () => 20,
      clock,
      logger: silentLogger,
    });
    await expect(broken.pump()).rejects.toThrow(/Connection is closed/);
    await store.enqueue({ callId: 'x3', queueId: 'tech', callerNumber: '3', priority: 0, ownerInstance: 'i1' });
    await counter().drain();
    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => DAY_QUEUES });
    expect((await live.interval(T0, T0 + 60_000)).find((k) => k.queueId === 'tech')!.offered).toBe(1);
  });

  it('signals a change after counting (the cached reading dropped first), and only then', async () => {
    const kpis = createLiveKpis({ redis, hotlineId: hotline, clock, events: store, queues: () => DAY_QUEUES, windowSec: 3600, logger: silentLogger, maxAgeMs: 60_000 });
    let signals = 0;
    kpis.changes.subscribe(() => signals++);
    await kpis.counter.drain();
    signals = 0;
    const waiting = async () => (await kpis.source.live()).queues.find((q) => q.queueId === 'tech')!.waiting;
    const before = await waiting();
    await store.enqueue({ callId: 'sig-1', queueId: 'tech', callerNumber: '3', priority: 0, ownerInstance: 'i1' });
    // Within maxAgeMs the cached reading is served...
    expect(await waiting()).toBe(before);
    await kpis.counter.drain();
    // ...until the counter has counted the change: one signal, and the reading is stale: a fresh read sees it.
    expect(signals).toBe(1);
    expect((await kpis.source.live({ fresh: true })).queues.find((q) => q.queueId === 'tech')!.waiting).toBe(before + 1);
    expect(await waiting()).toBe(before + 1);
    await kpis.counter.drain();
    expect(signals).toBe(1);
    const record = { callId: 'sig-1', queueId: 'tech', arrivalAt: T0, enqueueAt: T0, hangupAt: T0 + 5_000, disposition: 'abandoned' as const };
    await kpis.counter.countRecord({ ...record, disposition: 'silent' });
    await kpis.counter.countRecord({ ...record, disposition: 'silent' }); // a retried write: counted once, signalled once
    expect(signals).toBe(2);
    await store.abandon('sig-1');
    await kpis.counter.drain();
  });
});
