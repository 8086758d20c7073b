import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueDefinition } from '../../src/acd/model.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { queueOccupancy } from '../../src/kpi/buckets.js';
import { KpiCounter } from '../../src/kpi/counter.js';
import { RedisLiveKpis } from '../../src/kpi/live.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { testRedis, uniqueHotline } from '../support/redis.js';

// Per-queue occupancy (src/kpi/buckets.ts queueOccupancy) with an agent who serves two queues, on the real Redis ACD
// and the virtual clock: busy(q) = on-call + wrap-up time on q's calls; idle(q) = ready + reserved + ringing time of
// q's agents, counted in each queue they serve.
const def = (id: string): QueueDefinition => ({
  id, name: id, requiredSkills: [{ skill: id, minLevel: 1 }], priority: 0, policy: 'longest-idle', overflow: {},
  serviceLevel: { fraction: 0.8, seconds: 20 }, wrapUpSec: 3600, answerRings: 3, stickyAgentSec: 0, maxWaitSec: 0,
});
const queues = [def('qa'), def('qb')];
const T0 = Date.parse('2026-12-07T04:00:00Z');
const clock = new VirtualClock(T0);
let redis: Redis;
let store: RedisAcdStore;
let hotline: string;

beforeAll(async () => {
  redis = await testRedis();
  hotline = uniqueHotline('kpiocc');
  store = new RedisAcdStore({ redis, hotlineId: hotline, clock, leaseMs: 24 * 3_600_000 });
  await store.configure({ skills: ['qa', 'qb'], queues });
  await store.renewLease('i1');
});
afterAll(async () => {
  await store.destroy();
  await redis.quit();
});

describe('per-queue occupancy', () => {
  it('the definition: handling time of the queue over it plus its agents\' idle time; null with neither', () => {
    expect(queueOccupancy(75, 105)).toBeCloseTo(75 / 180, 12);
    expect(queueOccupancy(0, 10)).toBe(0);
    expect(queueOccupancy(0, 0)).toBeNull();
  });

  it('x serves qa and qb, y serves qb; x takes one qa call: live figures per queue, and the closed interval the same way', async () => {
    await store.loginAgent({ id: 'x', name: 'x', skills: [{ skill: 'qa', level: 3, primary: true }, { skill: 'qb', level: 3, primary: true }] });
    await store.loginAgent({ id: 'y', name: 'y', skills: [{ skill: 'qb', level: 3, primary: true }] });
    await store.setReady('x');
    await store.setReady('y');
    clock.advance(60_000);
    const r = await store.enqueue({ callId: 'c1', queueId: 'qa', callerNumber: '1', priority: 0, ownerInstance: 'i1' });
    expect(r).toMatchObject({ status: 'offered', offer: { agentId: 'x' } });
    await store.markRinging('c1');
    clock.advance(5_000);
    await store.answer('c1');
    clock.advance(55_000);
    await store.endCall('c1'); // x in wrap-up (qa's call)
    clock.advance(20_000);
    await store.wrapUpDone('x');
    clock.advance(40_000); // now T0 + 180 s: x ready 40 s, y ready 180 s (both open spans)
    await new KpiCounter({ redis, hotlineId: hotline, source: store, targetSec: () => 20, clock, logger: silentLogger }).drain();

    const live = new RedisLiveKpis({ redis, hotlineId: hotline, clock, queues: () => queues, windowSec: 3600 });
    const k = await live.live();
    const occ = (id: string) => k.queues.find((q) => q.queueId === id)!.occupancy;
    // qa: busy 55 s talk + 20 s wrap-up; idle: x's 60 s ready + 5 s reserved/ringing + 40 s ready.
    expect(occ('qa')).toBeCloseTo(75 / (75 + 105), 9);
    // qb: no call of its own; idle: x's 105 s (shared with qa) + y's 180 s.
    expect(occ('qb')).toBe(0);
    // The hotline's occupancy counts each agent's time once: 75 / (75 + 105 + 180).
    expect(k.hotline.occupancy).toBeCloseTo(75 / 360, 9);

    // A closed interval (the first three minutes, buckets only): x's last ready span and y's are still open.
    const closed = await live.interval(T0, T0 + 180_000);
    expect(closed.find((q) => q.queueId === 'qa')!.occupancy).toBeCloseTo(75 / (75 + 65), 9);
    expect(closed.find((q) => q.queueId === 'qb')!.occupancy).toBe(0);
  });
});
