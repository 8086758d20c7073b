/**
 * The discrete-event simulator. Calls, agents, shifts and breaks are played on a VirtualClock against the real
 * MemoryAcdStore: every match, re-offer after no answer, overflow and agent state change is the ACD's own rule,
 * and the simulator only plays the part of callers (arrive, wait, hang up), agents (answer, talk, wrap up, take
 * breaks, miss calls) and the call session (ring the phone, run the answer timer). Deterministic for a seed.
 */
import type { AcdEvent } from '../acd/events.js';
import { MemoryAcdStore } from '../acd/memory-store.js';
import type { StoreSnapshot } from '../acd/store.js';
import type { AgentState, Offer } from '../acd/model.js';
import { PeakPlanEngine, type PlanLevel } from '../acd/peak-plan.js';
import { VirtualClock, type TimerHandle } from '../core/clock.js';
import { CallbackBook, type CallbackFigures, type CallbackTask } from './callbacks.js';
import { SimError } from './errors.js';
import { assertRunnable } from './limits.js';
import { PlanLog, type PlanFigures } from './plan.js';
import { durationSampler, Rng } from './rng.js';
import type { AgentGroup, BreakRule, Scenario, SimQueue } from './scenario.js';
import { QueueStats, type AgentTime } from './stats.js';

/** The one app instance the simulated calls belong to; its lease never expires. */
const INSTANCE = 'sim';
const TICK_MS = 1000;

export interface SimRunOptions {
  seed: number;
  /** Called every `progressEverySec` of virtual time with the virtual seconds done and the horizon. */
  onProgress?: (doneSec: number, horizonSec: number) => void;
  progressEverySec?: number;
  /** Enforce the scenario's peak plan (default true). Off, the rule engine still watches and reports what it
   * would have declared, but nobody acts on it: the same day without the plan. */
  plan?: boolean;
}

export interface SimOptions {
  /** `observe` sees every ACD event as it happens (tests, traces); the run does not depend on it. */
  observe?: (e: AcdEvent) => void;
  /** Enforce the scenario's peak plan (default true). */
  plan?: boolean;
  /** Sees each callback as an agent places it (tests, traces). */
  onCallback?: (agentId: string, task: Readonly<CallbackTask>) => void;
}

export interface SimRawResult {
  scenario: Scenario;
  seed: number;
  queues: Map<string, QueueStats>;
  /** Priority callers per queue (only queues with a vip share). */
  vipQueues: Map<string, QueueStats>;
  total: QueueStats;
  groups: Map<string, AgentTime>;
  agentTime: AgentTime;
  /** Virtual seconds simulated, drain included. */
  simulatedSec: number;
  /** Store operations performed (enqueue, ring, answer, end, …) and timer events fired. */
  storeOps: number;
  events: number;
  /** The peak plan's activations and figures (scenarios with a `plan`). */
  plan?: PlanFigures;
  /** Callback tasks (scenarios with `callbacks`). */
  callbacks?: CallbackFigures;
}

interface QState {
  spec: SimQueue;
  id: string;
  rng: Rng;
  talk: () => number;
  stats: QueueStats;
  /** The queue's priority callers on their own, when it has any. */
  vipStats: QueueStats | undefined;
  noAnswerMs: number;
  patienceMs: number;
}

interface SimCall {
  id: string;
  q: QState;
  arrivedAt: number;
  vip: boolean;
  /** Batch index when inside the measurement window, else −1. */
  batch: number;
  patienceTimer: TimerHandle | undefined;
  ringTimer: TimerHandle | undefined;
  agent: SimAgent | undefined;
  offeredAt: number;
  /** Talk time drawn at arrival (seconds; −1: drawn at answer). See `commonRandom`. */
  talkSec: number;
  /** Drawn at arrival: asks for a callback if they hang up after a long wait; accepts one when offered. */
  wantsCallback: boolean;
  acceptsCallback: boolean;
  callbackTalkSec: number;
  offerTimer: TimerHandle | undefined;
}

type Pending = { kind: 'break'; rule: BreakRule } | { kind: 'logout' };

interface SimAgent {
  id: string;
  group: AgentGroup;
  groupTime: AgentTime;
  /** out: logged out; working: the ACD decides (ready or busy); break; missed: not-ready after a missed call;
   * callback: placing a callback (not-ready in the ACD, counted as busy). */
  mode: 'out' | 'working' | 'break' | 'missed' | 'callback';
  call: SimCall | undefined;
  inWrapUp: boolean;
  pending: Pending | undefined;
  timer: TimerHandle | undefined;
  /** Last state the ACD reported and since when (for the time accounting). */
  state: AgentState;
  stateSince: number;
  /** Within one of the agent's shifts (supervisors are on the floor, logged in only at plan level 2). */
  onShift: boolean;
  /** The break in progress and when it ends (the plan calls agents back and owes them the rest). */
  breakRule: BreakRule | undefined;
  breakEndsAt: number;
  /** Queues this agent can serve (callbacks wait until none of them has a caller waiting). */
  serves: readonly string[];
}

export class Simulation {
  readonly clock = new VirtualClock(0);
  private readonly store: MemoryAcdStore;
  private readonly sc: Scenario;
  private readonly seed: number;
  private readonly agentRng: Rng;
  private readonly callerRng: Rng;
  private readonly queues: QState[];
  private readonly calls = new Map<string, SimCall>();
  private readonly agents = new Map<string, SimAgent>();
  private readonly groups = new Map<string, AgentTime>();
  private readonly windowStart: number;
  private readonly windowEnd: number;
  private readonly batchMs: number;
  private callSeq = 0;
  private storeOps = 0;
  private events = 0;
  private ran = false;
  private readonly callerNumbers: (string | undefined)[] = [];

  private readonly observe: ((e: AcdEvent) => void) | undefined;
  /** Scenarios with a plan or callbacks draw each caller's talk time and callback choices at arrival, so a run
   * with the plan and one without see the very same callers (common random numbers): only the plan differs. */
  private readonly commonRandom: boolean;
  private readonly callbackRng: Rng;
  private readonly planEngine: PeakPlanEngine | undefined;
  private readonly planEnforced: boolean;
  private planLevelNow: PlanLevel = 0;
  private readonly planLog: PlanLog | undefined;
  /** Breaks the plan put off (or cut short), taken after stand-down. */
  private deferredBreaks: { a: SimAgent; rule: BreakRule }[] = [];
  private readonly book: CallbackBook | undefined;
  private readonly callbackTalk: (() => number) | undefined;
  private readonly onCallback: SimOptions['onCallback'];

  /** `opts.observe` sees every ACD event as it happens (a function is taken as `observe`, for older callers). */
  constructor(sc: Scenario, seed: number, opts: SimOptions | ((e: AcdEvent) => void) = {}) {
    // Before anything is allocated: a run that cannot fit in memory or time is refused in one line.
    assertRunnable(sc);
    const o: SimOptions = typeof opts === 'function' ? { observe: opts } : opts;
    this.observe = o.observe;
    this.onCallback = o.onCallback;
    this.commonRandom = sc.plan !== undefined || sc.callbacks !== undefined;
    this.callbackRng = new Rng(mixSeed(seed, 0xcb));
    this.planEngine = sc.plan ? new PeakPlanEngine(sc.plan.rules) : undefined;
    this.planEnforced = sc.plan !== undefined && o.plan !== false;
    this.planLog = sc.plan ? new PlanLog(this.planEnforced) : undefined;
    this.book = sc.callbacks ? new CallbackBook() : undefined;
    this.callbackTalk = sc.callbacks?.handle ? durationSampler(sc.callbacks.handle, this.callbackRng) : undefined;
    this.sc = sc;
    this.seed = seed;
    this.windowStart = sc.warmupSec * 1000;
    this.windowEnd = sc.horizonSec * 1000;
    this.batchMs = (this.windowEnd - this.windowStart) / sc.batches;
    this.store = new MemoryAcdStore({ clock: this.clock, leaseMs: Number.POSITIVE_INFINITY, inbox: false, onEvent: (e) => this.onAcdEvent(e) });
    this.store.renewLease(INSTANCE);
    this.store.configure({ skills: sc.skills, queues: sc.queues.map((q) => q.def) });
    // Independent streams per queue and for agents: changing one queue's load leaves the others' callers alone.
    this.agentRng = new Rng(mixSeed(seed, 0));
    this.callerRng = new Rng(mixSeed(seed, 1));
    this.queues = sc.queues.map((spec, i) => {
      const rng = new Rng(mixSeed(seed, 2 + i));
      return {
        spec,
        id: spec.def.id,
        rng,
        talk: durationSampler(spec.handle, rng),
        stats: new QueueStats(sc.batches),
        vipStats: spec.vip ? new QueueStats(sc.batches) : undefined,
        noAnswerMs: spec.def.answerRings * sc.ringCadenceSec * 1000,
        patienceMs: spec.patienceSec === null ? 0 : spec.patienceSec * 1000,
      };
    });
  }

  /** The ACD's state (for invariant checks after a run). */
  acdSnapshot(): StoreSnapshot {
    return this.store.snapshot();
  }

  run(opts: Omit<SimRunOptions, 'seed'> = {}): SimRawResult {
    if (this.ran) throw new Error('a Simulation runs once; make a new one');
    this.ran = true;
    this.scheduleAgents();
    for (const q of this.queues) this.scheduleArrival(q, 0);
    if (this.needsTick()) this.clock.setTimeout(() => this.tick(), TICK_MS);
    if (this.planEngine || this.book) this.clock.setTimeout(() => this.workflowTick(), TICK_MS);

    const every = Math.max(1, opts.progressEverySec ?? this.sc.horizonSec / 200) * 1000;
    for (let t = 0; t < this.windowEnd; ) {
      t = Math.min(this.windowEnd, t + every);
      this.clock.runUntil(t);
      opts.onProgress?.(t / 1000, this.sc.horizonSec);
    }
    // Drain: no new calls; let the ones in the system finish so late arrivals are not counted as unanswered.
    const drainEnd = this.windowEnd + this.sc.maxDrainSec * 1000;
    while (this.calls.size > 0 || this.callbackWorkLeft()) {
      const next = this.clock.nextAt();
      if (next === undefined || next > drainEnd) break;
      this.clock.step();
    }
    const endAt = this.clock.now();
    for (const c of this.calls.values()) {
      if (c.batch < 0) continue;
      c.q.stats.unfinished++;
      if (c.vip) c.q.vipStats!.unfinished++;
    }

    const total = new QueueStats(this.sc.batches);
    const queues = new Map<string, QueueStats>();
    const vipQueues = new Map<string, QueueStats>();
    for (const q of this.queues) {
      q.stats.addTo(total);
      queues.set(q.id, q.stats);
      if (q.vipStats) vipQueues.set(q.id, q.vipStats);
    }
    const agentTime: AgentTime = { readyMs: 0, busyMs: 0, notReadyMs: 0 };
    for (const a of this.agents.values()) this.account(a, endAt);
    for (const g of this.groups.values()) {
      agentTime.readyMs += g.readyMs;
      agentTime.busyMs += g.busyMs;
      agentTime.notReadyMs += g.notReadyMs;
    }
    return {
      scenario: this.sc,
      seed: this.seed,
      queues,
      vipQueues,
      total,
      groups: this.groups,
      agentTime,
      simulatedSec: endAt / 1000,
      storeOps: this.storeOps,
      events: this.events,
      ...(this.planLog ? { plan: this.planLog.figures(endAt) } : {}),
      ...(this.book ? { callbacks: this.book.figures(endAt) } : {}),
    };
  }

  // ---- callers --------------------------------------------------------------------------------------------

  /** Next Poisson arrival after `from` under a piecewise-constant rate: memorylessness lets a draw that crosses
   * an interval boundary restart from the boundary at the new rate. */
  private scheduleArrival(q: QState, from: number): void {
    const iv = q.spec.arrivals;
    let t = from;
    let i = 0;
    while (i + 1 < iv.length && iv[i + 1]!.fromSec * 1000 <= t) i++;
    for (;;) {
      if (t >= this.windowEnd) return;
      const cur = iv[i]!;
      const boundary = Math.min(this.windowEnd, i + 1 < iv.length ? iv[i + 1]!.fromSec * 1000 : Number.POSITIVE_INFINITY);
      if (t < cur.fromSec * 1000) {
        t = cur.fromSec * 1000;
        continue;
      }
      if (cur.callsPerHour > 0) {
        const next = t + q.rng.exponential(3_600_000 / cur.callsPerHour);
        if (next < boundary) {
          this.clock.setTimeout(() => this.arrive(q), next - this.clock.now());
          return;
        }
      }
      t = boundary;
      i++;
      if (i >= iv.length) return;
    }
  }

  private arrive(q: QState): void {
    this.events++;
    const now = this.clock.now();
    const id = `c${++this.callSeq}`;
    const inWindow = now >= this.windowStart && now < this.windowEnd;
    const batch = inWindow ? Math.min(this.sc.batches - 1, Math.floor((now - this.windowStart) / this.batchMs)) : -1;
    const vip = q.spec.vip !== undefined && q.rng.chance(q.spec.vip.share);
    const c: SimCall = { id, q, arrivedAt: now, vip, batch, patienceTimer: undefined, ringTimer: undefined, agent: undefined, offeredAt: 0, talkSec: -1, wantsCallback: false, acceptsCallback: false, callbackTalkSec: 0, offerTimer: undefined };
    this.calls.set(id, c);
    if (batch >= 0) {
      q.stats.arrived(batch);
      if (vip) q.vipStats!.arrived(batch);
    }
    if (q.patienceMs > 0) c.patienceTimer = this.clock.setTimeout(() => this.callerHangsUp(c), q.rng.exponential(q.patienceMs));
    if (this.commonRandom) c.talkSec = q.talk();
    const cb = this.sc.callbacks;
    if (cb) {
      // A fixed number of draws per caller, whatever happens to the call: both runs keep the same stream.
      c.wantsCallback = this.callbackRng.chance(cb.abandonShare);
      c.acceptsCallback = this.callbackRng.chance(cb.offerAcceptShare);
      c.callbackTalkSec = this.callbackTalk ? this.callbackTalk() : q.talk();
      if (cb.offerAfterSec !== null && c.acceptsCallback) c.offerTimer = this.clock.setTimeout(() => this.takesCallbackOffer(c), cb.offerAfterSec * 1000);
    }
    this.storeOps++;
    const r = this.store.enqueue({ callId: id, queueId: q.id, callerNumber: this.callerNumber(this.callerRng.int(this.sc.callerPool)), priority: vip ? q.spec.vip!.priority : 0, ownerInstance: INSTANCE });
    if (r.status === 'offered') this.offer(r.offer);
    this.scheduleArrival(q, now);
  }

  /** One string per caller, made once: the ACD keys its last-agent map by number, and a reused string keeps its
   * computed hash where a fresh one is hashed again at every lookup (finish() fell from ~10% to ~6.5% of a
   * big-day profile). */
  private callerNumber(i: number): string {
    let n = this.callerNumbers[i];
    if (n === undefined) this.callerNumbers[i] = n = `+${i}`;
    return n;
  }

  private callerHangsUp(c: SimCall): void {
    this.events++;
    c.patienceTimer = undefined;
    this.clock.clearTimeout(c.ringTimer);
    c.ringTimer = undefined;
    this.clock.clearTimeout(c.offerTimer);
    c.offerTimer = undefined;
    this.calls.delete(c.id);
    this.storeOps++;
    const r = this.store.abandon(c.id);
    if (c.batch >= 0) {
      c.q.stats.abandonedCall(c.batch);
      if (c.vip) c.q.vipStats!.abandonedCall(c.batch);
    }
    const cb = this.sc.callbacks;
    if (cb && c.wantsCallback && this.clock.now() - c.arrivedAt >= cb.afterAbandonSec * 1000) this.requestCallback(c, 'abandoned');
    const a = c.agent;
    if (r.stage === 'offered' && a) {
      // The ACD made the agent ready again and may have matched them at once.
      a.call = undefined;
      if (r.offer) this.offer(r.offer);
      else this.agentFree(a);
    } else if (r.offer) {
      this.offer(r.offer);
    }
  }

  // ---- the call session's part: ring, answer timer, talk ----------------------------------------------------

  private offer(o: Offer): void {
    const c = this.calls.get(o.callId)!;
    const a = this.agents.get(o.agentId)!;
    c.agent = a;
    a.call = c;
    c.offeredAt = this.clock.now();
    this.storeOps++;
    this.store.markRinging(o.callId);
    const g = a.group;
    if (g.ronaProbability > 0 && this.agentRng.chance(g.ronaProbability)) {
      c.ringTimer = this.clock.setTimeout(() => this.noAnswer(c), c.q.noAnswerMs);
    } else if (g.answerAfterSec > 0) {
      c.ringTimer = this.clock.setTimeout(() => this.answer(c), g.answerAfterSec * 1000);
    } else {
      this.answer(c);
    }
  }

  private answer(c: SimCall): void {
    this.events++;
    c.ringTimer = undefined;
    this.clock.clearTimeout(c.patienceTimer);
    c.patienceTimer = undefined;
    this.clock.clearTimeout(c.offerTimer);
    c.offerTimer = undefined;
    this.storeOps++;
    this.store.answer(c.id);
    const now = this.clock.now();
    if (c.batch >= 0) {
      const wait = now - c.arrivedAt;
      const within = wait <= c.q.spec.def.serviceLevel.seconds * 1000;
      c.q.stats.answeredCall(c.batch, wait, now - c.offeredAt, within);
      if (c.vip) c.q.vipStats!.answeredCall(c.batch, wait, now - c.offeredAt, within);
    }
    this.clock.setTimeout(() => this.agentHangsUp(c), (c.talkSec >= 0 ? c.talkSec : c.q.talk()) * 1000);
  }

  private noAnswer(c: SimCall): void {
    this.events++;
    c.ringTimer = undefined;
    const a = c.agent!;
    a.call = undefined;
    c.agent = undefined;
    if (c.batch >= 0) {
      c.q.stats.rona++;
      if (c.vip) c.q.vipStats!.rona++;
    }
    this.storeOps++;
    const o = this.store.rona(c.id);
    a.mode = 'missed';
    if (!this.applyPending(a)) a.timer = this.clock.setTimeout(() => this.missedRecovered(a), a.group.missedReadyAfterSec * 1000);
    if (o) this.offer(o);
  }

  private agentHangsUp(c: SimCall): void {
    this.events++;
    this.calls.delete(c.id);
    const a = c.agent!;
    a.call = undefined;
    this.storeOps++;
    const r = this.store.endCall(c.id);
    if (r.wrapUpSec > 0) {
      a.inWrapUp = true;
      this.clock.setTimeout(() => this.wrapUpDone(a), r.wrapUpSec * 1000);
    } else if (r.offer) {
      this.offer(r.offer);
    } else {
      this.agentFree(a);
    }
  }

  private wrapUpDone(a: SimAgent): void {
    this.events++;
    a.inWrapUp = false;
    if (this.applyPending(a)) return;
    this.storeOps++;
    const o = this.store.wrapUpDone(a.id);
    if (o) this.offer(o);
  }

  // ---- agents: shifts, breaks, missed calls -----------------------------------------------------------------

  private scheduleAgents(): void {
    for (const g of this.sc.agents) {
      const time: AgentTime = { readyMs: 0, busyMs: 0, notReadyMs: 0 };
      this.groups.set(g.name, time);
      const serves = servedQueues(g, this.sc.queues);
      for (let i = 0; i < g.count; i++) {
        // Always suffixed with digits, so ids of two groups cannot collide ("g" #1 is g-1; "g-1" #1 is g-1-1).
        const id = `${g.name}-${i + 1}`;
        if (this.agents.has(id)) throw new SimError('SCENARIO_INVALID', `agent id ${id} is made twice: agent group names must be unique`);
        const a: SimAgent = { id, group: g, groupTime: time, mode: 'out', call: undefined, inWrapUp: false, pending: undefined, timer: undefined, state: 'logged-out', stateSince: 0, onShift: false, breakRule: undefined, breakEndsAt: 0, serves };
        this.agents.set(id, a);
        for (const s of g.shifts) {
          this.at(s.startSec, () => this.shiftStart(a));
          if (Number.isFinite(s.endSec)) this.at(s.endSec, () => this.shiftEnd(a));
          for (const b of g.breaks) {
            // Spread the group's breaks evenly over the window, agent by agent, so the floor is never emptied.
            const start = s.startSec + b.afterSec + (g.count > 1 ? (b.spreadSec * i) / (g.count - 1) : 0);
            if (start < s.endSec) this.at(start, () => this.breakStart(a, b));
          }
        }
      }
    }
  }

  private at(sec: number, fn: () => void): void {
    this.clock.setTimeout(fn, sec * 1000 - this.clock.now());
  }

  private shiftStart(a: SimAgent): void {
    this.events++;
    a.onShift = true;
    if (a.group.supervisor && !(this.planEnforced && this.planLevelNow >= 2)) return;
    this.login(a);
  }

  private login(a: SimAgent): void {
    if (a.mode !== 'out') return;
    this.storeOps += 2;
    this.store.loginAgent({ id: a.id, name: a.id, skills: a.group.skills });
    a.mode = 'working';
    const o = this.store.setReady(a.id);
    if (o) this.offer(o);
  }

  private shiftEnd(a: SimAgent): void {
    this.events++;
    a.onShift = false;
    if (a.mode === 'out') return;
    if (this.busy(a)) {
      a.pending = { kind: 'logout' };
      return;
    }
    this.logout(a);
  }

  private breakStart(a: SimAgent, rule: BreakRule): void {
    this.events++;
    if (a.mode === 'out' || a.mode === 'break') return;
    if (this.breaksSuspended()) {
      this.deferredBreaks.push({ a, rule });
      return;
    }
    if (this.busy(a)) {
      // Breaks wait for the call in hand (and its wrap-up); a pending logout wins over a break.
      if (!a.pending) a.pending = { kind: 'break', rule };
      return;
    }
    this.startBreak(a, rule);
  }

  private startBreak(a: SimAgent, rule: BreakRule): void {
    this.clock.clearTimeout(a.timer);
    this.storeOps++;
    this.store.setNotReady(a.id, rule.reason);
    a.mode = 'break';
    a.breakRule = rule;
    a.breakEndsAt = this.clock.now() + rule.durationSec * 1000;
    a.timer = this.clock.setTimeout(() => this.backToWork(a), rule.durationSec * 1000);
  }

  private backToWork(a: SimAgent): void {
    this.events++;
    a.timer = undefined;
    a.breakRule = undefined;
    a.mode = 'working';
    this.storeOps++;
    const o = this.store.setReady(a.id);
    if (o) this.offer(o);
  }

  private missedRecovered(a: SimAgent): void {
    if (a.mode !== 'missed') return;
    this.backToWork(a);
  }

  private logout(a: SimAgent): void {
    this.clock.clearTimeout(a.timer);
    a.timer = undefined;
    a.pending = undefined;
    this.storeOps++;
    this.store.logout(a.id);
    a.mode = 'out';
  }

  /** The agent has just become free (ready with no new call, or not-ready after a miss): time for what waited. */
  private agentFree(a: SimAgent): void {
    this.applyPending(a);
  }

  /** Applies what waited for the call in hand; false when nothing did (or a break the plan put off). */
  private applyPending(a: SimAgent): boolean {
    const p = a.pending;
    if (!p) return false;
    a.pending = undefined;
    if (p.kind === 'logout') {
      this.logout(a);
      return true;
    }
    if (this.breaksSuspended()) {
      this.deferredBreaks.push({ a, rule: p.rule });
      return false;
    }
    this.startBreak(a, p.rule);
    return true;
  }

  private busy(a: SimAgent): boolean {
    return a.call !== undefined || a.inWrapUp || a.mode === 'callback';
  }

  private needsTick(): boolean {
    return this.sc.queues.some((q) => q.def.overflow.secondaryAfterSec !== undefined || q.def.overflow.queueAfterSec !== undefined || q.def.stickyAgentSec > 0);
  }

  /** Overflow stages and sticky windows open with time alone: the ACD must look again (as the app does each second). */
  private tick(): void {
    this.events++;
    this.storeOps++;
    for (const o of this.store.tick()) this.offer(o);
    if (this.clock.now() < this.windowEnd || this.calls.size > 0) this.clock.setTimeout(() => this.tick(), TICK_MS);
  }

  // ---- the peak plan (standard §5) and callbacks (§3) -------------------------------------------------------

  /** Once a second, as the app's evaluator does: the plan sees the calls waiting, then idle agents place callbacks. */
  private workflowTick(): void {
    this.events++;
    const now = this.clock.now();
    if (this.planEngine) {
      const waiting: Record<string, number> = {};
      for (const q of this.queues) waiting[q.id] = this.store.queueLength(q.id);
      const transitions = this.planEngine.observe(now, waiting);
      this.planLog!.sample(now, waiting, transitions, this.planEngine.level());
      if (this.planEnforced) this.planChanged(this.planEngine.level());
    }
    this.placeCallbacks();
    if (now < this.windowEnd || this.calls.size > 0 || this.callbackWorkLeft()) this.clock.setTimeout(() => this.workflowTick(), TICK_MS);
  }

  private breaksSuspended(): boolean {
    return this.planEnforced && this.planLevelNow >= 1;
  }

  /** What agents do when the enforced plan's level changes. */
  private planChanged(level: PlanLevel): void {
    const was = this.planLevelNow;
    if (level === was) return;
    this.planLevelNow = level;
    const plan = this.sc.plan!;
    if (was < 1 && level >= 1) {
      // Breaks suspended: agents on break are asked back and owe the rest of their break.
      const now = this.clock.now();
      const back = plan.breakReturnSec * 1000;
      for (const a of this.agents.values()) {
        if (a.mode !== 'break' || !a.breakRule || a.breakEndsAt - now <= back) continue;
        this.deferredBreaks.push({ a, rule: { ...a.breakRule, durationSec: (a.breakEndsAt - now - back) / 1000 } });
        this.clock.clearTimeout(a.timer);
        a.breakEndsAt = now + back;
        a.timer = this.clock.setTimeout(() => this.backToWork(a), back);
      }
    }
    if (was < 2 && level >= 2) {
      for (const a of this.agents.values()) if (a.group.supervisor && a.onShift) this.login(a);
    }
    if (was >= 2 && level < 2) {
      for (const a of this.agents.values()) {
        if (!a.group.supervisor || a.mode === 'out') continue;
        if (this.busy(a)) a.pending = { kind: 'logout' };
        else this.logout(a);
      }
    }
    if (was >= 1 && level < 1) {
      // Stand-down: the breaks put off are taken now, one agent at a time so the floor is not emptied at once.
      const owed = this.deferredBreaks;
      this.deferredBreaks = [];
      owed.forEach(({ a, rule }, i) => this.clock.setTimeout(() => this.breakStart(a, rule), i * plan.resumeBreaksEverySec * 1000));
    }
  }

  private requestCallback(c: SimCall, via: 'abandoned' | 'offered'): void {
    const cb = this.sc.callbacks!;
    const now = this.clock.now();
    const deadline = cb.deadlineSec === null ? Math.max(this.windowEnd, now) : now + cb.deadlineSec * 1000;
    this.book!.request({ queueId: c.q.id, via, requestedAt: now, deadline, talkSec: c.callbackTalkSec, placedAt: -1, doneAt: -1 });
  }

  /** A caller who has waited `offerAfterSec` takes the callback offered and leaves the queue. */
  private takesCallbackOffer(c: SimCall): void {
    this.events++;
    c.offerTimer = undefined;
    // Already ringing at a seat: the caller is about to be served.
    if (c.agent !== undefined) return;
    this.clock.clearTimeout(c.patienceTimer);
    c.patienceTimer = undefined;
    this.calls.delete(c.id);
    this.storeOps++;
    const r = this.store.abandon(c.id);
    if (c.batch >= 0) {
      c.q.stats.leftForCallback++;
      if (c.vip) c.q.vipStats!.leftForCallback++;
    }
    this.requestCallback(c, 'offered');
    if (r.offer) this.offer(r.offer);
  }

  /** Outbound callbacks: never while the enforced plan is active, only by ready agents whose queues are empty. */
  private placeCallbacks(): void {
    const book = this.book;
    if (!book || book.pending() === 0 || this.breaksSuspended()) return;
    const max = this.sc.callbacks!.maxAgents;
    for (const a of this.agents.values()) {
      if (book.active >= max || book.pending() === 0) return;
      if (a.group.supervisor || a.mode !== 'working' || a.state !== 'ready' || this.busy(a) || a.pending) continue;
      if (a.serves.some((q) => this.store.queueLength(q) > 0)) continue;
      const task = book.take(a.serves);
      if (task) this.startCallback(a, task);
    }
  }

  private startCallback(a: SimAgent, task: CallbackTask): void {
    this.storeOps++;
    this.store.setNotReady(a.id, 'other');
    a.mode = 'callback';
    task.placedAt = this.clock.now();
    this.book!.active++;
    this.onCallback?.(a.id, task);
    a.timer = this.clock.setTimeout(() => this.callbackDone(a, task), task.talkSec * 1000);
  }

  private callbackDone(a: SimAgent, task: CallbackTask): void {
    this.events++;
    a.timer = undefined;
    task.doneAt = this.clock.now();
    this.book!.active--;
    // The mode changes after the store call: the time up to now is accounted as callback (busy) time.
    if (this.applyPending(a)) return;
    this.storeOps++;
    const o = this.store.setReady(a.id);
    a.mode = 'working';
    if (o) this.offer(o);
  }

  private callbackWorkLeft(): boolean {
    return this.book !== undefined && (this.book.active > 0 || this.book.pending() > 0);
  }

  // ---- time accounting from the ACD's own state changes -----------------------------------------------------

  private onAcdEvent(e: AcdEvent): void {
    this.observe?.(e);
    if (e.type !== 'agent-state') return;
    const a = this.agents.get(e.agentId)!;
    this.account(a, e.at);
    a.state = e.to;
  }

  private account(a: SimAgent, at: number): void {
    const from = Math.max(a.stateSince, this.windowStart);
    const to = Math.min(at, this.windowEnd);
    a.stateSince = at;
    if (to <= from) return;
    const d = to - from;
    const t = a.groupTime;
    switch (a.state) {
      case 'ready':
        t.readyMs += d;
        break;
      case 'reserved':
      case 'ringing':
      case 'on-call':
      case 'wrap-up':
        t.busyMs += d;
        break;
      case 'not-ready':
        // A callback is work: the ACD sees the agent not ready for its calls, the centre sees them busy.
        if (a.mode === 'callback') t.busyMs += d;
        else t.notReadyMs += d;
        break;
      case 'logged-out':
        break;
    }
  }
}

/** Derives an independent stream seed from the run's seed and a stream number. */
function mixSeed(seed: number, stream: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d);
  return (z ^ (z >>> 12)) >>> 0;
}

/** Queues an agent group can serve: it has every skill the queue requires, at the level required. */
function servedQueues(g: AgentGroup, queues: readonly SimQueue[]): string[] {
  const level = new Map(g.skills.map((s) => [s.skill, s.level]));
  return queues.filter((q) => q.def.requiredSkills.every((r) => (level.get(r.skill) ?? 0) >= r.minLevel)).map((q) => q.def.id);
}

export function simulate(sc: Scenario, opts: SimRunOptions): SimRawResult {
  const sim = new Simulation(sc, opts.seed, opts.plan === undefined ? {} : { plan: opts.plan });
  return sim.run(opts);
}

