import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { AcdEventWriter } from '../../../src/store/pg/acd-events.js';
import { AgentStateHistoryRepository } from '../../../src/store/pg/agent-states.js';
import { OfferRepository } from '../../../src/store/pg/offers.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

// The writer against the real Redis ACD store: the events it reads are the ones the Lua functions emit.
let t: TestDb;
let redis: Redis;
let store: RedisAcdStore;
const hotline = `t-pgev-${process.pid}-${randomBytes(3).toString('hex')}`.slice(0, 32);
const T0 = 1_790_000_000_000;
const clock = new VirtualClock(T0);

beforeAll(async () => {
  t = await createTestDb('acd_events_redis');
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  store = new RedisAcdStore({ redis, hotlineId: hotline, clock, leaseMs: 3_600_000 });
});
afterAll(async () => {
  await store.destroy();
  await redis.quit();
  await t.drop();
});

describe('AcdEventWriter on RedisAcdStore events', () => {
  it('records a RONA then an answer with their rings, and the agents\' state spans', async () => {
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

    const first = await store.enqueue({ callId: 'k1', queueId: 'billing', callerNumber: '13800138000', priority: 0, ownerInstance: 'i1' });
    expect(first.status).toBe('offered');
    const firstAgent = first.status === 'offered' ? first.offer.agentId : '';
    await store.markRinging('k1');
    clock.advance(15_000);
    const next = await store.rona('k1');
    expect(next).not.toBeNull();
    await store.markRinging('k1');
    clock.advance(7_000);
    await store.answer('k1');
    clock.advance(60_000);
    await store.endCall('k1');

    const w = new AcdEventWriter({ db: t.db, source: store, stream: hotline, ringOnMs: 1000, ringOffMs: 4000, clock, logger: silentLogger });
    while ((await w.pump()) > 0);

    const offers = await new OfferRepository(t.db).forCall('k1');
    expect(offers.map((o) => [o.agentId, o.outcome, o.rings, (o.endedAt ?? 0) - o.offeredAt])).toEqual([
      [firstAgent, 'rona', 3, 15_000],
      [next!.agentId, 'answered', 2, 7_000],
    ]);
    const spans = await new AgentStateHistoryRepository(t.db).history(firstAgent, T0 - 1, clock.now() + 1);
    // Login, ready, reserved and ringing share milliseconds with their neighbours: each still gets its own span.
    expect(spans.map((s) => [s.state, s.reason, s.startedAt - T0, s.endedAt === null ? null : s.endedAt - T0])).toEqual([
      ['not-ready', 'other', 0, 0],
      ['ready', null, 0, 2000],
      ['reserved', null, 2000, 2000],
      ['ringing', null, 2000, 17_000],
      ['not-ready', 'missed', 17_000, null],
    ]);
  });
});
