import type { Clock } from '../core/clock.js';
import { AcdError } from './errors.js';
import { betterCandidate, isValidHold, serveEntries, stageAllows, stickyBlocks, type CallCandidate, type ServeEntry, type ServeVia } from './eligibility.js';
import type { AcdEvent } from './events.js';
import type { AfterCallRequest, AgentProfile, AgentState, CallRequest, NotReadyReason, Offer, QueueDefinition } from './model.js';
import { isValidCallPriority, queueScore } from './ordering.js';
import { readyScore } from './policy.js';
import { validateProfile, validateReason, validateSetup } from './setup.js';
import { SortedIndex } from './sorted-index.js';
import { AFTER_CALL_WAITS, afterCallTarget, assertAgentRequest, assertTransition, validateAfterCall } from './states.js';
import type {
  AbandonResult,
  AcdSetup,
  AcdStore,
  AgentSnapshot,
  CallSnapshot,
  CallState,
  EndCallResult,
  EnqueueResult,
  LastServed,
  ExpireResult,
  ReapResult,
  TrackedCall,
  StoreSnapshot,
} from './store.js';

/** How many waiting calls a match looks at per queue when the head is not eligible (young for overflow, held
 * for another agent, owner dead). The Redis store uses the same bound so both pick the same call. */
export const MATCH_SCAN_LIMIT = 64;
/** Smaller bound for secondary and overflow-queue entries: their calls are usually too young, and under overload a
 * long scan per freed agent is what would slow every match down. */
export const OVERFLOW_SCAN_LIMIT = 8;

export interface MemoryAcdStoreOptions {
  clock: Clock;
  /** Lease length (ms). Infinity: leases never expire (single-process simulation). */
  leaseMs?: number;
  onEvent?: (e: AcdEvent) => void;
  /** Keep offers in per-instance inboxes for takeOffers (default true). A simulator that acts on returned offers
   * turns this off so the inboxes do not grow. */
  inbox?: boolean;
}

interface AgentRec {
  id: string;
  profile: AgentProfile;
  state: AgentState;
  reason: NotReadyReason | undefined;
  since: number;
  readySince: number;
  talkMs: number;
  callId: string | undefined;
  serves: ServeEntry[];
  rr: Map<string, number>;
  /** Pending "not ready after this call"; only ever set in AFTER_CALL_WAITS states. */
  after: AfterCallRequest | undefined;
  /** In wrap-up: when it ends (also in `deadlines`). */
  wrapUntil: number | undefined;
  /** Registration expiry given by setRegistration (undefined: never given, reachable). */
  regUntil: number | undefined;
  /** Changed only by setRegistration and expire, so matching and snapshots agree. */
  reachable: boolean;
}

interface CallRec {
  req: CallRequest;
  state: CallState;
  arrivedAt: number;
  score: number;
  agentId: string | undefined;
  sticky: string | undefined;
  /** How long the call is held for `sticky` (ms from arrival): the queue's sticky seconds or the caller's choice. */
  holdMs: number;
  offeredAt: number;
  answeredAt: number;
}

interface QueueRec {
  def: QueueDefinition;
  calls: SortedIndex;
  ready: Record<ServeVia, SortedIndex>;
  rrSeq: number;
  /** Removed from the configuration while it held calls: served, closed to new calls, gone with its last call. */
  retired: boolean;
  /** While retired: calls (waiting, offered, on-call) still in it. */
  held: number;
}

/** Tracked calls in arrival order (ties by id), as the Redis reaper lists them. */
const byArrival = (x: TrackedCall, y: TrackedCall): number => x.at - y.at || (x.callId < y.callId ? -1 : x.callId > y.callId ? 1 : 0);

/** What a removed call's event carries from its tracking entry (only the fields it has). */
function trackedFields(t: TrackedCall | undefined): { arrivedAt?: number; callerNumber?: string; calledNumber?: string; flowId?: string } {
  if (!t) return {};
  return { arrivedAt: t.at, callerNumber: t.callerNumber, calledNumber: t.calledNumber, ...(t.flowId !== undefined ? { flowId: t.flowId } : {}) };
}

interface InstanceRec {
  expiresAt: number;
  calls: Set<string>;
}

/** The ACD rules in memory: synchronous, deterministic, indexed (see store.ts for how to drive it). */
export class MemoryAcdStore implements AcdStore {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly emitFn: ((e: AcdEvent) => void) | undefined;
  private readonly keepInbox: boolean;
  private skills = new Set<string>();
  private queues = new Map<string, QueueRec>();
  private queueOrder: QueueRec[] = [];
  private readonly agents = new Map<string, AgentRec>();
  private readonly calls = new Map<string, CallRec>();
  private readonly sticky = new Map<string, SortedIndex>();
  /** Caller number → the agent who served them last and when the call ended (Redis: last:<caller>). */
  private readonly lastAgent = new Map<string, { agentId: string; at: number }>();
  private readonly instances = new Map<string, InstanceRec>();
  private readonly inboxes = new Map<string, Offer[]>();
  /** trackCall entries per owner instance (see TrackedCall). */
  private readonly tracked = new Map<string, Map<string, TrackedCall>>();
  /** Agent deadlines, the twins of the Redis sorted sets dl (wrap-up end) and regdl (registration expiry). */
  private readonly deadlines = new SortedIndex();
  private readonly regDeadlines = new SortedIndex();
  private arrivalSeq = 0;
  private headSeq = 0;

  constructor(opts: MemoryAcdStoreOptions) {
    this.clock = opts.clock;
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.emitFn = opts.onEvent;
    this.keepInbox = opts.inbox ?? true;
  }

  configure(setup: AcdSetup): Offer[] {
    const defs = validateSetup(setup);
    this.skills = new Set(setup.skills);
    // Ready agents leave the indexes under the old definitions and re-enter under the new ones (scores follow policy).
    const loggedIn = [...this.agents.values()].filter((a) => a.state !== 'logged-out');
    for (const a of loggedIn) if (a.state === 'ready') this.removeReady(a);
    const next = new Map<string, QueueRec>();
    for (const def of defs.values()) {
      const old = this.queues.get(def.id);
      next.set(def.id, old ? { ...old, def, retired: false, held: 0 } : { def, calls: new SortedIndex(), ready: { primary: new SortedIndex(), secondary: new SortedIndex(), 'overflow-queue': new SortedIndex() }, rrSeq: 0, retired: false, held: 0 });
    }
    // A removed queue that still holds calls is retired (app_queue keeps a deleted queue until its callers leave).
    const held = new Map<string, number>();
    for (const c of this.calls.values()) if (!next.has(c.req.queueId)) held.set(c.req.queueId, (held.get(c.req.queueId) ?? 0) + 1);
    for (const [id, n] of held) next.set(id, { ...this.queues.get(id)!, retired: true, held: n });
    this.queues = next;
    this.queueOrder = sortQueues([...next.values()]);
    const all = new Map([...next.values()].map((q) => [q.def.id, q.def]));
    for (const a of loggedIn) {
      a.serves = serveEntries(a.profile.skills, all);
      if (a.state === 'ready' && a.reachable) this.addReady(a);
    }
    return this.tick();
  }

  updateProfile(profile: AgentProfile): Offer | null {
    validateProfile(profile, this.skills);
    const a = this.agentOrThrow(profile.id);
    if (a.state === 'ready') this.removeReady(a);
    a.profile = profile;
    a.serves = serveEntries(profile.skills, new Map([...this.queues.values()].map((q) => [q.def.id, q.def])));
    if (a.state !== 'ready' || !a.reachable) return null;
    this.addReady(a);
    return this.matchForAgent(a);
  }

  setRegistration(agentId: string, until: number): Offer | null {
    if (!Number.isFinite(until)) throw new AcdError('BAD_DEFINITION', `agent ${agentId}: registration expiry must be a number`, { agentId });
    const a = this.agentOrThrow(agentId);
    const live = until > this.clock.now();
    a.regUntil = until;
    if (live) this.regDeadlines.add(a.id, until);
    else this.regDeadlines.remove(a.id);
    if (live === a.reachable) return null;
    if (!live) {
      this.unreachable(a);
      return null;
    }
    a.reachable = true;
    if (a.state !== 'ready') return null;
    this.addReady(a);
    return this.matchForAgent(a);
  }

  expire(): ExpireResult {
    const now = this.clock.now();
    const res: ExpireResult = { wrapUpEnded: [], unreachable: [], offers: [] };
    for (let id = this.deadlines.first(); id !== undefined && this.deadlines.score(id)! <= now; id = this.deadlines.first()) {
      this.deadlines.remove(id);
      const a = this.agents.get(id);
      if (a?.state !== 'wrap-up') continue;
      res.wrapUpEnded.push(id);
      // Exactly wrapUpDone: the pending after-call request, else ready and the next call. Leaving wrap-up drops the deadline.
      if (a.after) this.applyAfterCall(a);
      else {
        this.setState(a, 'ready');
        const o = this.matchForAgent(a);
        if (o) res.offers.push(o);
      }
    }
    for (let id = this.regDeadlines.first(); id !== undefined && this.regDeadlines.score(id)! <= now; id = this.regDeadlines.first()) {
      this.regDeadlines.remove(id);
      const a = this.agents.get(id)!;
      if (!a.reachable) continue;
      res.unreachable.push(id);
      this.unreachable(a);
    }
    return res;
  }

  loginAgent(profile: AgentProfile): void {
    validateProfile(profile, this.skills);
    const now = this.clock.now();
    const old = this.agents.get(profile.id);
    if (old && old.state !== 'logged-out') {
      throw new AcdError('AGENT_BAD_TRANSITION', `agent ${profile.id} is already logged in (${old.state})`, { agentId: profile.id, from: old.state, to: 'not-ready' });
    }
    const defs = new Map([...this.queues.values()].map((q) => [q.def.id, q.def]));
    const a: AgentRec = {
      id: profile.id,
      profile,
      state: 'logged-out',
      reason: undefined,
      since: now,
      readySince: now,
      talkMs: 0,
      callId: undefined,
      serves: serveEntries(profile.skills, defs),
      rr: new Map(),
      after: undefined,
      wrapUntil: undefined,
      regUntil: undefined,
      reachable: true,
    };
    // A new log-in starts without a registration: the service sets it again right after (seatChanged).
    if (old) this.regDeadlines.remove(profile.id);
    this.agents.set(a.id, a);
    this.setState(a, 'not-ready', 'other');
  }

  setReady(agentId: string): Offer | null {
    const a = this.agentOrThrow(agentId);
    assertAgentRequest(agentId, a.state, 'ready');
    a.after = undefined;
    this.setState(a, 'ready');
    return this.matchForAgent(a);
  }

  setNotReady(agentId: string, reason: NotReadyReason): void {
    validateReason(reason);
    const a = this.agentOrThrow(agentId);
    assertAgentRequest(agentId, a.state, 'not-ready');
    a.after = undefined;
    this.setState(a, 'not-ready', reason);
  }

  logout(agentId: string): void {
    const a = this.agentOrThrow(agentId);
    assertAgentRequest(agentId, a.state, 'logged-out');
    a.after = undefined;
    this.setState(a, 'logged-out');
  }

  requestAfterCall(agentId: string, next: AfterCallRequest | null): void {
    if (next !== null) validateAfterCall(next);
    const a = this.agentOrThrow(agentId);
    if (AFTER_CALL_WAITS.includes(a.state)) {
      a.after = next ?? undefined;
      return;
    }
    if (next === null) return;
    const t = afterCallTarget(next);
    assertAgentRequest(agentId, a.state, t.to);
    if (t.to === 'not-ready') this.setState(a, 'not-ready', t.reason);
    else this.setState(a, 'logged-out');
  }

  enqueue(req: CallRequest): EnqueueResult {
    const q = this.queues.get(req.queueId);
    if (!q || q.retired) throw new AcdError('UNKNOWN_QUEUE', `unknown queue ${req.queueId}`, { queueId: req.queueId, callId: req.callId });
    if (!req.callId) throw new AcdError('BAD_DEFINITION', 'call without id');
    if (!isValidCallPriority(req.priority)) throw new AcdError('BAD_DEFINITION', `call ${req.callId}: priority must be an integer 0..999`, { callId: req.callId });
    if (this.calls.has(req.callId)) throw new AcdError('CALL_DUPLICATE', `call ${req.callId} is already in the ACD`, { callId: req.callId });
    const now = this.clock.now();
    const inst = this.instances.get(req.ownerInstance);
    if (!inst || !(inst.expiresAt > now)) {
      throw new AcdError('LEASE_EXPIRED', `instance ${req.ownerInstance} holds no live lease`, { instance: req.ownerInstance, callId: req.callId });
    }
    if (!isValidHold(req.hold)) throw new AcdError('BAD_DEFINITION', `call ${req.callId}: hold must be 'none' or { agentId, sec: integer 0..86400 }`, { callId: req.callId });
    let sticky: string | undefined;
    let holdMs = q.def.stickyAgentSec * 1000;
    const hold = req.hold;
    if (hold === undefined ? q.def.stickyAgentSec > 0 : hold !== 'none') {
      const wanted = hold === undefined ? this.lastAgent.get(req.callerNumber)?.agentId : (hold as { agentId: string }).agentId;
      const la = wanted === undefined ? undefined : this.agents.get(wanted);
      if (la && la.state !== 'logged-out' && la.reachable) sticky = la.id;
      if (hold !== undefined && hold !== 'none') holdMs = hold.sec * 1000;
    }
    const c: CallRec = {
      req: { ...req },
      state: 'waiting',
      arrivedAt: now,
      score: queueScore(req.priority, ++this.arrivalSeq),
      agentId: undefined,
      sticky,
      holdMs,
      offeredAt: 0,
      answeredAt: 0,
    };
    this.calls.set(req.callId, c);
    inst.calls.add(req.callId);
    if (this.emitFn) {
      this.emit(
        sticky === undefined
          ? { type: 'enqueued', at: now, callId: req.callId, queueId: req.queueId, priority: req.priority, callerNumber: req.callerNumber, ownerInstance: req.ownerInstance }
          : { type: 'enqueued', at: now, callId: req.callId, queueId: req.queueId, priority: req.priority, callerNumber: req.callerNumber, ownerInstance: req.ownerInstance, stickyAgent: sticky },
      );
    }
    // Match first: a call matched at once never enters the queue (no insert and removal in the sorted index).
    const offer = this.matchForCall(c, q);
    if (offer) return { status: 'offered', offer };
    this.addWaiting(c, q);
    return { status: 'queued', position: q.calls.rank(req.callId) + 1, length: q.calls.size };
  }

  markRinging(callId: string): void {
    const c = this.callOrThrow(callId, 'offered');
    const a = this.agentOrThrow(c.agentId!);
    assertTransition(a.id, a.state, 'ringing');
    this.setState(a, 'ringing');
  }

  answer(callId: string): void {
    const c = this.callOrThrow(callId, 'offered');
    const a = this.agentOrThrow(c.agentId!);
    assertTransition(a.id, a.state, 'on-call');
    const now = this.clock.now();
    c.state = 'on-call';
    c.answeredAt = now;
    if (this.emitFn) this.emit({ type: 'answered', at: now, callId, agentId: a.id, ringMs: now - c.offeredAt });
    this.setState(a, 'on-call');
  }

  rona(callId: string): Offer | null {
    const c = this.callOrThrow(callId, 'offered');
    const a = this.agentOrThrow(c.agentId!);
    assertTransition(a.id, a.state, 'not-ready');
    const q = this.queues.get(c.req.queueId)!;
    if (this.emitFn) this.emit({ type: 'rona', at: this.clock.now(), callId, agentId: a.id, queueId: c.req.queueId });
    a.callId = undefined;
    this.setState(a, 'not-ready', 'missed');
    if (a.after) this.applyAfterCall(a);
    c.state = 'waiting';
    c.agentId = undefined;
    c.score = queueScore(c.req.priority, -++this.headSeq);
    this.addWaiting(c, q);
    return this.matchForCall(c, q);
  }

  giveBack(callId: string, agentId: string): Offer[] {
    const c = this.callOrThrow(callId, 'offered');
    if (c.agentId !== agentId) {
      throw new AcdError('CALL_BAD_STATE', `call ${callId} is offered to ${c.agentId}, not ${agentId}`, { callId, agentId, offeredTo: c.agentId });
    }
    const a = this.agentOrThrow(agentId);
    assertTransition(a.id, a.state, 'ready');
    const q = this.queues.get(c.req.queueId)!;
    if (this.emitFn) this.emit({ type: 'offer-returned', at: this.clock.now(), callId, agentId, queueId: c.req.queueId });
    // The call first, while the agent still holds it (so it goes to someone else if anyone is ready), as after a RONA.
    c.state = 'waiting';
    c.agentId = undefined;
    c.score = queueScore(c.req.priority, -++this.headSeq);
    this.addWaiting(c, q);
    const offers: Offer[] = [];
    const o1 = this.matchForCall(c, q);
    if (o1) offers.push(o1);
    a.callId = undefined;
    this.setState(a, 'ready');
    const o2 = this.releaseToNext(a);
    if (o2) offers.push(o2);
    return offers;
  }

  moveCall(callId: string, queueId: string): EnqueueResult {
    const c = this.callOrThrow(callId, 'waiting');
    const to = this.queues.get(queueId);
    if (!to || to.retired) throw new AcdError('UNKNOWN_QUEUE', `unknown queue ${queueId}`, { queueId, callId });
    if (c.req.queueId !== queueId) {
      const from = this.queues.get(c.req.queueId)!;
      this.removeWaiting(c, from);
      if (this.emitFn) this.emit({ type: 'moved', at: this.clock.now(), callId, fromQueue: c.req.queueId, toQueue: queueId });
      this.leaveQueue(c);
      c.req.queueId = queueId;
      c.sticky = undefined;
      // c.score is kept: the place by priority and arrival (or at the head, after a RONA) travels with the call.
      const offer = this.matchForCall(c, to);
      if (offer) return { status: 'offered', offer };
      this.addWaiting(c, to);
    }
    return { status: 'queued', position: to.calls.rank(callId) + 1, length: to.calls.size };
  }

  abandon(callId: string, by?: 'operator'): AbandonResult {
    const tag = by === 'operator' ? { by } : {};
    const c = this.calls.get(callId);
    if (!c) throw new AcdError('CALL_UNKNOWN', `unknown call ${callId}`, { callId });
    const now = this.clock.now();
    if (c.state === 'on-call') {
      const r = this.finish(c, 'caller');
      return { stage: 'on-call', offer: r.offer };
    }
    const q = this.queues.get(c.req.queueId)!;
    if (c.state === 'waiting') {
      this.removeWaiting(c, q);
      this.deleteCall(c);
      if (this.emitFn) this.emit({ type: 'abandoned', at: now, callId, queueId: c.req.queueId, stage: 'waiting', ...tag });
      return { stage: 'waiting', offer: null };
    }
    const a = this.agents.get(c.agentId!)!;
    this.deleteCall(c);
    if (this.emitFn) this.emit({ type: 'abandoned', at: now, callId, queueId: c.req.queueId, stage: 'offered', agentId: a.id, ...tag });
    a.callId = undefined;
    this.setState(a, 'ready');
    return { stage: 'offered', offer: this.releaseToNext(a) };
  }

  endCall(callId: string): EndCallResult {
    const c = this.callOrThrow(callId, 'on-call');
    return this.finish(c, 'agent');
  }

  wrapUpDone(agentId: string): Offer | null {
    const a = this.agentOrThrow(agentId);
    if (a.state !== 'wrap-up') {
      throw new AcdError('AGENT_BAD_TRANSITION', `agent ${agentId} is ${a.state}, not in wrap-up`, { agentId, from: a.state, to: 'ready' });
    }
    if (a.after) {
      this.applyAfterCall(a);
      return null;
    }
    this.setState(a, 'ready');
    return this.matchForAgent(a);
  }

  tick(): Offer[] {
    const offers: Offer[] = [];
    for (const q of this.queueOrder) {
      if (q.calls.size === 0) continue;
      if (q.ready.primary.size === 0 && q.ready.secondary.size === 0 && q.ready['overflow-queue'].size === 0 && !this.anyStickyReady(q)) continue;
      for (const id of q.calls.head(MATCH_SCAN_LIMIT)) {
        const c = this.calls.get(id)!;
        if (c.state !== 'waiting') continue;
        const o = this.matchForCall(c, q);
        if (o) offers.push(o);
      }
    }
    return offers;
  }

  leaseUntil(instance: string): number | null {
    const inst = this.instances.get(instance);
    return inst ? inst.expiresAt : null;
  }

  recordArrival(e: Omit<Extract<AcdEvent, { type: 'arrived' }>, 'type' | 'at'>): void {
    this.emit({ type: 'arrived', at: this.clock.now(), ...e });
  }

  position(callId: string): { position: number; length: number } | null {
    const c = this.calls.get(callId);
    if (!c || c.state !== 'waiting') return null;
    const q = this.queues.get(c.req.queueId)!;
    return { position: q.calls.rank(callId) + 1, length: q.calls.size };
  }

  lastServed(callerNumber: string): LastServed | null {
    const last = this.lastAgent.get(callerNumber);
    if (!last) return null;
    const a = this.agents.get(last.agentId);
    return { agentId: last.agentId, at: last.at, active: a !== undefined && a.state !== 'logged-out' && a.reachable };
  }

  queueLength(queueId: string): number {
    const q = this.queues.get(queueId);
    if (!q) throw new AcdError('UNKNOWN_QUEUE', `unknown queue ${queueId}`, { queueId });
    return q.calls.size;
  }

  agent(agentId: string): AgentSnapshot | null {
    const a = this.agents.get(agentId);
    return a ? agentSnapshot(a) : null;
  }

  call(callId: string): CallSnapshot | null {
    const c = this.calls.get(callId);
    return c ? callSnapshot(c) : null;
  }

  liveCalls(): CallSnapshot[] {
    return [...this.calls.values()].map(callSnapshot);
  }

  renewLease(instance: string): void {
    const now = this.clock.now();
    const inst = this.instances.get(instance);
    if (inst) inst.expiresAt = now + this.leaseMs;
    else this.instances.set(instance, { expiresAt: now + this.leaseMs, calls: new Set() });
  }

  expireLease(instance: string): void {
    const inst = this.instances.get(instance);
    if (inst) inst.expiresAt = Math.min(inst.expiresAt, this.clock.now());
  }

  trackCall(call: TrackedCall): void {
    let m = this.tracked.get(call.ownerInstance);
    if (!m) this.tracked.set(call.ownerInstance, (m = new Map<string, TrackedCall>()));
    m.set(call.callId, call);
  }

  untrackCall(instance: string, callId: string): void {
    const m = this.tracked.get(instance);
    m?.delete(callId);
    if (m?.size === 0) this.tracked.delete(instance);
  }

  reap(): ReapResult {
    const now = this.clock.now();
    const res: ReapResult = { deadInstances: [], removedCalls: [], freedAgents: [], wrapUpEnded: [], unreachable: [], offers: [], orphans: [] };
    const dead = [...this.instances.entries()].filter(([, r]) => !(r.expiresAt > now)).sort((x, y) => x[1].expiresAt - y[1].expiresAt || (x[0] < y[0] ? -1 : 1));
    const freed: AgentRec[] = [];
    for (const [name, inst] of dead) {
      res.deadInstances.push(name);
      if (this.emitFn) this.emit({ type: 'instance-dead', at: now, instance: name });
      const calls = [...inst.calls].map((id) => this.calls.get(id)!).sort((x, y) => x.arrivedAt - y.arrivedAt || (x.req.callId < y.req.callId ? -1 : 1));
      const tracked = new Map<string, TrackedCall>(this.tracked.get(name) ?? []);
      this.tracked.delete(name);
      res.orphans.push(...[...tracked.values()].sort(byArrival));
      for (const c of calls) {
        const t = trackedFields(tracked.get(c.req.callId));
        tracked.delete(c.req.callId);
        const q = this.queues.get(c.req.queueId)!;
        const stage = c.state;
        if (stage === 'waiting') this.removeWaiting(c, q);
        this.calls.delete(c.req.callId);
        this.leaveQueue(c);
        res.removedCalls.push(c.req.callId);
        if (stage === 'waiting') {
          if (this.emitFn) this.emit({ type: 'removed-dead-instance', at: now, callId: c.req.callId, queueId: c.req.queueId, instance: name, stage, ...t });
          continue;
        }
        const a = this.agents.get(c.agentId!)!;
        if (this.emitFn) this.emit({ type: 'removed-dead-instance', at: now, callId: c.req.callId, queueId: c.req.queueId, instance: name, stage, agentId: a.id, ...t });
        a.callId = undefined;
        this.setState(a, 'ready');
        if (a.after) this.applyAfterCall(a);
        freed.push(a);
        res.freedAgents.push(a.id);
      }
      // Tracked calls outside the ACD (menus, the survey): a record each, in arrival order.
      for (const tc of [...tracked.values()].sort(byArrival)) {
        if (this.emitFn) this.emit({ type: 'removed-dead-instance', at: now, callId: tc.callId, instance: name, stage: 'ivr', ...trackedFields(tc) });
      }
      this.instances.delete(name);
      this.inboxes.delete(name);
    }
    for (const a of freed) {
      if (a.state !== 'ready') continue;
      const o = this.matchForAgent(a);
      if (o) res.offers.push(o);
    }
    const ex = this.expire();
    res.wrapUpEnded = ex.wrapUpEnded;
    res.unreachable = ex.unreachable;
    res.offers.push(...ex.offers);
    return res;
  }

  takeOffers(instance: string, max = 100): Offer[] {
    const box = this.inboxes.get(instance);
    if (!box || box.length === 0) return [];
    return box.splice(0, max);
  }

  snapshot(): StoreSnapshot {
    const queues: Record<string, string[]> = {};
    for (const q of this.queueOrder) queues[q.def.id] = q.calls.all();
    const leases: Record<string, number> = {};
    for (const [name, r] of this.instances) leases[name] = r.expiresAt;
    return {
      agents: [...this.agents.values()].map(agentSnapshot),
      calls: [...this.calls.values()].map(callSnapshot),
      queues,
      leases,
    };
  }

  // ---- rules ------------------------------------------------------------------------------------------------

  /** The best ready agent for a waiting call, by the call's stage: sticky agent only inside the sticky window;
   * otherwise primary agents, then (after secondaryAfterSec) secondary ones, then (after queueAfterSec) agents of
   * the overflow queue. Each index is already ordered by the queue's policy. */
  private matchForCall(c: CallRec, q: QueueRec): Offer | null {
    const now = this.clock.now();
    if (!this.ownerLive(c, now)) return null;
    const w = now - c.arrivedAt;
    if (c.sticky !== undefined && w < c.holdMs) {
      const s = this.agents.get(c.sticky);
      return s && s.state === 'ready' && s.reachable ? this.doMatch(c, q, s, 'sticky', now) : null;
    }
    let id = q.ready.primary.first();
    let via: ServeVia = 'primary';
    if (id === undefined && stageAllows('secondary', w, q.def)) {
      id = q.ready.secondary.first();
      via = 'secondary';
    }
    if (id === undefined && stageAllows('overflow-queue', w, q.def)) {
      id = q.ready['overflow-queue'].first();
      via = 'overflow-queue';
    }
    return id === undefined ? null : this.doMatch(c, q, this.agents.get(id)!, via, now);
  }

  /** The call a newly ready agent takes: calls held for it (sticky) first, then across the queues it serves the
   * first eligible call of each, compared by queue priority, call priority, then waiting time. */
  private matchForAgent(a: AgentRec): Offer | null {
    if (!a.reachable) return null;
    const now = this.clock.now();
    // Walks the indexes in place (no copies: this runs for every freed agent); matching happens after the walk.
    const st = this.sticky.get(a.id);
    if (st && st.size > 0) {
      const n = Math.min(st.size, MATCH_SCAN_LIMIT);
      for (let i = 0; i < n; i++) {
        const c = this.calls.get(st.at(i)!)!;
        if (this.ownerLive(c, now)) return this.doMatch(c, this.queues.get(c.req.queueId)!, a, 'sticky', now);
      }
    }
    let best: (CallCandidate & { c: CallRec; q: QueueRec; via: ServeVia }) | undefined;
    for (const e of a.serves) {
      const q = this.queues.get(e.queueId);
      if (!q || q.calls.size === 0) continue;
      const n = Math.min(q.calls.size, e.via === 'primary' ? MATCH_SCAN_LIMIT : OVERFLOW_SCAN_LIMIT);
      for (let i = 0; i < n; i++) {
        const c = this.calls.get(q.calls.at(i)!)!;
        const w = now - c.arrivedAt;
        if (!this.ownerLive(c, now) || stickyBlocks(c.sticky, a.id, w, c.holdMs) || !stageAllows(e.via, w, q.def)) continue;
        const cand = { queuePriority: q.def.priority, callPriority: c.req.priority, arrivedAt: c.arrivedAt, c, q, via: e.via };
        if (betterCandidate(cand, best)) best = cand;
        break;
      }
    }
    return best ? this.doMatch(best.c, best.q, a, best.via, now) : null;
  }

  private doMatch(c: CallRec, q: QueueRec, a: AgentRec, via: Offer['via'], now: number): Offer {
    this.removeWaiting(c, q);
    c.state = 'offered';
    c.agentId = a.id;
    c.offeredAt = now;
    const offer: Offer = { callId: c.req.callId, queueId: c.req.queueId, agentId: a.id, ownerInstance: c.req.ownerInstance, waitedMs: now - c.arrivedAt, via };
    if (this.emitFn) this.emit({ type: 'offered', at: now, ...offer });
    this.setState(a, 'reserved');
    a.callId = c.req.callId;
    if (q.def.policy === 'round-robin') a.rr.set(q.def.id, ++q.rrSeq);
    if (this.keepInbox) {
      let box = this.inboxes.get(c.req.ownerInstance);
      if (!box) this.inboxes.set(c.req.ownerInstance, (box = []));
      box.push(offer);
    }
    return offer;
  }

  private finish(c: CallRec, hungUpBy: 'agent' | 'caller'): EndCallResult {
    const now = this.clock.now();
    const a = this.agents.get(c.agentId!)!;
    const q = this.queues.get(c.req.queueId)!;
    const talk = now - c.answeredAt;
    a.talkMs += talk;
    this.lastAgent.set(c.req.callerNumber, { agentId: a.id, at: now });
    this.deleteCall(c);
    if (this.emitFn) this.emit({ type: 'ended', at: now, callId: c.req.callId, agentId: a.id, talkMs: talk, hungUpBy });
    a.callId = undefined;
    const wrapUpSec = q.def.wrapUpSec;
    if (wrapUpSec > 0) {
      this.setState(a, 'wrap-up');
      a.wrapUntil = now + wrapUpSec * 1000;
      this.deadlines.add(a.id, a.wrapUntil);
      return { agentId: a.id, wrapUpSec, offer: null };
    }
    this.setState(a, 'ready');
    return { agentId: a.id, wrapUpSec: 0, offer: this.releaseToNext(a) };
  }

  /** An agent just made ready by the end of its call: its after-call request if it made one, else the next call. */
  private releaseToNext(a: AgentRec): Offer | null {
    if (!a.after) return this.matchForAgent(a);
    this.applyAfterCall(a);
    return null;
  }

  private applyAfterCall(a: AgentRec): void {
    const t = afterCallTarget(a.after!);
    a.after = undefined;
    assertTransition(a.id, a.state, t.to);
    if (t.to === 'not-ready') this.setState(a, 'not-ready', t.reason);
    else this.setState(a, 'logged-out');
  }

  private setState(a: AgentRec, to: AgentState, reason?: NotReadyReason): void {
    const now = this.clock.now();
    const from = a.state;
    if (from === 'ready') this.removeReady(a);
    if (from === 'wrap-up') {
      this.deadlines.remove(a.id);
      a.wrapUntil = undefined;
    }
    a.state = to;
    a.reason = to === 'not-ready' ? (reason ?? 'other') : undefined;
    a.since = now;
    if (this.emitFn) {
      this.emit(to === 'not-ready' ? { type: 'agent-state', at: now, agentId: a.id, from, to, reason: a.reason! } : { type: 'agent-state', at: now, agentId: a.id, from, to });
    }
    if (to === 'ready') {
      a.readySince = now;
      if (a.reachable) this.addReady(a);
    }
    // The agent left: callers held for it as their last agent need not wait out the sticky window.
    if (to === 'logged-out') this.releaseHolds(a);
  }

  /** The seat is gone: no offers (the agent keeps its state, as app_queue keeps an unavailable member). */
  private unreachable(a: AgentRec): void {
    a.reachable = false;
    if (a.state === 'ready') this.removeReady(a);
    this.releaseHolds(a);
  }

  /** Calls held for this agent (returning callers) lose the hold and are matched like any other waiting call. */
  private releaseHolds(a: AgentRec): void {
    const st = this.sticky.get(a.id);
    if (!st || st.size === 0) return;
    this.sticky.delete(a.id);
    const ids = st.all();
    for (const id of ids) this.calls.get(id)!.sticky = undefined;
    for (const id of ids) {
      const c = this.calls.get(id)!;
      if (c.state === 'waiting') this.matchForCall(c, this.queues.get(c.req.queueId)!);
    }
  }

  private addReady(a: AgentRec): void {
    for (const e of a.serves) {
      const q = this.queues.get(e.queueId);
      if (!q) continue;
      q.ready[e.via].add(a.id, readyScore(q.def.policy, { readySince: a.readySince, talkMs: a.talkMs, skillScore: e.skillScore, rr: a.rr.get(e.queueId) ?? 0 }));
    }
  }

  private removeReady(a: AgentRec): void {
    for (const e of a.serves) this.queues.get(e.queueId)?.ready[e.via].remove(a.id);
  }

  private addWaiting(c: CallRec, q: QueueRec): void {
    q.calls.add(c.req.callId, c.score);
    if (c.sticky !== undefined) {
      let st = this.sticky.get(c.sticky);
      if (!st) this.sticky.set(c.sticky, (st = new SortedIndex()));
      st.add(c.req.callId, c.arrivedAt);
    }
  }

  private removeWaiting(c: CallRec, q: QueueRec): void {
    q.calls.remove(c.req.callId);
    if (c.sticky !== undefined) this.sticky.get(c.sticky)?.remove(c.req.callId);
  }

  private deleteCall(c: CallRec): void {
    this.calls.delete(c.req.callId);
    this.instances.get(c.req.ownerInstance)?.calls.delete(c.req.callId);
    this.leaveQueue(c);
  }

  /** A call left the ACD: a retired queue disappears with its last call. */
  private leaveQueue(c: CallRec): void {
    const q = this.queues.get(c.req.queueId);
    if (!q?.retired || --q.held > 0) return;
    this.queues.delete(q.def.id);
    this.queueOrder = this.queueOrder.filter((x) => x !== q);
  }

  private anyStickyReady(q: QueueRec): boolean {
    // Rare: only calls held for a sticky agent; checked only when no index of the queue has a ready agent. A queue
    // without a sticky rule skips it (as the Redis twin does): a call the IVR held for an agent is matched when that
    // agent becomes ready (matchForAgent reads its holds first) or at once on enqueue.
    if (q.def.stickyAgentSec <= 0) return false;
    for (const id of q.calls.head(MATCH_SCAN_LIMIT)) {
      const s = this.calls.get(id)!.sticky;
      const sa = s === undefined ? undefined : this.agents.get(s);
      if (sa?.state === 'ready' && sa.reachable) return true;
    }
    return false;
  }

  private ownerLive(c: CallRec, now: number): boolean {
    const inst = this.instances.get(c.req.ownerInstance);
    return inst !== undefined && inst.expiresAt > now;
  }

  private agentOrThrow(agentId: string): AgentRec {
    const a = this.agents.get(agentId);
    if (!a) throw new AcdError('AGENT_UNKNOWN', `unknown agent ${agentId}`, { agentId });
    return a;
  }

  private callOrThrow(callId: string, state: CallState): CallRec {
    const c = this.calls.get(callId);
    if (!c) throw new AcdError('CALL_UNKNOWN', `unknown call ${callId}`, { callId });
    if (c.state !== state) throw new AcdError('CALL_BAD_STATE', `call ${callId} is ${c.state}, expected ${state}`, { callId, state: c.state, expected: state });
    return c;
  }

  private emit(e: AcdEvent): void {
    this.emitFn?.(e);
  }
}

function sortQueues(qs: QueueRec[]): QueueRec[] {
  return qs.sort((a, b) => b.def.priority - a.def.priority || (a.def.id < b.def.id ? -1 : a.def.id > b.def.id ? 1 : 0));
}

function agentSnapshot(a: AgentRec): AgentSnapshot {
  const s: AgentSnapshot = { id: a.id, state: a.state, since: a.since, readySince: a.readySince, talkMs: a.talkMs, reachable: a.reachable };
  if (a.reason !== undefined) s.reason = a.reason;
  if (a.callId !== undefined) s.callId = a.callId;
  if (a.after !== undefined) s.afterCall = a.after;
  if (a.wrapUntil !== undefined) s.wrapUpUntil = a.wrapUntil;
  return s;
}

function callSnapshot(c: CallRec): CallSnapshot {
  const s: CallSnapshot = {
    callId: c.req.callId,
    queueId: c.req.queueId,
    state: c.state,
    priority: c.req.priority,
    callerNumber: c.req.callerNumber,
    ownerInstance: c.req.ownerInstance,
    arrivedAt: c.arrivedAt,
  };
  if (c.agentId !== undefined) s.agentId = c.agentId;
  if (c.sticky !== undefined) s.stickyAgent = c.sticky;
  return s;
}
