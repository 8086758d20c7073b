/**
 * The behaviour every AcdStore must have, written once and run against MemoryAcdStore (test/acd) and the Redis
 * store (test/store/redis), on a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import type { AcdEvent } from '../../src/acd/events.js';
import type { AcdStore } from '../../src/acd/store.js';
import { agent, call, queue } from './fixtures.js';

export interface StoreHarness {
  store: AcdStore;
  clock: VirtualClock;
  events(): Promise<AcdEvent[]>;
  close(): Promise<void>;
}
export type HarnessFactory = (leaseMs: number) => Promise<StoreHarness>;

const T0 = 1_700_000_000_000;
export const startClock = (): VirtualClock => new VirtualClock(T0);

/** The error code an operation fails with (sync stores throw, async ones reject: both land here). */
async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

export function acdStoreContract(name: string, make: HarnessFactory): void {
  describe(`${name}: AcdStore contract`, () => {
    async function withStore(fn: (h: StoreHarness) => Promise<void>, leaseMs = 3_600_000): Promise<void> {
      const h = await make(leaseMs);
      try {
        await h.store.renewLease('i1');
        await fn(h);
      } finally {
        await h.close();
      }
    }

    it('rejects unknown skills, queues, agents and calls with typed codes', async () => {
      await withStore(async ({ store }) => {
        expect(await code(() => store.configure({ skills: ['a'], queues: [queue('q', { requiredSkills: [{ skill: 'zz', minLevel: 1 }] })] }))).toBe('UNKNOWN_SKILL');
        expect(await code(() => store.configure({ skills: ['a'], queues: [queue('q', { overflow: { toQueue: 'nope', queueAfterSec: 5 } })] }))).toBe('UNKNOWN_QUEUE');
        await store.configure({ skills: ['a'], queues: [queue('q', { requiredSkills: [{ skill: 'a', minLevel: 1 }] })] });
        expect(await code(() => store.loginAgent(agent('x', 'zz:3')))).toBe('UNKNOWN_SKILL');
        expect(await code(() => store.enqueue(call('c1', 'nope')))).toBe('UNKNOWN_QUEUE');
        expect(await code(() => store.setReady('ghost'))).toBe('AGENT_UNKNOWN');
        expect(await code(() => store.answer('ghost-call'))).toBe('CALL_UNKNOWN');
        expect(await code(() => store.enqueue(call('c1', 'q', { ownerInstance: 'no-lease' })))).toBe('LEASE_EXPIRED');
        await store.enqueue(call('c1', 'q'));
        expect(await code(() => store.enqueue(call('c1', 'q')))).toBe('CALL_DUPLICATE');
        expect(await code(() => store.answer('c1'))).toBe('CALL_BAD_STATE');
      });
    });

    it('validates agent transitions and stamps them', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: ['a'], queues: [queue('q', { requiredSkills: [{ skill: 'a', minLevel: 1 }] })] });
        await store.loginAgent(agent('x', 'a:3'));
        expect(await store.agent('x')).toMatchObject({ state: 'not-ready', reason: 'other', since: T0 });
        expect(await code(() => store.loginAgent(agent('x', 'a:3')))).toBe('AGENT_BAD_TRANSITION');
        expect(await code(() => store.wrapUpDone('x'))).toBe('AGENT_BAD_TRANSITION');
        clock.advance(1000);
        await store.setNotReady('x', 'lunch');
        expect(await store.agent('x')).toMatchObject({ state: 'not-ready', reason: 'lunch', since: T0 + 1000 });
        await store.setReady('x');
        await store.enqueue(call('c1', 'q'));
        expect((await store.agent('x'))?.state).toBe('reserved');
        let err: { code: string; details: Record<string, unknown> } | undefined;
        try {
          await store.setNotReady('x', 'break');
        } catch (e) {
          err = e as typeof err;
        }
        expect(err?.code).toBe('AGENT_BAD_TRANSITION');
        expect(err?.details).toMatchObject({ from: 'reserved', to: 'not-ready' });
        expect(await code(() => store.logout('x'))).toBe('AGENT_BAD_TRANSITION');
      });
    });

    it('orders a queue by priority then arrival and answers position queries', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('q')] });
        expect(await store.enqueue(call('c1', 'q'))).toEqual({ status: 'queued', position: 1, length: 1 });
        clock.advance(10);
        expect(await store.enqueue(call('c2', 'q'))).toEqual({ status: 'queued', position: 2, length: 2 });
        clock.advance(10);
        expect(await store.enqueue(call('vip', 'q', { priority: 5 }))).toEqual({ status: 'queued', position: 1, length: 3 });
        expect(await store.position('c2')).toEqual({ position: 3, length: 3 });
        expect(await store.queueLength('q')).toBe(3);
        await store.loginAgent(agent('x'));
        expect((await store.setReady('x'))?.callId).toBe('vip');
        expect(await store.position('c1')).toEqual({ position: 1, length: 2 });
        expect(await store.position('vip')).toBeNull();
      });
    });

    it('longest-idle picks the agent ready the longest; highest-skill the best level; least-talk-time the least talk', async () => {
      await withStore(async ({ store, clock }) => {
        const req = [{ skill: 's', minLevel: 2 as const }];
        await store.configure({
          skills: ['s'],
          queues: [queue('idle', { requiredSkills: req }), queue('skill', { requiredSkills: req, policy: 'highest-skill' }), queue('talk', { requiredSkills: req, policy: 'least-talk-time' })],
        });
        await store.loginAgent(agent('a1', 's:2'));
        await store.loginAgent(agent('a2', 's:5'));
        await store.loginAgent(agent('a0', 's:1'));
        await store.setReady('a0');
        await store.setReady('a1');
        clock.advance(1000);
        await store.setReady('a2');
        const r1 = await store.enqueue(call('c1', 'idle'));
        expect(r1.status === 'offered' && r1.offer).toMatchObject({ agentId: 'a1', via: 'primary', waitedMs: 0 });
        const r2 = await store.enqueue(call('c2', 'skill'));
        expect(r2.status === 'offered' && r2.offer.agentId).toBe('a2');
        // a1 talks 100 s, a2 talks 10 s: least-talk-time then prefers a2.
        await store.answer('c1');
        await store.answer('c2');
        clock.advance(10_000);
        await store.endCall('c2');
        clock.advance(90_000);
        await store.endCall('c1');
        const r3 = await store.enqueue(call('c3', 'talk'));
        expect(r3.status === 'offered' && r3.offer.agentId).toBe('a2');
      });
    });

    it('round-robin rotates among agents', async () => {
      await withStore(async ({ store }) => {
        await store.configure({ skills: [], queues: [queue('q', { policy: 'round-robin' })] });
        for (const id of ['a', 'b', 'c']) {
          await store.loginAgent(agent(id));
          await store.setReady(id);
        }
        const got: string[] = [];
        for (let i = 0; i < 6; i++) {
          const r = await store.enqueue(call(`c${i}`, 'q'));
          if (r.status !== 'offered') throw new Error('expected an offer');
          got.push(r.offer.agentId);
          await store.answer(`c${i}`);
          await store.endCall(`c${i}`);
        }
        expect(got).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
      });
    });

    it('overflows to secondary-skill agents, then to the overflow queue, only after the configured waits', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({
          skills: ['en', 'fr'],
          queues: [
            queue('en', { requiredSkills: [{ skill: 'en', minLevel: 2 }], overflow: { secondaryAfterSec: 30, toQueue: 'fr', queueAfterSec: 60 } }),
            queue('fr', { requiredSkills: [{ skill: 'fr', minLevel: 1 }] }),
          ],
        });
        await store.loginAgent(agent('sec', 'en:3s'));
        await store.loginAgent(agent('frA', 'fr:1'));
        await store.setReady('sec');
        await store.setReady('frA');
        expect((await store.enqueue(call('c1', 'en'))).status).toBe('queued');
        expect((await store.enqueue(call('c2', 'en'))).status).toBe('queued');
        clock.advance(29_999);
        expect(await store.tick()).toEqual([]);
        clock.advance(1);
        const o1 = await store.tick();
        expect(o1).toMatchObject([{ callId: 'c1', agentId: 'sec', via: 'secondary', waitedMs: 30_000 }]);
        clock.advance(30_000);
        const o2 = await store.tick();
        expect(o2).toMatchObject([{ callId: 'c2', agentId: 'frA', via: 'overflow-queue' }]);
      });
    });

    it('serves the higher-priority queue first, then the call that waited longest', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('low', { priority: 1 }), queue('high', { priority: 5 }), queue('low2', { priority: 1 })] });
        await store.enqueue(call('l1', 'low'));
        clock.advance(5);
        await store.enqueue(call('l2', 'low2'));
        clock.advance(5);
        await store.enqueue(call('h1', 'high'));
        await store.loginAgent(agent('x'));
        expect((await store.setReady('x'))?.callId).toBe('h1');
        await store.loginAgent(agent('y'));
        expect((await store.setReady('y'))?.callId).toBe('l1');
      });
    });

    it('holds a returning caller for the last agent during the sticky window, then lets anyone take it', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('q', { stickyAgentSec: 20 })] });
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q', { callerNumber: '555' }));
        await store.answer('c1');
        await store.endCall('c1');
        await store.setNotReady('a', 'break');
        await store.loginAgent(agent('b'));
        await store.setReady('b');
        // b is ready, but the caller is held for a.
        expect((await store.enqueue(call('c2', 'q', { callerNumber: '555' }))).status).toBe('queued');
        clock.advance(5000);
        expect(await store.setReady('a')).toMatchObject({ callId: 'c2', agentId: 'a', via: 'sticky' });
        await store.answer('c2');
        await store.endCall('c2');
        await store.setNotReady('a', 'break');
        expect((await store.enqueue(call('c3', 'q', { callerNumber: '555' }))).status).toBe('queued');
        clock.advance(19_999);
        expect(await store.tick()).toEqual([]);
        clock.advance(1);
        expect(await store.tick()).toMatchObject([{ callId: 'c3', agentId: 'b', via: 'primary' }]);
      });
    });

    it('a returning caller chooses: held for one agent for its own seconds, or for nobody despite the sticky rule', async () => {
      await withStore(async ({ store, clock }) => {
        // The queue has no sticky rule: the hold comes from the call request alone (the IVR's returning node).
        await store.configure({ skills: [], queues: [queue('q'), queue('s', { stickyAgentSec: 600 })] });
        expect(await store.lastServed('555')).toBeNull();
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q', { callerNumber: '555' }));
        await store.answer('c1');
        clock.advance(60_000);
        await store.endCall('c1');
        const endedAt = clock.now();
        expect(await store.lastServed('555')).toEqual({ agentId: 'a', at: endedAt, active: true });
        await store.setNotReady('a', 'break');
        await store.loginAgent(agent('b'));
        await store.setReady('b');
        // "Wait for the same agent", at most 30 s: b is ready but may not take it.
        expect((await store.enqueue(call('c2', 'q', { callerNumber: '555', hold: { agentId: 'a', sec: 30 } }))).status).toBe('queued');
        expect(await store.call('c2')).toMatchObject({ state: 'waiting', stickyAgent: 'a' });
        clock.advance(29_999);
        expect(await store.tick()).toEqual([]);
        clock.advance(1);
        // The hold is over: anyone (b) takes it.
        expect(await store.tick()).toMatchObject([{ callId: 'c2', agentId: 'b', via: 'primary' }]);
        await store.abandon('c2');
        // Held for a, and a comes back within the hold: a takes it, via sticky.
        await store.enqueue(call('c3', 'q', { callerNumber: '555', hold: { agentId: 'a', sec: 30 } }));
        await store.setNotReady('b', 'break');
        await store.setReady('b');
        expect(await store.call('c3')).toMatchObject({ state: 'waiting' });
        clock.advance(10_000);
        expect(await store.setReady('a')).toMatchObject({ callId: 'c3', agentId: 'a', via: 'sticky' });
        await store.abandon('c3');
        // "The next agent" in a queue whose sticky rule would hold the caller for a: b (longest ready) takes it at once.
        await store.setNotReady('a', 'break');
        await store.setReady('a');
        expect(await store.enqueue(call('c4', 's', { callerNumber: '555', hold: 'none' }))).toMatchObject({ status: 'offered', offer: { agentId: 'b', via: 'primary' } });
        // A hold for a logged-out agent is no hold.
        await store.abandon('c4');
        await store.logout('a');
        expect(await store.lastServed('555')).toEqual({ agentId: 'a', at: endedAt, active: false });
        await store.setNotReady('b', 'break');
        await store.setReady('b');
        expect(await store.enqueue(call('c5', 'q', { callerNumber: '555', hold: { agentId: 'a', sec: 30 } }))).toMatchObject({ status: 'offered', offer: { agentId: 'b' } });
        expect(await code(() => store.enqueue(call('c6', 'q', { hold: { agentId: 'a', sec: 1.5 } })))).toBe('BAD_DEFINITION');
        expect(await code(() => store.enqueue(call('c6', 'q', { hold: { agentId: '', sec: 5 } })))).toBe('BAD_DEFINITION');
      });
    });

    it('redirect on no answer: agent not-ready(missed), call back at the head of its queue and offered again', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q'));
        clock.advance(1);
        await store.enqueue(call('c2', 'q'));
        await store.markRinging('c1');
        clock.advance(15_000);
        expect(await store.rona('c1')).toBeNull();
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'missed' });
        expect(await store.position('c1')).toEqual({ position: 1, length: 2 });
        await store.loginAgent(agent('b'));
        expect(await store.setReady('b')).toMatchObject({ callId: 'c1', agentId: 'b', waitedMs: 15_001 });
      });
    });

    it('abandon frees whatever the call held; end of call goes through wrap-up', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('q', { wrapUpSec: 10 })] });
        await store.enqueue(call('w', 'q'));
        expect(await store.abandon('w')).toEqual({ stage: 'waiting', offer: null });
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('o', 'q'));
        await store.enqueue(call('next', 'q'));
        expect(await store.abandon('o')).toMatchObject({ stage: 'offered', offer: { callId: 'next', agentId: 'a' } });
        await store.answer('next');
        clock.advance(3000);
        await store.enqueue(call('later', 'q'));
        expect(await store.endCall('next')).toEqual({ agentId: 'a', wrapUpSec: 10, offer: null });
        expect(await store.agent('a')).toMatchObject({ state: 'wrap-up', talkMs: 3000 });
        expect(await store.wrapUpDone('a')).toMatchObject({ callId: 'later' });
        await store.answer('later');
        expect(await store.abandon('later')).toMatchObject({ stage: 'on-call' });
        expect((await store.agent('a'))?.state).toBe('wrap-up');
        expect(await store.call('later')).toBeNull();
      });
    });

    it('delivers offers to the owner instance inbox', async () => {
      await withStore(async ({ store }) => {
        await store.renewLease('i2');
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.enqueue(call('c1', 'q', { ownerInstance: 'i2' }));
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        expect(await store.takeOffers('i1')).toEqual([]);
        expect(await store.takeOffers('i2')).toMatchObject([{ callId: 'c1', agentId: 'a', ownerInstance: 'i2' }]);
        expect(await store.takeOffers('i2')).toEqual([]);
      });
    });

    it('reaps a dead instance: frees its agents, removes its calls, and the survivor keeps routing', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.renewLease('dead');
        for (const id of ['a', 'b']) await store.loginAgent(agent(id));
        await store.setReady('a');
        await store.setReady('b');
        await store.enqueue(call('d1', 'q', { ownerInstance: 'dead' }));
        await store.enqueue(call('d2', 'q', { ownerInstance: 'dead' }));
        await store.answer('d2');
        await store.enqueue(call('d3', 'q', { ownerInstance: 'dead' }));
        await store.enqueue(call('s1', 'q', { ownerInstance: 'i1' }));
        clock.advance(500);
        await store.renewLease('i1');
        clock.advance(600);
        // dead's lease (1000 ms) has run out but it is not reaped yet: its waiting calls are skipped by matches.
        expect(await store.reap()).toEqual({
          deadInstances: ['dead'],
          removedCalls: ['d1', 'd2', 'd3'],
          freedAgents: ['a', 'b'],
          wrapUpEnded: [],
          unreachable: [],
          offers: [{ callId: 's1', queueId: 'q', agentId: 'a', ownerInstance: 'i1', waitedMs: 1100, via: 'primary' }],
          orphans: [],
        });
        expect((await store.agent('b'))?.state).toBe('ready');
        expect(await code(() => store.enqueue(call('d4', 'q', { ownerInstance: 'dead' })))).toBe('LEASE_EXPIRED');
        const ev = await h.events();
        expect(ev.filter((e) => e.type === 'removed-dead-instance').map((e) => e.type === 'removed-dead-instance' && [e.callId, e.stage])).toEqual([
          ['d1', 'offered'],
          ['d2', 'on-call'],
          ['d3', 'waiting'],
        ]);
      }, 1000);
    });

    it('a dead instance\'s tracked calls: each gets a removed event (in the IVR too, stage ivr) and comes back as an orphan once', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.renewLease('dead');
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        const t0 = clock.now();
        const dlg = [{ callId: 'sip-1', localTag: 'l1', remoteTag: 'r1' }];
        // t1: in the menus (never queued); t2: talking to a; t3: waiting; t4: ended before the death (untracked).
        await store.trackCall({ callId: 't1', ownerInstance: 'dead', callerNumber: '1391', calledNumber: '7100', flowId: 'f', at: t0, dialogs: dlg });
        clock.advance(10);
        await store.trackCall({ callId: 't2', ownerInstance: 'dead', callerNumber: '1392', calledNumber: '7100', at: t0 + 10 });
        await store.enqueue(call('t2', 'q', { ownerInstance: 'dead' }));
        await store.answer('t2');
        // The seat's dialog joins the entry once answered: the same id replaces it.
        await store.trackCall({ callId: 't2', ownerInstance: 'dead', callerNumber: '1392', calledNumber: '7100', at: t0 + 10, dialogs: dlg });
        clock.advance(10);
        await store.trackCall({ callId: 't3', ownerInstance: 'dead', callerNumber: '1393', calledNumber: '7100', flowId: 'f', at: t0 + 20 });
        await store.enqueue(call('t3', 'q', { ownerInstance: 'dead' }));
        await store.trackCall({ callId: 't4', ownerInstance: 'dead', callerNumber: '1394', calledNumber: '7100', at: t0 + 20 });
        await store.untrackCall('dead', 't4');
        await store.untrackCall('dead', 't4');
        // A live instance's tracked call is left alone.
        await store.trackCall({ callId: 's1', ownerInstance: 'i1', callerNumber: '1395', calledNumber: '7100', at: t0 + 20 });
        clock.advance(1000);
        await store.renewLease('i1');
        const r = await store.reap();
        expect(r).toMatchObject({ deadInstances: ['dead'], removedCalls: ['t2', 't3'], freedAgents: ['a'] });
        expect(r.orphans).toEqual([
          { callId: 't1', ownerInstance: 'dead', callerNumber: '1391', calledNumber: '7100', flowId: 'f', at: t0, dialogs: dlg },
          { callId: 't2', ownerInstance: 'dead', callerNumber: '1392', calledNumber: '7100', at: t0 + 10, dialogs: dlg },
          { callId: 't3', ownerInstance: 'dead', callerNumber: '1393', calledNumber: '7100', flowId: 'f', at: t0 + 20 },
        ]);
        const removed = (await h.events()).filter((e) => e.type === 'removed-dead-instance');
        expect(removed).toEqual([
          { type: 'removed-dead-instance', at: t0 + 1020, callId: 't2', queueId: 'q', instance: 'dead', stage: 'on-call', agentId: 'a', arrivedAt: t0 + 10, callerNumber: '1392', calledNumber: '7100' },
          { type: 'removed-dead-instance', at: t0 + 1020, callId: 't3', queueId: 'q', instance: 'dead', stage: 'waiting', arrivedAt: t0 + 20, callerNumber: '1393', calledNumber: '7100', flowId: 'f' },
          { type: 'removed-dead-instance', at: t0 + 1020, callId: 't1', instance: 'dead', stage: 'ivr', arrivedAt: t0, callerNumber: '1391', calledNumber: '7100', flowId: 'f' },
        ]);
        expect((await store.agent('a'))?.state).toBe('ready');
        // Reaped once: the next reap finds nothing; the live instance's call stays tracked until it dies too.
        expect(await store.reap()).toMatchObject({ deadInstances: [], orphans: [] });
        clock.advance(2000);
        expect((await store.reap()).orphans).toEqual([{ callId: 's1', ownerInstance: 'i1', callerNumber: '1395', calledNumber: '7100', at: t0 + 20 }]);
      }, 1000);
    });

    it('expireLease: an instance restarted under the same id ends its predecessor\'s lease, and the reap frees what it held', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.renewLease('i2');
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.trackCall({ callId: 'c1', ownerInstance: 'i2', callerNumber: '1', calledNumber: '7100', at: clock.now() });
        await store.enqueue(call('c1', 'q', { ownerInstance: 'i2' }));
        await store.answer('c1');
        clock.advance(100);
        // The lease would run for almost an hour more: the new i2 ends it before its first renewal.
        await store.expireLease('i2');
        await store.expireLease('never-leased');
        expect(await store.leaseUntil('never-leased')).toBeNull();
        const r = await store.reap();
        expect(r).toMatchObject({ deadInstances: ['i2'], removedCalls: ['c1'], freedAgents: ['a'] });
        expect(r.orphans.map((o) => o.callId)).toEqual(['c1']);
        expect((await store.agent('a'))?.state).toBe('ready');
        await store.renewLease('i2');
        expect(await store.reap()).toMatchObject({ deadInstances: [] });
        expect(await store.leaseUntil('i2')).toBe(clock.now() + 3_600_000);
      });
    });

    it('"not ready after this call": a break or logout asked on a call waits for its end, not for the next waiting call', async () => {
      await withStore(async (h) => {
        const { store } = h;
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q'));
        await store.answer('c1');
        await store.requestAfterCall('a', 'break');
        expect(await store.agent('a')).toMatchObject({ state: 'on-call', afterCall: 'break' });
        expect(await store.enqueue(call('c2', 'q'))).toEqual({ status: 'queued', position: 1, length: 1 });
        // wrapUpSec 0 would make the agent ready and give it c2 in the same step: the break comes first.
        expect(await store.endCall('c1')).toEqual({ agentId: 'a', wrapUpSec: 0, offer: null });
        const a = await store.agent('a');
        expect(a).toMatchObject({ state: 'not-ready', reason: 'break' });
        expect(a?.afterCall).toBeUndefined();
        expect(await store.position('c2')).toEqual({ position: 1, length: 1 });
        const states = (await h.events()).filter((e) => e.type === 'agent-state').slice(-2);
        expect(states.map((e) => e.type === 'agent-state' && [e.from, e.to, e.reason])).toEqual([
          ['on-call', 'ready', undefined],
          ['ready', 'not-ready', 'break'],
        ]);
        // Back from the break it takes c2; a logout asked then cancelled, then asked again, waits likewise.
        expect((await store.setReady('a'))?.callId).toBe('c2');
        await store.answer('c2');
        await store.requestAfterCall('a', 'logout');
        await store.requestAfterCall('a', null);
        expect((await store.agent('a'))?.afterCall).toBeUndefined();
        await store.requestAfterCall('a', 'logout');
        await store.enqueue(call('c3', 'q'));
        expect(await store.endCall('c2')).toEqual({ agentId: 'a', wrapUpSec: 0, offer: null });
        expect((await store.agent('a'))?.state).toBe('logged-out');
        expect(await store.position('c3')).toEqual({ position: 1, length: 1 });
      });
    });

    it('after-call requests wait through wrap-up, follow a missed call or an abandoned offer, and apply at once outside a call', async () => {
      await withStore(async (h) => {
        const { store } = h;
        await store.configure({ skills: [], queues: [queue('q', { wrapUpSec: 5 })] });
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q'));
        await store.answer('c1');
        await store.requestAfterCall('a', 'lunch');
        expect(await store.endCall('c1')).toEqual({ agentId: 'a', wrapUpSec: 5, offer: null });
        expect(await store.agent('a')).toMatchObject({ state: 'wrap-up', afterCall: 'lunch' });
        await store.enqueue(call('c2', 'q'));
        expect(await store.wrapUpDone('a')).toBeNull();
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'lunch' });
        // Redirect on no answer: not-ready(missed) is recorded, then the request applies.
        expect((await store.setReady('a'))?.callId).toBe('c2');
        await store.markRinging('c2');
        await store.requestAfterCall('a', 'training');
        expect(await store.rona('c2')).toBeNull();
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'training' });
        const reasons = (await h.events()).filter((e) => e.type === 'agent-state').slice(-2);
        expect(reasons.map((e) => e.type === 'agent-state' && e.reason)).toEqual(['missed', 'training']);
        // The caller hangs up while the phone rings: the request applies instead of the next call.
        await store.setReady('a');
        await store.requestAfterCall('a', 'meeting');
        await store.enqueue(call('c3', 'q'));
        expect(await store.abandon('c2')).toEqual({ stage: 'offered', offer: null });
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'meeting' });
        expect(await store.position('c3')).toEqual({ position: 1, length: 1 });
        // An explicit request in wrap-up replaces the pending one.
        expect((await store.setReady('a'))?.callId).toBe('c3');
        await store.answer('c3');
        await store.requestAfterCall('a', 'break');
        await store.endCall('c3');
        await store.setNotReady('a', 'other');
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'other' });
        expect((await store.agent('a'))?.afterCall).toBeUndefined();
        // Outside a call it is an ordinary request, applied at once; errors are typed.
        await store.requestAfterCall('a', 'logout');
        expect((await store.agent('a'))?.state).toBe('logged-out');
        expect(await code(() => store.requestAfterCall('a', 'logout'))).toBe('AGENT_BAD_TRANSITION');
        expect(await code(() => store.requestAfterCall('ghost', 'break'))).toBe('AGENT_UNKNOWN');
        expect(await code(() => store.requestAfterCall('a', 'nap' as never))).toBe('BAD_DEFINITION');
      });
    });

    it('wrap-up ends at its deadline on whichever instance reaps, even when the instance that started it is gone', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        await store.configure({ skills: [], queues: [queue('q', { wrapUpSec: 30 })] });
        await store.renewLease('i2');
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q'));
        await store.answer('c1');
        clock.advance(1000);
        // i1 ends the call and then stops (its wrap-up timer is gone): nobody calls wrapUpDone.
        expect(await store.endCall('c1')).toEqual({ agentId: 'a', wrapUpSec: 30, offer: null });
        const end = clock.now() + 30_000;
        expect(await store.agent('a')).toMatchObject({ state: 'wrap-up', wrapUpUntil: end });
        await store.enqueue(call('c2', 'q', { ownerInstance: 'i2' }));
        clock.advance(29_999);
        expect(await store.reap()).toMatchObject({ wrapUpEnded: [], offers: [] });
        expect((await store.agent('a'))?.state).toBe('wrap-up');
        clock.advance(1);
        // i2's housekeeping reaps: the deadline is data, so the agent is freed and takes the waiting call.
        const r = await store.reap();
        expect(r).toEqual({ deadInstances: [], removedCalls: [], freedAgents: [], wrapUpEnded: ['a'], unreachable: [], offers: [{ callId: 'c2', queueId: 'q', agentId: 'a', ownerInstance: 'i2', waitedMs: 30_000, via: 'primary' }], orphans: [] });
        const a = await store.agent('a');
        expect(a).toMatchObject({ state: 'reserved', callId: 'c2' });
        expect(a?.wrapUpUntil).toBeUndefined();
        // The same events as the timer path (wrapUpDone): wrap-up -> ready, then the offer.
        const tail = (await h.events()).slice(-3).map((e) => (e.type === 'agent-state' ? `${e.from}>${e.to}` : e.type));
        expect(tail).toEqual(['wrap-up>ready', 'offered', 'ready>reserved']);
        expect(await store.expire()).toEqual({ wrapUpEnded: [], unreachable: [], offers: [] });
      });
    });

    it('a deadline ends once: a pending after-call request applies at it, and an earlier wrapUpDone or request removes it', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('q', { wrapUpSec: 10 })] });
        for (const id of ['a', 'b', 'c']) {
          await store.loginAgent(agent(id));
          await store.setReady(id);
          await store.enqueue(call(`c-${id}`, 'q'));
          await store.answer(`c-${id}`);
        }
        await store.requestAfterCall('a', 'lunch');
        for (const id of ['a', 'b', 'c']) await store.endCall(`c-${id}`);
        await store.wrapUpDone('b');
        await store.setNotReady('c', 'break');
        expect(await store.agent('b')).not.toHaveProperty('wrapUpUntil');
        await store.enqueue(call('w', 'q'));
        expect((await store.agent('b'))?.state).toBe('reserved');
        await store.abandon('w');
        clock.advance(10_000);
        expect(await store.expire()).toEqual({ wrapUpEnded: ['a'], unreachable: [], offers: [] });
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'lunch' });
        expect(await store.agent('b')).toMatchObject({ state: 'ready' });
        expect(await store.agent('c')).toMatchObject({ state: 'not-ready', reason: 'break' });
        expect(await store.reap()).toMatchObject({ wrapUpEnded: [] });
      });
    });

    it('configure recomputes the queues of agents already logged in and offers what that makes possible', async () => {
      await withStore(async ({ store }) => {
        const q1 = queue('q1', { requiredSkills: [{ skill: 't', minLevel: 3 }] });
        await store.configure({ skills: ['s', 't'], queues: [q1] });
        await store.loginAgent(agent('x', 's:2', 't:2'));
        await store.setReady('x');
        expect((await store.enqueue(call('c1', 'q1'))).status).toBe('queued');
        // A new queue x is skilled for: its first caller is offered to x at once.
        const q2 = queue('q2', { requiredSkills: [{ skill: 's', minLevel: 1 }] });
        expect(await store.configure({ skills: ['s', 't'], queues: [q1, q2] })).toEqual([]);
        expect(await store.enqueue(call('c2', 'q2'))).toMatchObject({ status: 'offered', offer: { agentId: 'x' } });
        await store.answer('c2');
        await store.endCall('c2');
        // Lowering q1's requirement makes x eligible for the caller already waiting there.
        const offers = await store.configure({ skills: ['s', 't'], queues: [{ ...q1, requiredSkills: [{ skill: 't', minLevel: 2 }] }, q2] });
        expect(offers).toMatchObject([{ callId: 'c1', agentId: 'x', via: 'primary' }]);
      });
    });

    it('a removed queue that still holds calls is retired: its callers are served, new calls refused, and it goes with its last call', async () => {
      await withStore(async ({ store }) => {
        const keep = queue('keep');
        const old = queue('old', { requiredSkills: [{ skill: 'o', minLevel: 1 }] });
        await store.configure({ skills: ['o'], queues: [keep, old] });
        await store.loginAgent(agent('y', 'o:1'));
        await store.enqueue(call('w1', 'old'));
        await store.enqueue(call('w2', 'old'));
        expect(await store.configure({ skills: [], queues: [keep] })).toEqual([]);
        expect(await code(() => store.enqueue(call('w3', 'old')))).toBe('UNKNOWN_QUEUE');
        expect(await store.queueLength('old')).toBe(2);
        expect((await store.snapshot()).queues.old).toEqual(['w1', 'w2']);
        // Its agents still match its callers.
        expect(await store.setReady('y')).toMatchObject({ callId: 'w1', agentId: 'y' });
        await store.answer('w1');
        await store.abandon('w2');
        expect(await store.queueLength('old')).toBe(0);
        await store.endCall('w1');
        expect(await code(() => store.queueLength('old'))).toBe('UNKNOWN_QUEUE');
        expect(Object.keys((await store.snapshot()).queues)).toEqual(['keep']);
        // A queue removed while empty is simply gone; one added back is open again.
        await store.configure({ skills: ['o'], queues: [keep, old] });
        expect((await store.enqueue(call('w4', 'old'))).status).toBe('offered');
      });
    });

    it('updateProfile: new skills of a logged-in agent take effect at once', async () => {
      await withStore(async ({ store }) => {
        await store.configure({ skills: ['s'], queues: [queue('q', { requiredSkills: [{ skill: 's', minLevel: 3 }] })] });
        await store.loginAgent(agent('z', 's:1'));
        await store.setReady('z');
        await store.enqueue(call('c1', 'q'));
        expect(await store.updateProfile(agent('z', 's:4'))).toMatchObject({ callId: 'c1', agentId: 'z' });
        expect(await code(() => store.updateProfile(agent('z', 'nope:1')))).toBe('UNKNOWN_SKILL');
        expect(await code(() => store.updateProfile(agent('ghost', 's:1')))).toBe('AGENT_UNKNOWN');
      });
    });

    it('an agent without a live registration gets no offers and says so; registering again makes it offerable', async () => {
      await withStore(async ({ store, clock }) => {
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.loginAgent(agent('a'));
        expect((await store.agent('a'))?.reachable).toBe(true);
        await store.setReady('a');
        expect(await store.setRegistration('a', 0)).toBeNull();
        expect(await store.agent('a')).toMatchObject({ state: 'ready', reachable: false });
        expect((await store.enqueue(call('c1', 'q'))).status).toBe('queued');
        expect(await store.tick()).toEqual([]);
        const until = clock.now() + 60_000;
        expect(await store.setRegistration('a', until)).toMatchObject({ callId: 'c1', agentId: 'a' });
        await store.answer('c1');
        await store.endCall('c1');
        // The registration lapses without a word from the phone: the reaper marks the agent unreachable.
        clock.advance(59_999);
        expect(await store.reap()).toMatchObject({ unreachable: [] });
        clock.advance(1);
        expect(await store.reap()).toMatchObject({ unreachable: ['a'] });
        expect(await store.agent('a')).toMatchObject({ state: 'ready', reachable: false });
        expect((await store.enqueue(call('c2', 'q'))).status).toBe('queued');
        // A refresh before expiry keeps it reachable.
        expect(await store.setRegistration('a', clock.now() + 1000)).toMatchObject({ callId: 'c2' });
        await store.setRegistration('a', clock.now() + 5000);
        clock.advance(1000);
        expect(await store.expire()).toEqual({ wrapUpEnded: [], unreachable: [], offers: [] });
        expect((await store.agent('a'))?.reachable).toBe(true);
        expect(await code(() => store.setRegistration('ghost', 1))).toBe('AGENT_UNKNOWN');
      });
    });

    it('a returning caller held for an agent is released when that agent logs out or loses its seat', async () => {
      await withStore(async ({ store }) => {
        await store.configure({ skills: [], queues: [queue('q', { stickyAgentSec: 60 })] });
        for (const id of ['a', 'b', 'k']) await store.loginAgent(agent(id));
        for (const [id, caller] of [['a', '555'], ['k', '777']] as const) {
          await store.setReady(id);
          await store.enqueue(call(`first-${id}`, 'q', { callerNumber: caller }));
          await store.answer(`first-${id}`);
          await store.endCall(`first-${id}`);
          await store.setNotReady(id, 'break');
        }
        await store.setReady('b');
        await store.enqueue(call('back', 'q', { callerNumber: '555' }));
        await store.enqueue(call('back2', 'q', { callerNumber: '777' }));
        expect(await store.call('back')).toMatchObject({ state: 'waiting', stickyAgent: 'a' });
        await store.logout('a');
        expect(await store.call('back')).toMatchObject({ state: 'offered', agentId: 'b' });
        expect((await store.call('back'))?.stickyAgent).toBeUndefined();
        await store.loginAgent(agent('d'));
        await store.setReady('d');
        expect(await store.call('back2')).toMatchObject({ state: 'waiting', stickyAgent: 'k' });
        await store.setRegistration('k', 0);
        expect(await store.call('back2')).toMatchObject({ state: 'offered', agentId: 'd' });
        // An unreachable last agent holds no new returning call either.
        await store.enqueue(call('back3', 'q', { callerNumber: '777' }));
        expect((await store.call('back3'))?.stickyAgent).toBeUndefined();
      });
    });

    it('carries ids with JSON-special characters unchanged through offers, results, snapshots and events', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        const [aid, cid, inst, caller] = ['a"\\1\t', 'c\\"2\u0001é', 'i"3/', '+1"\\'];
        await store.configure({ skills: [], queues: [queue('q', { wrapUpSec: 2 })] });
        await store.renewLease(inst);
        await store.loginAgent(agent(aid));
        await store.setReady(aid);
        clock.advance(10);
        const offer = { callId: cid, queueId: 'q', agentId: aid, ownerInstance: inst, waitedMs: 0, via: 'primary' };
        expect(await store.enqueue(call(cid, 'q', { ownerInstance: inst, callerNumber: caller }))).toEqual({ status: 'offered', offer });
        expect(await store.takeOffers(inst)).toEqual([offer]);
        expect((await store.call(cid))?.callerNumber).toBe(caller);
        clock.advance(5);
        await store.answer(cid);
        expect(await store.endCall(cid)).toEqual({ agentId: aid, wrapUpSec: 2, offer: null });
        const ev = await h.events();
        expect(ev.find((e) => e.type === 'offered')).toEqual({ type: 'offered', at: clock.now() - 5, ...offer });
        expect(ev.find((e) => e.type === 'enqueued')).toMatchObject({ callId: cid, callerNumber: caller, ownerInstance: inst });
        expect(ev.find((e) => e.type === 'ended')).toEqual({ type: 'ended', at: clock.now(), callId: cid, agentId: aid, talkMs: 0, hungUpBy: 'agent' });
      });
    });

    it('giveBack: the call back at the head of its queue, the agent ready (no miss), event offer-returned not rona', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q'));
        await store.markRinging('c1');
        clock.advance(1);
        await store.enqueue(call('c2', 'q'));
        expect(await code(() => store.giveBack('c1', 'other'))).toBe('CALL_BAD_STATE');
        expect(await code(() => store.giveBack('c2', 'a'))).toBe('CALL_BAD_STATE');
        expect(await code(() => store.giveBack('ghost', 'a'))).toBe('CALL_UNKNOWN');
        clock.advance(1000);
        // Nobody else is ready: the call goes back to the head (before c2), and the ready agent takes it again.
        expect(await store.giveBack('c1', 'a')).toEqual([{ callId: 'c1', queueId: 'q', agentId: 'a', ownerInstance: 'i1', waitedMs: 1001, via: 'primary' }]);
        expect(await store.agent('a')).toMatchObject({ state: 'reserved', callId: 'c1' });
        await store.abandon('c2');
        // With another agent ready the call goes to it, and the agent given back is ready.
        await store.loginAgent(agent('b'));
        await store.setReady('b');
        expect(await store.giveBack('c1', 'a')).toEqual([expect.objectContaining({ callId: 'c1', agentId: 'b' })]);
        expect(await store.agent('a')).toMatchObject({ state: 'ready' });
        // A pending "not ready after this call" applies instead of ready.
        await store.enqueue(call('c3', 'q'));
        await store.requestAfterCall('a', 'break');
        expect(await store.giveBack('c3', 'a')).toEqual([]);
        expect(await store.agent('a')).toMatchObject({ state: 'not-ready', reason: 'break' });
        expect(await store.position('c3')).toEqual({ position: 1, length: 1 });
        const ev = await h.events();
        expect(ev.filter((e) => e.type === 'rona')).toEqual([]);
        expect(ev.filter((e) => e.type === 'offer-returned').map((e) => e.type === 'offer-returned' && [e.callId, e.agentId, e.queueId])).toEqual([
          ['c1', 'a', 'q'],
          ['c1', 'a', 'q'],
          ['c3', 'a', 'q'],
        ]);
        expect(ev.some((e) => e.type === 'agent-state' && e.reason === 'missed')).toBe(false);
      });
    });

    it('moveCall: a waiting call changes queue keeping its place by arrival; refused with stable codes otherwise', async () => {
      await withStore(async (h) => {
        const { store, clock } = h;
        await store.configure({ skills: ['x', 'y'], queues: [queue('q1'), queue('q2'), queue('old')] });
        await store.enqueue(call('early', 'q1'));
        clock.advance(10);
        await store.enqueue(call('q2a', 'q2'));
        clock.advance(10);
        await store.enqueue(call('q2b', 'q2'));
        await store.enqueue(call('o1', 'old'));
        await store.enqueue(call('o2', 'old'));
        const y = [{ skill: 'y', minLevel: 1 as const }];
        await store.configure({ skills: ['x', 'y'], queues: [queue('q1', { requiredSkills: [{ skill: 'x', minLevel: 1 }] }), queue('q2', { requiredSkills: [{ skill: 'x', minLevel: 1 }] }), queue('q3', { requiredSkills: y })] });
        expect(await code(() => store.moveCall('early', 'nope'))).toBe('UNKNOWN_QUEUE');
        expect(await code(() => store.moveCall('early', 'old'))).toBe('UNKNOWN_QUEUE');
        expect(await code(() => store.moveCall('ghost', 'q2'))).toBe('CALL_UNKNOWN');
        expect(await store.moveCall('early', 'q1')).toEqual({ status: 'queued', position: 1, length: 1 });
        clock.advance(30_000);
        // It arrived first, so it is first in q2 too, with its arrival time unchanged.
        expect(await store.moveCall('early', 'q2')).toEqual({ status: 'queued', position: 1, length: 3 });
        expect(await store.call('early')).toMatchObject({ queueId: 'q2', state: 'waiting', arrivedAt: T0 });
        expect(await store.queueLength('q1')).toBe(0);
        expect((await store.snapshot()).queues.q2).toEqual(['early', 'q2a', 'q2b']);
        // A retired queue goes with its last call, moved out or not.
        await store.moveCall('o1', 'q1');
        await store.moveCall('o2', 'q1');
        expect(await code(() => store.queueLength('old'))).toBe('UNKNOWN_QUEUE');
        expect((await store.snapshot()).queues.q1).toEqual(['o1', 'o2']);
        // Matched at once when an agent of the new queue is ready; waitedMs counts from the original arrival.
        await store.loginAgent(agent('a', 'x:1'));
        await store.setReady('a');
        expect(await store.call('early')).toMatchObject({ state: 'offered', agentId: 'a' });
        expect(await code(() => store.moveCall('early', 'q1'))).toBe('CALL_BAD_STATE');
        await store.answer('early');
        expect(await code(() => store.moveCall('early', 'q1'))).toBe('CALL_BAD_STATE');
        // Moved into q1 it goes before o1 and o2, which arrived later.
        expect(await store.moveCall('q2a', 'q1')).toEqual({ status: 'queued', position: 1, length: 3 });
        expect((await store.snapshot()).queues.q1).toEqual(['q2a', 'o1', 'o2']);
        // An agent of the target queue is ready: offered at once, waitedMs from the original arrival.
        await store.loginAgent(agent('e', 'y:1'));
        await store.setReady('e');
        expect(await store.moveCall('q2b', 'q3')).toEqual({ status: 'offered', offer: { callId: 'q2b', queueId: 'q3', agentId: 'e', ownerInstance: 'i1', waitedMs: 30_000, via: 'primary' } });
        const moved = (await h.events()).filter((e) => e.type === 'moved');
        expect(moved.map((e) => e.type === 'moved' && [e.callId, e.fromQueue, e.toQueue])).toEqual([
          ['early', 'q1', 'q2'],
          ['o1', 'old', 'q1'],
          ['o2', 'old', 'q1'],
          ['q2a', 'q2', 'q1'],
          ['q2b', 'q2', 'q3'],
        ]);
      });
    });

    it('liveCalls: every call of every instance, as the snapshot has them, and none once they leave', async () => {
      await withStore(async ({ store }) => {
        await store.configure({ skills: [], queues: [queue('q'), queue('r')] });
        await store.renewLease('i2');
        expect(await store.liveCalls()).toEqual([]);
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        await store.enqueue(call('c1', 'q'));
        await store.answer('c1');
        await store.enqueue(call('c2', 'r', { ownerInstance: 'i2' }));
        await store.enqueue(call('c3', 'q'));
        const byId = <T extends { callId: string }>(xs: T[]): T[] => [...xs].sort((x, y) => (x.callId < y.callId ? -1 : 1));
        const live = byId(await store.liveCalls());
        expect(live.map((c) => [c.callId, c.state, c.ownerInstance])).toEqual([['c1', 'on-call', 'i1'], ['c2', 'waiting', 'i2'], ['c3', 'waiting', 'i1']]);
        expect(live).toEqual(byId((await store.snapshot()).calls));
        await store.abandon('c2');
        await store.endCall('c1');
        expect((await store.liveCalls()).map((c) => c.callId)).toEqual(['c3']);
      });
    });

    it('abandon by a supervisor says so in its event; the caller\'s own abandon does not', async () => {
      await withStore(async (h) => {
        const { store } = h;
        await store.configure({ skills: [], queues: [queue('q')] });
        await store.enqueue(call('w', 'q'));
        await store.enqueue(call('w2', 'q'));
        await store.loginAgent(agent('a'));
        await store.setReady('a');
        expect(await store.abandon('w2', 'operator')).toEqual({ stage: 'waiting', offer: null });
        expect(await store.abandon('w', 'operator')).toEqual({ stage: 'offered', offer: null });
        await store.enqueue(call('x', 'q'));
        await store.abandon('x');
        const ab = (await h.events()).filter((e) => e.type === 'abandoned');
        expect(ab).toEqual([
          expect.objectContaining({ callId: 'w2', stage: 'waiting', by: 'operator' }),
          expect.objectContaining({ callId: 'w', stage: 'offered', agentId: 'a', by: 'operator' }),
          expect.objectContaining({ callId: 'x', stage: 'offered', agentId: 'a' }),
        ]);
        expect(ab[2]).not.toHaveProperty('by');
      });
    });
  });
}
