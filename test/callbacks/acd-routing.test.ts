import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcdCallbackRouting } from '../../src/callbacks/acd-routing.js';
import { callbackQueueId, withCallbackQueues } from '../../src/callbacks/queues.js';
import { AcdBridge } from '../../src/call/acd-bridge.js';
import type { Offer } from '../../src/acd/model.js';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { agent, queue } from '../acd/fixtures.js';
import { testRedis, uniqueHotline } from '../support/redis.js';

let redis: Redis;
let store: RedisAcdStore;
let bridge: AcdBridge;
const clock = new SystemClock();

beforeAll(async () => {
  redis = await testRedis();
  store = new RedisAcdStore({ redis, hotlineId: uniqueHotline('cb-route'), clock, leaseMs: 60_000 });
  const queues = withCallbackQueues([queue('general', { priority: 1, wrapUpSec: 0, requiredSkills: [{ skill: 'general', minLevel: 1 }] }), queue('complaints', { priority: 2, wrapUpSec: 0, requiredSkills: [{ skill: 'complaints', minLevel: 1 }] })]);
  expect(queues.map((q) => [q.id, q.priority])).toEqual([['general', 1], ['complaints', 2], ['callback:general', 0], ['callback:complaints', 0]]);
  await store.configure({ skills: ['general', 'complaints'], queues });
  await store.renewLease('i1');
  bridge = new AcdBridge(store, clock, silentLogger, { instanceId: 'i1', pollMs: 20 });
  bridge.start();
});
afterAll(async () => {
  bridge?.stop();
  await store?.destroy();
  await redis?.quit();
});

describe('callbacks through the ACD (real Redis store): the shadow callback queue', () => {
  it('reserves a ready agent for a callback, and serves a waiting caller before any callback', async () => {
    const routing = new AcdCallbackRouting(bridge, clock, 'i1', () => 0);
    await store.loginAgent(agent('a1', 'general:3'));
    await store.setReady('a1');

    // An idle agent: the callback gets it at once, reserved atomically like a caller's offer.
    const r = await routing.reserve({ callId: 'cb-1', queueId: callbackQueueId('general'), number: '13800000001' }, 2000);
    expect(r?.agentId).toBe('a1');
    expect((await store.agent('a1'))?.state).toBe('reserved');
    await r!.ringing();
    await r!.answered();
    expect((await store.agent('a1'))?.state).toBe('on-call');

    // While a1 talks, a caller and another callback wait; when a1 is free the caller wins.
    const callerOffers: Offer[] = [];
    bridge.onOffer('caller-1', (o) => callerOffers.push(o));
    await bridge.enqueue({ callId: 'caller-1', queueId: 'general', callerNumber: '13900000001', priority: 0, ownerInstance: 'i1' });
    const second = routing.reserve({ callId: 'cb-2', queueId: callbackQueueId('general'), number: '13800000002' }, 1500);
    await new Promise((res) => setTimeout(res, 100));
    await r!.leave('agent'); // wrap-up 0: ready at once, matched
    expect(await second).toBeUndefined(); // window passed: withdrawn, a1 went to the caller
    expect(callerOffers.map((o) => o.agentId)).toEqual(['a1']);
    expect(await store.call('cb-2')).toBeNull();

    // A callback the agent missed: not-ready(missed), and the callback is out of the ACD.
    await bridge.leave('caller-1', 'agent', 0);
    expect((await store.agent('a1'))?.state).toBe('ready');
    const third = await routing.reserve({ callId: 'cb-3', queueId: callbackQueueId('general'), number: '13800000003' }, 2000);
    expect(third?.agentId).toBe('a1');
    await third!.ringing();
    await third!.missed();
    await third!.leave('operator');
    expect(await store.agent('a1')).toMatchObject({ state: 'not-ready', reason: 'missed' });
    expect(await store.call('cb-3')).toBeNull();
  });

  it('a task naming an agent is offered to that agent only; to anyone when that agent is not logged in', async () => {
    const routing = new AcdCallbackRouting(bridge, clock, 'i1', () => 0);
    await store.loginAgent(agent('a2', 'complaints:3'));
    await store.loginAgent(agent('a3', 'complaints:3'));
    await store.setReady('a2'); // idle longest: without a preference a2 would be chosen
    await new Promise((res) => setTimeout(res, 20));
    await store.setReady('a3');

    const r = await routing.reserve({ callId: 'cb-p1', queueId: callbackQueueId('complaints'), number: '13800000011', preferredAgentId: 'a3' }, 2000);
    expect(r?.agentId).toBe('a3');
    await r!.leave('operator');

    // The named agent has logged out: the hold lapses and the longest-idle agent calls back.
    await store.logout('a3');
    const any = await routing.reserve({ callId: 'cb-p2', queueId: callbackQueueId('complaints'), number: '13800000012', preferredAgentId: 'a3' }, 2000);
    expect(any?.agentId).toBe('a2');
    await any!.leave('operator');
  });
});
