import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_RULE, type PlanRules } from '../../src/acd/peak-plan.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { PlanEvaluator } from '../../src/plan/evaluator.js';
import { PlanRepository } from '../../src/store/pg/plan.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { RedisPlanStore } from '../../src/store/redis/plan-store.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { queueDef } from '../call/harness.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { testRedis, uniqueHotline } from '../support/redis.js';

// Short windows keep the run fast; the rules themselves are tested at 30 minutes in test/acd/peak-plan.test.ts.
const RULES: PlanRules = { hotline: { ...DEFAULT_PLAN_RULE, sustainMs: 60_000, standDownMs: 20_000, dipMs: 5_000 }, queues: {} };

describe('plan evaluator on Redis and PostgreSQL', () => {
  let tdb: TestDb;
  let redisA: Redis;
  let redisB: Redis;
  beforeAll(async () => {
    tdb = await createTestDb('plan_eval');
    [redisA, redisB] = await Promise.all([testRedis(), testRedis()]);
  });
  afterAll(async () => {
    await tdb.drop();
    redisA.disconnect();
    redisB.disconnect();
  });

  /** A hotline with `n` callers waiting in `general` (real ACD keys: the evaluator reads the queue index). */
  async function hotline(n: number): Promise<{ hotlineId: string; clock: VirtualClock; acd: RedisAcdStore }> {
    const hotlineId = uniqueHotline('plan');
    const clock = new VirtualClock(Date.UTC(2026, 11, 7, 9));
    const acd = new RedisAcdStore({ redis: redisA, hotlineId, clock, leaseMs: 3_600_000 });
    await acd.configure({ skills: [], queues: [queueDef('general')] });
    await acd.renewLease('i1');
    for (let i = 0; i < n; i++) await acd.enqueue({ callId: `${hotlineId}-c${i}`, queueId: 'general', callerNumber: String(i), priority: 0, ownerInstance: 'i1' });
    return { hotlineId, clock, acd };
  }

  function evaluator(redis: Redis, hotlineId: string, clock: VirtualClock, instance: string, effects: string[] = []): PlanEvaluator {
    const repo = new PlanRepository(tdb.db);
    return new PlanEvaluator({
      store: new RedisPlanStore(redis, hotlineId),
      clock,
      log: silentLogger,
      instance,
      rules: () => RULES,
      queueIds: () => ['general'],
      effects: (t) => {
        effects.push(`${instance}:${t.type}:${t.level}`);
        return Promise.resolve({ by: instance });
      },
      record: (t, extra, now) => repo.record(t, extra, now),
    });
  }

  async function rows(): Promise<{ scope: string; level: number; started_at: Date; ended_at: Date | null; figures: Record<string, unknown> }[]> {
    return (await tdb.pool.query('SELECT scope, level, started_at, ended_at, figures FROM plan_activations ORDER BY id')).rows as never;
  }

  it('two evaluators ticking together on one Redis record one activation, one webhook, and one stand-down', async () => {
    await tdb.pool.query('TRUNCATE plan_activations, webhook_deliveries, webhooks CASCADE');
    await new WebhookRepository(tdb.db).create({ url: 'http://127.0.0.1:9/hook', events: ['plan.activated', 'plan.stood_down'] });
    const { hotlineId, clock, acd } = await hotline(9);
    const start = clock.now();
    const effects: string[] = [];
    const a = evaluator(redisA, hotlineId, clock, 'A', effects);
    const b = evaluator(redisB, hotlineId, clock, 'B', effects);
    let evaluated = 0;
    for (let s = 0; s <= 60; s++) {
      const r = await Promise.all([a.tick(), b.tick()]);
      evaluated += r.filter((x) => x.evaluated).length;
      if (s < 60) clock.advance(1000);
    }
    // Each tick ran on at least one instance (the lock goes to one; the other skips or commits on fresh state).
    expect(evaluated).toBeGreaterThanOrEqual(61);
    expect(await new RedisPlanStore(redisA, hotlineId).level()).toBe(1);
    const [row, ...more] = await rows();
    expect(more).toEqual([]);
    expect(row).toMatchObject({ scope: '*', level: 1, started_at: new Date(start + 60_000), ended_at: null, figures: { waiting: 9, peakWaiting: 9, threshold: 8 } });
    expect(effects.filter((e) => e.endsWith(':activated:1'))).toHaveLength(1);
    const deliveries = await tdb.pool.query<{ event_type: string; payload: { data: Record<string, unknown> } }>('SELECT event_type, payload FROM webhook_deliveries');
    expect(deliveries.rows).toHaveLength(1);
    expect(deliveries.rows[0]).toMatchObject({ event_type: 'plan.activated', payload: { data: { scope: '*', level: 1, waiting: 9 } } });

    // Callers answered: 3 left, stand-down after 20 s of hysteresis, once.
    for (let i = 0; i < 6; i++) await acd.abandon(`${hotlineId}-c${i}`);
    for (let s = 0; s <= 21; s++) {
      clock.advance(1000);
      await Promise.all([a.tick(), b.tick()]);
    }
    const ended = await rows();
    expect(ended).toHaveLength(1);
    expect(ended[0]!.ended_at).toEqual(new Date(start + 61_000 + 20_000));
    expect((await tdb.pool.query('SELECT event_type FROM webhook_deliveries ORDER BY id')).rows.map((r: { event_type: string }) => r.event_type)).toEqual(['plan.activated', 'plan.stood_down']);
    expect(effects.filter((e) => e.includes(':stood-down:'))).toHaveLength(1);
  });

  it('a restarted (new) evaluator carries on from the Redis state: 29 minutes on one, the 30th on another', async () => {
    await tdb.pool.query('TRUNCATE plan_activations');
    const { hotlineId, clock } = await hotline(9);
    const start = clock.now();
    const first = evaluator(redisA, hotlineId, clock, 'A');
    for (let s = 0; s < 59; s++) {
      await first.tick();
      clock.advance(1000);
    }
    expect(await rows()).toEqual([]);
    // "A" stops here (crash or restart): "A2", a fresh object with a fresh connection, carries on.
    const second = evaluator(redisB, hotlineId, clock, 'A2');
    await second.tick();
    expect(await rows()).toEqual([]);
    clock.advance(1000);
    expect((await second.tick()).transitions).toMatchObject([{ type: 'activated', level: 1, figures: { conditionSince: start } }]);
    expect(await rows()).toHaveLength(1);
  });

  it('an instance that dies between its commit and the row leaves the transition for the next tick of any instance', async () => {
    await tdb.pool.query('TRUNCATE plan_activations');
    const { hotlineId, clock } = await hotline(9);
    const repo = new PlanRepository(tdb.db);
    let failing = true;
    const crashing = new PlanEvaluator({
      store: new RedisPlanStore(redisA, hotlineId),
      clock,
      log: silentLogger,
      instance: 'X',
      rules: () => RULES,
      queueIds: () => ['general'],
      effects: () => Promise.resolve({}),
      record: (t, e, now) => (failing ? Promise.reject(new Error('PG down')) : repo.record(t, e, now)),
    });
    for (let s = 0; s < 60; s++) {
      await crashing.tick();
      clock.advance(1000);
    }
    await expect(crashing.tick()).rejects.toThrow('PG down');
    expect(await rows()).toEqual([]);
    expect(await new RedisPlanStore(redisA, hotlineId).outboxLength()).toBe(1);
    // The lock was released on the way out: another instance records it at its next tick.
    failing = false;
    clock.advance(1000);
    const other = evaluator(redisB, hotlineId, clock, 'Y');
    expect((await other.tick()).recorded).toBe(1);
    expect(await rows()).toHaveLength(1);
    expect(await new RedisPlanStore(redisA, hotlineId).outboxLength()).toBe(0);
  });

  it('compare-and-set: a commit on a stale version is refused and queues nothing', async () => {
    const { hotlineId } = await hotline(0);
    const s = new RedisPlanStore(redisA, hotlineId);
    const { version, state } = await s.read();
    expect(await s.commit(version, state, 0, [])).toBe(true);
    expect(await s.commit(version, state, 1, [{ type: 'activated', scope: '*', level: 1, at: 1, activatedAt: 1, scopeLevel: 1, figures: { waiting: 9, peakWaiting: 9, conditionSince: 0, threshold: 8, requiredMs: 1 } }])).toBe(false);
    expect(await s.outboxLength()).toBe(0);
    expect(await s.level()).toBe(0);
    expect(await s.lock('A', 5000)).toBe(true);
    expect(await s.lock('B', 5000)).toBe(false);
    await s.unlock('B');
    expect(await s.lock('B', 5000)).toBe(false);
    await s.unlock('A');
    expect(await s.lock('B', 5000)).toBe(true);
  });
});
