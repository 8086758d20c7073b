import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { AcdEventWriter } from '../../src/store/pg/acd-events.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { verifySignature } from '../../src/webhooks/signature.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { testRedis, uniqueHotline } from '../support/redis.js';
import { Receiver } from './support.js';

// The whole path on the real stores: the Lua functions' event stream (Redis) → the event writer's intake
// (PostgreSQL) → the dispatcher → a local receiver.
let t: TestDb;
let redis: Redis;
let store: RedisAcdStore;
const hotline = uniqueHotline('webhooks');
const clock = new VirtualClock(Date.parse('2026-12-07T10:00:00Z'));

beforeAll(async () => {
  t = await createTestDb('webhooks_redis');
  redis = await testRedis();
  store = new RedisAcdStore({ redis, hotlineId: hotline, clock, leaseMs: 3_600_000 });
});
afterAll(async () => {
  await store.destroy();
  await redis.quit();
  await t.drop();
});

describe('webhooks fed by the Redis ACD event stream', () => {
  it('a call arrived, queued, offered, RONA, answered and ended, with the agent state changes, reaches the receiver signed', async () => {
    const r = await new Receiver(() => 200).start();
    try {
      const repo = new WebhookRepository(t.db);
      const hook = await repo.create({ url: r.url, events: ['call.arrived', 'call.queued', 'call.offered', 'call.rona', 'call.answered', 'call.ended', 'agent.state_changed'] });
      await store.configure({
        skills: ['billing'],
        queues: [{ id: 'billing', name: 'Billing', requiredSkills: [{ skill: 'billing', minLevel: 1 }], priority: 0, policy: 'longest-idle', overflow: {}, serviceLevel: { fraction: 0.8, seconds: 20 }, wrapUpSec: 0, answerRings: 3, stickyAgentSec: 0, maxWaitSec: 0 }],
      });
      await store.renewLease('i1');
      for (const id of ['a1', 'a2']) await store.loginAgent({ id, name: id, skills: [{ skill: 'billing', level: 3, primary: true }] });
      await store.setReady('a1');
      clock.advance(1000);
      await store.setReady('a2');
      clock.advance(1000);
      // What HotlineCalls does when the INVITE is accepted (before the IVR): the arrival joins the same stream.
      await store.recordArrival({ callId: 'k1', callerNumber: '13800138000', calledNumber: '12345', ownerInstance: 'i1', flowId: 'main' });
      clock.advance(3_000);
      await store.enqueue({ callId: 'k1', queueId: 'billing', callerNumber: '13800138000', priority: 0, ownerInstance: 'i1' });
      await store.markRinging('k1');
      clock.advance(15_000);
      await store.rona('k1');
      await store.markRinging('k1');
      clock.advance(7_000);
      await store.answer('k1');
      clock.advance(60_000);
      await store.endCall('k1');

      const writer = new AcdEventWriter({ db: t.db, source: store, stream: hotline, ringOnMs: 1000, ringOffMs: 4000, clock, logger: silentLogger, sinks: [repo] });
      while ((await writer.pump()) > 0);
      const d = new WebhookDispatcher({ repo, clock, logger: silentLogger, instanceId: 'i1', concurrency: 4 });
      while ((await d.pump()) > 0) await d.idle();
      await d.idle();

      const types = r.got.map((g) => g.headers['x-hotline-event']);
      const calls = types.filter((x) => x !== 'agent.state_changed');
      // Deliveries run concurrently, so compare as multisets; the body ids keep the stream order.
      expect(calls.sort()).toEqual(['call.answered', 'call.arrived', 'call.ended', 'call.offered', 'call.offered', 'call.queued', 'call.rona']);
      expect(types.filter((x) => x === 'agent.state_changed').length).toBeGreaterThanOrEqual(8);
      for (const g of r.got) expect(verifySignature(hook.secret, g.headers['x-hotline-signature'] as string, g.body, Math.floor(clock.now() / 1000))).toBe(true);
      const ended = r.got.map((g) => JSON.parse(g.body) as { type: string; data: Record<string, unknown> }).find((b) => b.type === 'call.ended');
      expect(ended?.data).toMatchObject({ callId: 'k1', talkMs: 60_000 });
      const arrived = r.got.map((g) => JSON.parse(g.body) as { type: string; data: Record<string, unknown> }).find((b) => b.type === 'call.arrived');
      expect(arrived?.data).toEqual({ callId: 'k1', callerNumber: '13800138000', calledNumber: '12345', ownerInstance: 'i1', flowId: 'main', at: '2026-12-07T10:00:02.000Z' });
      expect(await repo.counts()).toEqual({ pending: 0, delivered: r.got.length, dead: 0 });
    } finally {
      await r.close();
    }
  });
});
