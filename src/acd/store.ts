/**
 * The ACD store port: every operation the call session, the agent API and the simulator perform on queues and
 * agents. Two implementations apply the SAME rules (src/acd/eligibility.ts, policy.ts, states.ts, ordering.ts):
 *
 *  - MemoryAcdStore (src/acd/memory-store.ts): synchronous, in-process, indexed. Its methods return plain values,
 *    so the simulator calls them directly (`const r = store.enqueue(req)`), millions of times per run.
 *  - RedisAcdStore (src/store/redis/): every method is one atomic Lua function (operations issued in the same tick
 *    travel together in one batch FCALL, each still atomic and in order); methods return Promises. Shared by
 *    several app instances.
 *
 * Methods are typed `T | Promise<T>` (`Maybe<T>`) so code written against the port simply `await`s; awaiting a
 * plain value is harmless. Time comes from the Clock given to the store (virtual in tests and the simulator).
 *
 * How to drive it (one call):
 *   configure({ skills, queues }) once; renewLease(instance) every leaseMs/3;
 *   loginAgent(profile) -> not-ready; setReady(agentId) -> maybe an Offer;
 *   enqueue(call) -> { status: 'offered', offer } or { status: 'queued', position, length };
 *   offers are ALSO put in the owner instance's inbox: the owner drains takeOffers(instance) and rings the agent
 *   (markRinging), then answer(callId) on pick-up, or rona(callId) when the answer timer fires (agent becomes
 *   not-ready(missed), call returns to the head of its queue and may be offered again at once);
 *   abandon(callId) whenever the caller hangs up (waiting, offered or talking);
 *   endCall(callId) when the agent hangs up -> agent in wrap-up (or ready when wrapUpSec is 0);
 *   wrapUpDone(agentId) -> ready; setNotReady / logout between calls.
 *   requestAfterCall(agentId, 'break' | ... | 'logout'): "not ready after this call". While the agent holds a call or
 *   is in wrap-up, the request waits and is applied where the agent would otherwise become ready and take the next
 *   call: at the end of the call with no wrap-up (the agent passes through ready for 0 ms, unmatched), at
 *   wrapUpDone, after a redirect on no answer (not-ready(missed) first), when an offered call is abandoned or its
 *   instance is reaped. Outside a call it applies at once. null cancels; setReady / setNotReady / logout replace it.
 *   tick() about once a second: time-based overflow and sticky windows only open with time, so something must
 *   look again (the Redis store also trims its event stream there); reap() about once a second on any instance: frees what dead instances held
 *   and ends every agent deadline that is due (expire), so nothing an instance started waits on that instance.
 * Deadlines are data: an agent's wrap-up end and its seat registration's expiry are kept in the store (Redis: the
 *   sorted sets `dl` and `regdl`), and expire() ends the due ones, exactly as wrapUpDone / setRegistration would.
 *   An in-process timer (the call bridge's wrap-up timer) is only a shortcut that calls expire() on time; when its
 *   instance stops or dies, the next reap() on any live instance does the same. Reserved and ringing offers need no
 *   deadline of their own: they belong to the call's instance and end with its lease (reap) or its answer timer.
 * Registration: setRegistration(agentId, until) records until when the agent's seat is registered; an agent whose
 *   registration is not live is `reachable: false` and receives no offers (it keeps its state), and calls held for
 *   it as a returning caller's agent are released. An agent never given a registration counts as reachable (the
 *   simulator and tests without seats).
 * configure() may run at any time (a hot-reloaded queues.yaml): it recomputes which queues each logged-in agent
 *   serves and returns the offers that makes. A queue removed while it still holds calls is retired: its calls are
 *   served as before, new calls to it get UNKNOWN_QUEUE, and it disappears with its last call.
 * Every operation that makes an agent ready or a call wait tries to match at once and returns the offers made.
 */
import type { AfterCallRequest, AgentProfile, AgentState, CallRequest, NotReadyReason, Offer, QueueDefinition } from './model.js';
import type { AcdEvent } from './events.js';

export type Maybe<T> = T | Promise<T>;

export interface AcdSetup {
  /** The skill catalogue: queue requirements and agent skills must name these. */
  skills: readonly string[];
  queues: readonly QueueDefinition[];
}

export type EnqueueResult =
  | { status: 'offered'; offer: Offer }
  | { status: 'queued'; position: number; length: number };

export interface AbandonResult {
  stage: 'waiting' | 'offered' | 'on-call';
  /** When the abandon freed an agent, the call that agent was matched with next, if any. */
  offer: Offer | null;
}

export interface EndCallResult {
  agentId: string;
  /** Seconds of wrap-up the driver should time before calling wrapUpDone (0: the agent is ready already). */
  wrapUpSec: number;
  offer: Offer | null;
}

export interface ExpireResult {
  /** Agents whose wrap-up ended (ready, or the state they asked for after the call). */
  wrapUpEnded: string[];
  /** Agents whose seat registration lapsed (now reachable: false). */
  unreachable: string[];
  offers: Offer[];
}

export interface ReapResult {
  deadInstances: string[];
  removedCalls: string[];
  freedAgents: string[];
  /** What the deadlines due at the same time did (see expire). */
  wrapUpEnded: string[];
  unreachable: string[];
  offers: Offer[];
  /**
   * The calls the dead instances were tracking (trackCall), in arrival order: each got a `removed-dead-instance`
   * event (so a record), and whoever reaped hangs up their SIP dialogs (nobody else sees them again).
   */
  orphans: TrackedCall[];
}

/**
 * A call an instance carries, from its answer to its record, the IVR included (trackCall): when the instance dies
 * (its lease runs out), the reaper still gives every such call a record, and hands its SIP dialogs to the instance
 * that reaped, which hangs them up. Calls in the ACD are known anyway; this covers the rest of a call's life (menus,
 * the survey after the agent) and carries what the record needs (arrival time, numbers, flow).
 */
export interface TrackedCall {
  callId: string;
  ownerInstance: string;
  callerNumber: string;
  calledNumber: string;
  flowId?: string;
  /** When the call was answered (epoch ms of the store clock): the record's arrival time. */
  at: number;
  /** The SIP adapter's plain description of the call's dialogs (the caller's, a seat's while answered); opaque here. */
  dialogs?: readonly Readonly<Record<string, string>>[];
}

export interface AgentSnapshot {
  id: string;
  state: AgentState;
  reason?: NotReadyReason;
  since: number;
  readySince: number;
  talkMs: number;
  callId?: string;
  /** A pending "not ready after this call" request. */
  afterCall?: AfterCallRequest;
  /** In wrap-up: when it ends (epoch ms), whichever instance is alive then. */
  wrapUpUntil?: number;
  /** False while the agent's seat has no live registration: no offers reach it. */
  reachable: boolean;
}

export type CallState = 'waiting' | 'offered' | 'on-call';

export interface CallSnapshot {
  callId: string;
  queueId: string;
  state: CallState;
  priority: number;
  callerNumber: string;
  ownerInstance: string;
  arrivedAt: number;
  agentId?: string;
  stickyAgent?: string;
}

/** Who served a caller last and when (the ACD keeps it 90 days), and whether that agent can take calls now. */
export interface LastServed {
  agentId: string;
  /** When that call ended (epoch ms). */
  at: number;
  /** Logged in (any state but logged-out) with a reachable seat: the test a sticky hold uses. */
  active: boolean;
}

export interface StoreSnapshot {
  agents: AgentSnapshot[];
  calls: CallSnapshot[];
  /** Waiting call ids per queue, in queue order. */
  queues: Record<string, string[]>;
  leases: Record<string, number>;
}

export interface AcdStore {
  /** Skills and queues, at start and on every good edit: recomputes which queues each logged-in agent serves
   * (retiring removed queues that still hold calls) and returns the offers that makes. */
  configure(setup: AcdSetup): Maybe<Offer[]>;
  loginAgent(profile: AgentProfile): Maybe<void>;
  /** New skills of a logged-in agent (AGENT_UNKNOWN if it never logged in): its queues are recomputed at once. */
  updateProfile(profile: AgentProfile): Maybe<Offer | null>;
  /** Until when the agent's seat is registered (epoch ms; 0 or past: not registered). AGENT_UNKNOWN before login. */
  setRegistration(agentId: string, until: number): Maybe<Offer | null>;
  setReady(agentId: string): Maybe<Offer | null>;
  setNotReady(agentId: string, reason: NotReadyReason): Maybe<void>;
  logout(agentId: string): Maybe<void>;
  /** "Not ready after this call" (see above); null cancels a pending request. */
  requestAfterCall(agentId: string, next: AfterCallRequest | null): Maybe<void>;
  enqueue(call: CallRequest): Maybe<EnqueueResult>;
  markRinging(callId: string): Maybe<void>;
  answer(callId: string): Maybe<void>;
  rona(callId: string): Maybe<Offer | null>;
  /**
   * Give an offer back after a failure of OURS (src/call/errors.ts seatFailureOwner 'ours': media set-up, store,
   * SIP stack): the call goes back to the head of its queue and the agent, who did nothing wrong, becomes ready (or
   * takes its pending "not ready after this call" state). Event `offer-returned`, never `rona`: no miss is counted.
   * CALL_UNKNOWN / CALL_BAD_STATE when the call is not offered to `agentId`. Returns the offers it made (the call to
   * another agent, the agent to another call).
   */
  giveBack(callId: string, agentId: string): Maybe<Offer[]>;
  /**
   * Move a WAITING call to another queue (a supervisor's request). It keeps its arrival time and its place by
   * arrival (app_queue and mod_callcenter order by time in the system, not time in this queue: a caller moved by us
   * is not sent to the back for it); a sticky hold is dropped (the last agent may not serve the new queue). Refused,
   * changing nothing: CALL_UNKNOWN; CALL_BAD_STATE when offered or on a call; UNKNOWN_QUEUE for an unknown or
   * retired target. Moving to its own queue changes nothing. Returns the new place, or the offer made at once.
   */
  moveCall(callId: string, queueId: string): Maybe<EnqueueResult>;
  /** `by: 'operator'`: a supervisor ended the call, not the caller; its `abandoned` event says so (not counted as an
   * abandon by the KPIs, as the call record's disposition ended-by-operator is not). */
  abandon(callId: string, by?: 'operator'): Maybe<AbandonResult>;
  endCall(callId: string): Maybe<EndCallResult>;
  wrapUpDone(agentId: string): Maybe<Offer | null>;
  tick(): Maybe<Offer[]>;
  position(callId: string): Maybe<{ position: number; length: number } | null>;
  /**
   * A call arrived (before the IVR): appended to the event stream only, no ACD state changes. The call path does not
   * wait on it (fire and forget, its error logged): a lost arrival costs a webhook, never a call.
   */
  recordArrival(e: Omit<Extract<AcdEvent, { type: 'arrived' }>, 'type' | 'at'>): Maybe<void>;
  /**
   * Track a call of `call.ownerInstance` until untrackCall (see TrackedCall); a second call with the same id replaces
   * the entry (a seat's dialog added). No ACD state changes; reap() reads it when the instance is dead.
   */
  trackCall(call: TrackedCall): Maybe<void>;
  /** The call's record is written: the reaper has nothing more to do for it. Idempotent. */
  untrackCall(instance: string, callId: string): Maybe<void>;
  queueLength(queueId: string): Maybe<number>;
  /** The agent who last served this caller number, for a returning-caller IVR node; null when none is known. */
  lastServed(callerNumber: string): Maybe<LastServed | null>;
  agent(agentId: string): Maybe<AgentSnapshot | null>;
  call(callId: string): Maybe<CallSnapshot | null>;
  /** Every call in the ACD (waiting, offered, on a call), in no particular order: O(calls), read through the
   * per-instance call indexes, not the agents (the API's live call list). */
  liveCalls(): Maybe<CallSnapshot[]>;
  renewLease(instance: string): Maybe<void>;
  /**
   * End `instance`'s lease now, if it holds one: the next reap() treats it as dead. An instance starting under the
   * id of one that just died (a restart faster than the lease: same INSTANCE_ID, or a container's same host name and
   * pid 1) calls this and reaps before its first renewal, or its predecessor's calls and agents would stay held.
   */
  expireLease(instance: string): Maybe<void>;
  reap(): Maybe<ReapResult>;
  /** When `instance`'s lease runs out (the store clock's epoch ms); null when it holds none. */
  leaseUntil(instance: string): Maybe<number | null>;
  /** Ends every agent deadline due now (wrap-up end, registration expiry), atomically. */
  expire(): Maybe<ExpireResult>;
  takeOffers(instance: string, max?: number): Maybe<Offer[]>;
  /** Everything, for tests, invariant checks and admin views: O(size), not for the hot path. */
  snapshot(): Maybe<StoreSnapshot>;
}
