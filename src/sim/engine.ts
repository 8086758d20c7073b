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
import { VirtualClock, type TimerHandle } from '../core/clock.js';
import { SimError } from './errors.js';
import { assertRunnable } from './limits.js';
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
}

type Pending = { kind: 'break'; rule: BreakRule } | { kind: 'logout' };

interface SimAgent {
  id: string;
  group: AgentGroup;
  groupTime: AgentTime;
  /** out: logged out; working: the ACD decides (ready or busy); break; missed: not-ready after a missed call. */
  mode: 'out' | 'working' | 'break' | 'missed';
  call: SimCall | undefined;
  inWrapUp: boolean;
  pending: Pending | undefined;
  timer: TimerHandle | undefined;
  /** Last state the ACD reported and since when (for the time accounting). */
  state: AgentState;
  stateSince: number;
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

  /** `observe` sees every ACD event as it happens (tests, traces); the run does not depend on it. */
  constructor(sc: Scenario, seed: number, observe?: (e: AcdEvent) => void) {
    // Before anything is allocated: a run that cannot fit in memory or time is refused in one line.
    assertRunnable(sc);
    this.observe = observe;
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

    const every = Math.max(1, opts.progressEverySec ?? this.sc.horizonSec / 200) * 1000;
    for (let t = 0; t < this.windowEnd; ) {
      t = Math.min(this.windowEnd, t + every);
      this.clock.runUntil(t);
      opts.onProgress?.(t / 1000, this.sc.horizonSec);
    }
    // Drain: no new calls; let the ones in the system finish so late arrivals are not counted as unanswered.
    const drainEnd = this.windowEnd + this.sc.maxDrainSec * 1000;
    while (this.calls.size > 0) {
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
    const c: SimCall = { id, q, arrivedAt: now, vip, batch, patienceTimer: undefined, ringTimer: undefined, agent: undefined, offeredAt: 0 };
    this.calls.set(id, c);
    if (batch >= 0) {
      q.stats.arrived(batch);
      if (vip) q.vipStats!.arrived(batch);
    }
    if (q.patienceMs > 0) c.patienceTimer = this.clock.setTimeout(() => this.callerHangsUp(c), q.rng.exponential(q.patienceMs));
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
    this.calls.delete(c.id);
    this.storeOps++;
    const r = this.store.abandon(c.id);
    if (c.batch >= 0) {
      c.q.stats.abandonedCall(c.batch);
      if (c.vip) c.q.vipStats!.abandonedCall(c.batch);
    }
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
    this.storeOps++;
    this.store.answer(c.id);
    const now = this.clock.now();
    if (c.batch >= 0) {
      const wait = now - c.arrivedAt;
      const within = wait <= c.q.spec.def.serviceLevel.seconds * 1000;
      c.q.stats.answeredCall(c.batch, wait, now - c.offeredAt, within);
      if (c.vip) c.q.vipStats!.answeredCall(c.batch, wait, now - c.offeredAt, within);
    }
    this.clock.setTimeout(() => this.agentHangsUp(c), c.q.talk() * 1000);
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
    if (a.pending) this.applyPending(a);
    else a.timer = this.clock.setTimeout(() => this.missedRecovered(a), a.group.missedReadyAfterSec * 1000);
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
    if (a.pending) {
      this.applyPending(a);
      return;
    }
    this.storeOps++;
    const o = this.store.wrapUpDone(a.id);
    if (o) this.offer(o);
  }

  // ---- agents: shifts, breaks, missed calls -----------------------------------------------------------------

  private scheduleAgents(): void {
    for (const g of this.sc.agents) {
      const time: AgentTime = { readyMs: 0, busyMs: 0, notReadyMs: 0 };
      this.groups.set(g.name, time);
      for (let i = 0; i < g.count; i++) {
        // Always suffixed with digits, so ids of two groups cannot collide ("g" #1 is g-1; "g-1" #1 is g-1-1).
        const id = `${g.name}-${i + 1}`;
        if (this.agents.has(id)) throw new SimError('SCENARIO_INVALID', `agent id ${id} is made twice: agent group names must be unique`);
        const a: SimAgent = { id, group: g, groupTime: time, mode: 'out', call: undefined, inWrapUp: false, pending: undefined, timer: undefined, state: 'logged-out', stateSince: 0 };
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
    if (a.mode !== 'out') return;
    this.storeOps += 2;
    this.store.loginAgent({ id: a.id, name: a.id, skills: a.group.skills });
    a.mode = 'working';
    const o = this.store.setReady(a.id);
    if (o) this.offer(o);
  }

  private shiftEnd(a: SimAgent): void {
    this.events++;
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
    a.timer = this.clock.setTimeout(() => this.backToWork(a), rule.durationSec * 1000);
  }

  private backToWork(a: SimAgent): void {
    this.events++;
    a.timer = undefined;
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
    if (a.pending) this.applyPending(a);
  }

  private applyPending(a: SimAgent): void {
    const p = a.pending!;
    a.pending = undefined;
    if (p.kind === 'logout') this.logout(a);
    else this.startBreak(a, p.rule);
  }

  private busy(a: SimAgent): boolean {
    return a.call !== undefined || a.inWrapUp;
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
        t.notReadyMs += d;
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

export function simulate(sc: Scenario, opts: SimRunOptions): SimRawResult {
  const sim = new Simulation(sc, opts.seed);
  return sim.run(opts);
}

