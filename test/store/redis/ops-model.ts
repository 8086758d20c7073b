/**
 * Random ACD workloads for the differential and property tests: a fixed small world (3 skills, 4 queues with
 * overflow, sticky and every policy, 6 agents, 3 instances) and op sequences over it, applied to any AcdStore.
 */
import fc from 'fast-check';
import type { AcdEvent } from '../../../src/acd/events.js';
import { NOT_READY_REASONS } from '../../../src/acd/model.js';
import { AFTER_CALL_WAITS } from '../../../src/acd/states.js';
import type { AcdSetup, AcdStore, StoreSnapshot } from '../../../src/acd/store.js';
import type { VirtualClock } from '../../../src/core/clock.js';
import { agent, queue } from '../../acd/fixtures.js';

export const SETUP: AcdSetup = {
  skills: ['en', 'fr', 'tax'],
  queues: [
    queue('general', { requiredSkills: [{ skill: 'en', minLevel: 1 }], policy: 'longest-idle', overflow: { secondaryAfterSec: 10 }, stickyAgentSec: 15 }),
    queue('tax', { requiredSkills: [{ skill: 'tax', minLevel: 3 }], priority: 5, policy: 'highest-skill', overflow: { secondaryAfterSec: 5, toQueue: 'general', queueAfterSec: 20 }, wrapUpSec: 5 }),
    queue('french', { requiredSkills: [{ skill: 'fr', minLevel: 2 }], policy: 'round-robin', overflow: { toQueue: 'general', queueAfterSec: 8 } }),
    queue('vip', { requiredSkills: [{ skill: 'en', minLevel: 4 }], priority: 9, policy: 'least-talk-time', stickyAgentSec: 30 }),
  ],
};

/** The queues.yaml edits a run may apply: SETUP again, or one without 'french' (retired while it holds calls) and
 * with tax open to level 2 (agents already logged in gain it). */
export const SETUPS: AcdSetup[] = [
  SETUP,
  {
    skills: SETUP.skills,
    queues: SETUP.queues.filter((q) => q.id !== 'french').map((q) => (q.id === 'tax' ? { ...q, requiredSkills: [{ skill: 'tax', minLevel: 2 as const }] } : q)),
  },
];

export const AGENTS = [
  agent('a0', 'en:5', 'tax:3'),
  agent('a1', 'en:2', 'fr:3'),
  agent('a2', 'tax:5', 'en:1s'),
  agent('a3', 'fr:2', 'tax:4s'),
  agent('a4', 'en:4'),
  agent('a5', 'tax:3', 'fr:1'),
];
export const INSTANCES = ['i0', 'i1', 'i2'];
const QUEUE_IDS = SETUP.queues.map((q) => q.id);

export type Op =
  | { op: 'advance'; ms: number }
  | { op: 'login' | 'setReady' | 'logout' | 'wrapUpDone'; a: number }
  | { op: 'setNotReady'; a: number; reason: number }
  /** next: a NOT_READY_REASONS index, or one past them for logout, two past for cancel (null). */
  | { op: 'requestAfterCall'; a: number; next: number }
  /** hold: 0 the queue's rule, 1 'none', 2+ held for AGENTS[hold - 2] for 20 s (a returning caller's choice). */
  | { op: 'enqueue'; c: number; q: number; caller: number; prio: number; inst: number; hold: number }
  | { op: 'lastServed'; caller: number }
  | { op: 'markRinging' | 'answer' | 'rona' | 'abandon' | 'endCall'; c: number }
  | { op: 'tick' | 'reap' | 'expire' }
  /** Give the offer of call c back from agent a (a failure of ours); move waiting call c to queue q. */
  | { op: 'giveBack'; c: number; a: number }
  | { op: 'moveCall'; c: number; q: number }
  | { op: 'abandonByOperator'; c: number }
  /** dt < 0: not registered; else registered until now + dt. */
  | { op: 'setRegistration'; a: number; dt: number }
  | { op: 'configure'; v: number }
  | { op: 'renew' | 'kill'; inst: number }
  /** Track call c as a call of instance inst from its answer (AcdStore.trackCall), or drop the tracking. */
  | { op: 'track' | 'untrack'; c: number; inst: number };

const idx = (n: number) => fc.integer({ min: 0, max: n - 1 });
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(0, 1000, 5000, 8000, 10_000, 15_000), fc.integer({ min: 1, max: 12_000 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('login' as const), a: idx(AGENTS.length) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('setReady' as const), a: idx(AGENTS.length) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('logout' as const, 'wrapUpDone' as const), a: idx(AGENTS.length) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setNotReady' as const), a: idx(AGENTS.length), reason: idx(NOT_READY_REASONS.length) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('requestAfterCall' as const), a: idx(AGENTS.length), next: idx(NOT_READY_REASONS.length + 2) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('enqueue' as const), c: idx(40), q: idx(QUEUE_IDS.length + 1), caller: idx(4), prio: idx(3), inst: idx(INSTANCES.length), hold: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: idx(AGENTS.length + 2) }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lastServed' as const), caller: idx(4) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('markRinging' as const, 'answer' as const, 'rona' as const, 'abandon' as const, 'endCall' as const), c: idx(40) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('tick' as const, 'reap' as const, 'expire' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('giveBack' as const), c: idx(40), a: idx(AGENTS.length) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('moveCall' as const), c: idx(40), q: idx(QUEUE_IDS.length + 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('abandonByOperator' as const), c: idx(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setRegistration' as const), a: idx(AGENTS.length), dt: fc.constantFrom(-1, 3000, 20_000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('configure' as const), v: idx(SETUPS.length) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renew' as const), inst: idx(INSTANCES.length) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('kill' as const), inst: idx(INSTANCES.length) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('track' as const, 'untrack' as const), c: idx(40), inst: idx(INSTANCES.length) }) },
);

/** Per-run driver state: killed instances never renew again (that is what dying means to the others). */
export interface World {
  killed: Set<string>;
}

/** Applies one op; returns its result or `{ error: code }`, so two stores can be compared op by op. */
export async function applyOp(store: AcdStore, clock: VirtualClock, world: World, o: Op): Promise<unknown> {
  try {
    switch (o.op) {
      case 'advance':
        clock.advance(o.ms);
        return null;
      case 'login':
        return (await store.loginAgent(AGENTS[o.a]!)) ?? null;
      case 'setReady':
        return await store.setReady(AGENTS[o.a]!.id);
      case 'logout':
        return (await store.logout(AGENTS[o.a]!.id)) ?? null;
      case 'wrapUpDone':
        return await store.wrapUpDone(AGENTS[o.a]!.id);
      case 'setNotReady':
        return (await store.setNotReady(AGENTS[o.a]!.id, NOT_READY_REASONS[o.reason]!)) ?? null;
      case 'requestAfterCall':
        return (await store.requestAfterCall(AGENTS[o.a]!.id, NOT_READY_REASONS[o.next] ?? (o.next === NOT_READY_REASONS.length ? 'logout' : null))) ?? null;
      case 'enqueue':
        return await store.enqueue({
          callId: `c${o.c}`,
          queueId: QUEUE_IDS[o.q] ?? 'no-such-queue',
          callerNumber: `+8610${o.caller}`,
          priority: o.prio,
          ownerInstance: INSTANCES[o.inst]!,
          ...(o.hold === 0 ? {} : { hold: o.hold === 1 ? ('none' as const) : { agentId: AGENTS[o.hold - 2]!.id, sec: 20 } }),
        });
      case 'lastServed':
        return await store.lastServed(`+8610${o.caller}`);
      case 'markRinging':
      case 'answer':
        return (await store[o.op](`c${o.c}`)) ?? null;
      case 'rona':
      case 'abandon':
      case 'endCall':
        return await store[o.op](`c${o.c}`);
      case 'giveBack':
        return await store.giveBack(`c${o.c}`, AGENTS[o.a]!.id);
      case 'moveCall':
        return await store.moveCall(`c${o.c}`, QUEUE_IDS[o.q] ?? 'no-such-queue');
      case 'abandonByOperator':
        return await store.abandon(`c${o.c}`, 'operator');
      case 'tick':
        return await store.tick();
      case 'reap':
        return await store.reap();
      case 'expire':
        return await store.expire();
      case 'setRegistration':
        return await store.setRegistration(AGENTS[o.a]!.id, o.dt < 0 ? 0 : clock.now() + o.dt);
      case 'configure':
        return await store.configure(SETUPS[o.v]!);
      case 'renew':
        if (world.killed.has(INSTANCES[o.inst]!)) return 'dead';
        return (await store.renewLease(INSTANCES[o.inst]!)) ?? null;
      case 'kill':
        world.killed.add(INSTANCES[o.inst]!);
        return null;
      case 'track':
        return (
          (await store.trackCall({
            callId: `c${o.c}`,
            ownerInstance: INSTANCES[o.inst]!,
            callerNumber: `+8610${o.c % 4}`,
            calledNumber: '7100',
            at: clock.now(),
            ...(o.c % 2 === 0 ? { flowId: 'f', dialogs: [{ callId: `sip-${o.c}`, localTag: 't' }] } : {}),
          })) ?? null
        );
      case 'untrack':
        return (await store.untrackCall(INSTANCES[o.inst]!, `c${o.c}`)) ?? null;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!code || code === 'STORE_UNAVAILABLE') throw e;
    return { error: code };
  }
}

export function normalise(s: StoreSnapshot): StoreSnapshot {
  return {
    agents: [...s.agents].sort((a, b) => (a.id < b.id ? -1 : 1)),
    calls: [...s.calls].sort((a, b) => (a.callId < b.callId ? -1 : 1)),
    queues: s.queues,
    leases: s.leases,
  };
}

/**
 * The safety invariants of the issue, checked on a snapshot plus the events so far. Returns the violations.
 * `afterReap`: the step was a reap, so no expired lease may still hold anything.
 */
export function violations(snap: StoreSnapshot, events: readonly AcdEvent[], now: number, afterReap: boolean, enqueued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const calls = new Map(snap.calls.map((c) => [c.callId, c]));
  const holder = new Map<string, string>();
  for (const c of snap.calls) {
    if (c.state === 'waiting') {
      if (c.agentId) out.push(`waiting call ${c.callId} names agent ${c.agentId}`);
      if (!snap.queues[c.queueId]?.includes(c.callId)) out.push(`waiting call ${c.callId} is not in queue ${c.queueId}`);
      continue;
    }
    if (!c.agentId) {
      out.push(`${c.state} call ${c.callId} has no agent`);
      continue;
    }
    const prev = holder.get(c.agentId);
    if (prev) out.push(`agent ${c.agentId} on two calls: ${prev} and ${c.callId}`);
    holder.set(c.agentId, c.callId);
  }
  for (const a of snap.agents) {
    // A "not ready after this call" request only ever waits on a call or its wrap-up.
    if (a.afterCall !== undefined && !AFTER_CALL_WAITS.includes(a.state)) out.push(`agent ${a.id} is ${a.state} with a pending after-call ${a.afterCall}`);
    const busy = a.state === 'reserved' || a.state === 'ringing' || a.state === 'on-call';
    if (busy !== (a.callId !== undefined)) out.push(`agent ${a.id} is ${a.state} with call ${a.callId ?? 'none'}`);
    if (!busy) {
      if (holder.has(a.id)) out.push(`agent ${a.id} is ${a.state} but call ${holder.get(a.id)} holds it`);
      continue;
    }
    const c = calls.get(a.callId!);
    if (!c || c.agentId !== a.id) out.push(`agent ${a.id} holds call ${a.callId} which does not hold it`);
    else if ((a.state === 'on-call') !== (c.state === 'on-call')) out.push(`agent ${a.id} ${a.state} vs call ${c.callId} ${c.state}`);
    if (c && afterReap && !((snap.leases[c.ownerInstance] ?? -Infinity) > now)) out.push(`agent ${a.id} reserved for ${c.callId} without a live lease of ${c.ownerInstance}`);
  }
  for (const [q, ids] of Object.entries(snap.queues)) {
    for (const id of ids) if (calls.get(id)?.state !== 'waiting') out.push(`queue ${q} lists ${id} which is not waiting`);
  }
  // Offers: between two offers of one call there must be a redirect on no answer.
  const offeredOpen = new Set<string>();
  const closed = new Set<string>();
  for (const e of events) {
    if (e.type === 'offered') {
      if (offeredOpen.has(e.callId)) out.push(`call ${e.callId} offered twice`);
      offeredOpen.add(e.callId);
    } else if (e.type === 'rona' || e.type === 'offer-returned') offeredOpen.delete(e.callId);
    else if (e.type === 'ended' || e.type === 'abandoned' || e.type === 'removed-dead-instance') {
      offeredOpen.delete(e.callId);
      closed.add(e.callId);
    } else if (e.type === 'enqueued') closed.delete(e.callId);
  }
  for (const id of enqueued) if (!calls.has(id) && !closed.has(id)) out.push(`call ${id} vanished without a record`);
  return out;
}
