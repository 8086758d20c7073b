/**
 * A simulation scenario in the simulator's own terms, after validation and unit conversion (everything in
 * seconds from the start of the run). Scenario files (scenario-file.ts) and the single-queue command line
 * (single-queue.ts) both produce one; the engine (engine.ts) only ever sees this shape.
 */
import type { AgentSkill, NotReadyReason, QueueDefinition } from '../acd/model.js';
import type { PlanRules } from '../acd/peak-plan.js';
import type { DurationSpec } from './rng.js';

/** From `fromSec` until the next interval (or the end of the run) calls arrive as a Poisson process. */
export interface ArrivalInterval {
  fromSec: number;
  callsPerHour: number;
}

export interface SimQueue {
  /** The ACD's own queue definition: routing, overflow, wrap-up and rings come from here, not from the simulator. */
  def: QueueDefinition;
  arrivals: ArrivalInterval[];
  /** Talk time (the ACD adds the queue's wrap-up after it). */
  handle: DurationSpec;
  /** Mean caller patience (exponential); null: callers never hang up while waiting. */
  patienceSec: number | null;
  /** A share of callers queued with a call priority (VIP): the ACD puts them ahead of normal callers. */
  vip?: { share: number; priority: number };
}

export interface Shift {
  startSec: number;
  /** Infinity: stays logged in to the end, drain included. */
  endSec: number;
}

export interface BreakRule {
  /** Seconds after the start of each shift. */
  afterSec: number;
  durationSec: number;
  /** Agents of the group start their break evenly spread over this window, not all at once. */
  spreadSec: number;
  reason: NotReadyReason;
}

export interface AgentGroup {
  name: string;
  count: number;
  skills: AgentSkill[];
  shifts: Shift[];
  breaks: BreakRule[];
  /** Probability that an offered call is not answered within the queue's rings (redirect on no answer). */
  ronaProbability: number;
  /** Seconds of ringing before an answering agent picks up. */
  answerAfterSec: number;
  /** After a missed call the agent is not-ready(missed) for this long, then makes themself ready again. */
  missedReadyAfterSec: number;
  /** Supervisors: on the floor for their shifts but logged in to the ACD only while the peak plan is at level 2. */
  supervisor?: boolean;
}

/** The peak-load emergency plan (standard §5) in the simulation: the real rule engine's rules plus how agents react. */
export interface SimPlan {
  rules: PlanRules;
  /** Agents on break when the plan starts come back after this long (they walk back to their seats). */
  breakReturnSec: number;
  /** After stand-down, the breaks the plan put off are taken one agent at a time, this far apart. */
  resumeBreaksEverySec: number;
}

/** Callers who become callback tasks (standard §3), placed by idle agents. */
export interface SimCallbacks {
  /** Callers who hang up after waiting at least this long may ask for a callback… */
  afterAbandonSec: number;
  /** …this share of them. */
  abandonShare: number;
  /** Callers still waiting this long are offered a callback (null: never offered)… */
  offerAfterSec: number | null;
  /** …and this share of them accept and leave the queue. */
  offerAcceptShare: number;
  /** A task's deadline after its request (null: the end of the day, `horizonSec`). */
  deadlineSec: number | null;
  /** At most this many agents on callbacks at once. */
  maxAgents: number;
  /** Talk time of a callback (null: the queue's handle time). */
  handle: DurationSpec | null;
}

export interface Scenario {
  name: string;
  /** Arrivals stop here; statistics cover calls that arrived in [warmupSec, horizonSec). */
  horizonSec: number;
  warmupSec: number;
  /** After the horizon the run goes on (no new calls) until every call has ended, for at most this long. */
  maxDrainSec: number;
  /** One ring of the ring-back cadence (China: 1 s on + 4 s off). */
  ringCadenceSec: number;
  skills: string[];
  queues: SimQueue[];
  agents: AgentGroup[];
  /** Callers are drawn from this many numbers, so some call again (and sticky routing has something to do). */
  callerPool: number;
  /** Batches for the batch-means confidence intervals. */
  batches: number;
  seed?: number;
  plan?: SimPlan;
  callbacks?: SimCallbacks;
}

export const DEFAULT_RING_CADENCE_SEC = 5;
export const DEFAULT_CALLER_POOL = 100_000;
export const DEFAULT_BATCHES = 20;

/** Mean of a duration spec, in seconds. */
export function meanSeconds(d: DurationSpec): number {
  return d.meanSec;
}

/** Expected number of arrivals of a queue in [from, to). */
export function expectedArrivals(q: SimQueue, fromSec: number, toSec: number): number {
  let n = 0;
  for (let i = 0; i < q.arrivals.length; i++) {
    const a = q.arrivals[i]!;
    const end = i + 1 < q.arrivals.length ? q.arrivals[i + 1]!.fromSec : Number.POSITIVE_INFINITY;
    const lo = Math.max(a.fromSec, fromSec);
    const hi = Math.min(end, toSec);
    if (hi > lo) n += (a.callsPerHour * (hi - lo)) / 3600;
  }
  return n;
}
