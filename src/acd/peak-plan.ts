/**
 * The peak-load emergency plan's rules (hotline standard §5): pure, clock-driven, no I/O. The production evaluator
 * (src/plan/evaluator.ts) keeps the state in Redis and feeds it the calls waiting once a second; the simulator can
 * drive the same engine with `observe(nowMs, waitingByQueue)` on its virtual clock.
 *
 * Decisions (documented in README "Peak-load emergency plan"):
 *  - Scopes. The hotline scope ('*') watches the sum of calls waiting in every queue, with the hotline-wide rule.
 *    A queue is a scope of its own only when it has a rule (queues.yaml `peakPlan`): with the hotline's 8/16 on
 *    every queue, a queue's level could never exceed the hotline's. The plan's level is the highest scope level.
 *  - Activation. Level L starts when waiting >= threshold(L) has been sustained for `sustainMs` (30 min). Samples are
 *    a step function: a value holds until the next sample.
 *  - Brief dips. A dip below the threshold shorter than `dipMs` (default 2 min: a few callers answered at once) does
 *    not reset the sustain window; a longer one does. Activation still needs the current sample at or above the
 *    threshold. The same tolerance applies, mirrored, to stand-down (a brief surge does not restart it).
 *  - Stand-down, with hysteresis both in value and in time. Level L ends once waiting <= clear(L) (default 3/4 of
 *    the threshold rounded down: 6 for 8, 12 for 16) has been sustained for `standDownMs` (default 10 min). Level 2
 *    ending leaves level 1 if level 1's own stand-down is not met.
 *  - Transitions are per level: 0 → 2 in one sample reports level 1 and level 2 activated; 2 → 0 reports level 2
 *    then level 1 stood down. Each carries its figures (peak waiting, since when the condition held, threshold).
 *  - A scope whose rule is removed (queues.yaml edit) while active is stood down at the next sample.
 */

export type PlanLevel = 0 | 1 | 2;

/** The scope id of the whole hotline (sum of all queues). Queue scopes use the queue id. */
export const HOTLINE_SCOPE = '*';

export interface PlanRule {
  /** Level 1 when at least this many callers wait, sustained. */
  level1: number;
  /** Level 2 when at least this many callers wait, sustained. */
  level2: number;
  /** Level 1 may stand down once waiting is at most this (hysteresis in value). */
  clear1: number;
  /** Level 2 may stand down once waiting is at most this. */
  clear2: number;
  /** How long the threshold must hold before a level starts (ms). */
  sustainMs: number;
  /** How long the clear condition must hold before a level ends (ms). */
  standDownMs: number;
  /** A dip (or, standing down, a surge) shorter than this does not reset the window (ms). */
  dipMs: number;
}

export interface PlanRules {
  hotline: PlanRule;
  /** Queues with a rule of their own (complete rules: merge overrides with `mergeRule` first). */
  queues: Readonly<Record<string, PlanRule>>;
}

export const DEFAULT_PLAN_RULE: Readonly<PlanRule> = Object.freeze({
  level1: 8,
  level2: 16,
  clear1: 6,
  clear2: 12,
  sustainMs: 30 * 60_000,
  standDownMs: 10 * 60_000,
  dipMs: 2 * 60_000,
});

/** The default clear threshold for a level threshold: 3/4 of it, rounded down. */
export function defaultClear(threshold: number): number {
  return Math.floor((threshold * 3) / 4);
}

/**
 * A complete rule from a partial override over a base. An override that moves a threshold without naming its clear
 * value gets the default clear for the new threshold (not the base's, which could sit above it).
 */
export function mergeRule(base: PlanRule, o: Partial<PlanRule>): PlanRule {
  const level1 = o.level1 ?? base.level1;
  const level2 = o.level2 ?? base.level2;
  return {
    level1,
    level2,
    clear1: o.clear1 ?? (o.level1 !== undefined ? defaultClear(level1) : base.clear1),
    clear2: o.clear2 ?? (o.level2 !== undefined ? defaultClear(level2) : base.clear2),
    sustainMs: o.sustainMs ?? base.sustainMs,
    standDownMs: o.standDownMs ?? base.standDownMs,
    dipMs: o.dipMs ?? base.dipMs,
  };
}

/** A queue's queues.yaml override (seconds) over the hotline's rule. */
export function queuePlanRule(base: PlanRule, o: { level1?: number; level2?: number; clear1?: number; clear2?: number; sustainSec?: number; standDownSec?: number; dipSec?: number }): PlanRule {
  const p: Partial<PlanRule> = {};
  if (o.level1 !== undefined) p.level1 = o.level1;
  if (o.level2 !== undefined) p.level2 = o.level2;
  if (o.clear1 !== undefined) p.clear1 = o.clear1;
  if (o.clear2 !== undefined) p.clear2 = o.clear2;
  if (o.sustainSec !== undefined) p.sustainMs = o.sustainSec * 1000;
  if (o.standDownSec !== undefined) p.standDownMs = o.standDownSec * 1000;
  if (o.dipSec !== undefined) p.dipMs = o.dipSec * 1000;
  return mergeRule(base, p);
}

/** The engine's rules: the hotline's, and one per queue that declares `peakPlan` (a queue whose merged rule is
 * invalid against this hotline rule is left out and reported in `skipped`). */
export function planRules(hotline: PlanRule, queues: readonly { id: string; peakPlan?: Parameters<typeof queuePlanRule>[1] }[]): { rules: PlanRules; skipped: { queueId: string; problems: string[] }[] } {
  const out: Record<string, PlanRule> = {};
  const skipped: { queueId: string; problems: string[] }[] = [];
  for (const q of queues) {
    if (!q.peakPlan) continue;
    const r = queuePlanRule(hotline, q.peakPlan);
    const problems = ruleProblems(r);
    if (problems.length > 0) skipped.push({ queueId: q.id, problems });
    else out[q.id] = r;
  }
  return { rules: { hotline, queues: out }, skipped };
}

/** Problems with a rule, as `field: message` strings (empty when fine). */
export function ruleProblems(r: PlanRule): string[] {
  const out: string[] = [];
  const int = (k: keyof PlanRule, min: number): void => {
    if (!Number.isInteger(r[k]) || r[k] < min) out.push(`${k}: must be an integer >= ${min}`);
  };
  int('level1', 1);
  int('level2', 1);
  int('clear1', 0);
  int('clear2', 0);
  int('sustainMs', 0);
  int('standDownMs', 0);
  int('dipMs', 0);
  if (out.length > 0) return out;
  if (r.level2 <= r.level1) out.push(`level2: must be above level1 (${r.level1})`);
  if (r.clear1 >= r.level1) out.push(`clear1: must be below level1 (${r.level1})`);
  if (r.clear2 >= r.level2) out.push(`clear2: must be below level2 (${r.level2})`);
  if (r.clear1 > r.clear2) out.push(`clear1: must not be above clear2 (${r.clear2})`);
  if (r.dipMs > 0 && r.dipMs >= r.sustainMs) out.push('dipMs: must be shorter than sustainMs');
  if (r.dipMs > 0 && r.dipMs >= r.standDownMs) out.push('dipMs: must be shorter than standDownMs');
  return out;
}

/** A condition held over time, tolerating interruptions shorter than the rule's dipMs. */
export interface Run {
  /** When the condition started holding (null: not holding). */
  since: number | null;
  /** When the current interruption started (null: none). */
  breakSince: number | null;
  /** Highest waiting seen since `since`. */
  peak: number;
}

export interface ScopeState {
  level: PlanLevel;
  /** When the current level started (or, at 0, when the plan last stood down; null: never active). */
  since: number | null;
  /** When each level started, while active ([level 1, level 2]). */
  activeSince: [number | null, number | null];
  /** Peak waiting while each level is active. */
  activePeak: [number, number];
  /** Waiting >= level1 / >= level2. */
  rise: [Run, Run];
  /** Waiting <= clear1 / <= clear2. */
  fall: [Run, Run];
  lastWaiting: number;
  lastAt: number;
}

/** The engine's whole state: plain JSON (kept in Redis by the production evaluator). */
export interface PlanState {
  v: 1;
  scopes: Record<string, ScopeState>;
  lastAt: number | null;
}

export interface PlanFigures {
  /** Calls waiting in the scope at the transition. */
  waiting: number;
  /** Highest waiting over the sustained window (activation) or over the activation (stand-down). */
  peakWaiting: number;
  /** When the condition that caused the transition started holding (epoch ms). */
  conditionSince: number;
  /** The threshold crossed: level threshold (activation) or clear threshold (stand-down). */
  threshold: number;
  /** How long the condition had to hold (ms). */
  requiredMs: number;
  /** Why a stand-down happened without its condition: the scope lost its rule. */
  reason?: 'unconfigured';
}

export interface PlanTransition {
  type: 'activated' | 'stood-down';
  scope: string;
  /** The level that started or ended. */
  level: 1 | 2;
  at: number;
  /** When this level started (the activation's `at`), for both kinds: the activation's identity. */
  activatedAt: number;
  /** The scope's level after the transition. */
  scopeLevel: PlanLevel;
  figures: PlanFigures;
}

export interface ScopeStatus {
  level: PlanLevel;
  since: number | null;
  waiting: number;
  peakWaiting: number;
}

export interface PlanCampaign {
  id: string;
  name: string;
  from: number;
  to: number;
}

/** What the API and the wallboard show. */
export interface PlanStatus {
  level: PlanLevel;
  /** When the current overall level started (null: the plan has never been active). */
  since: number | null;
  scopes: Record<string, ScopeStatus>;
  /** The campaign running now, if any. */
  campaign: PlanCampaign | null;
}

export function emptyPlanState(): PlanState {
  return { v: 1, scopes: {}, lastAt: null };
}

function emptyRun(): Run {
  return { since: null, breakSince: null, peak: 0 };
}

function emptyScope(): ScopeState {
  return { level: 0, since: null, activeSince: [null, null], activePeak: [0, 0], rise: [emptyRun(), emptyRun()], fall: [emptyRun(), emptyRun()], lastWaiting: 0, lastAt: 0 };
}

/** Feed one sample to a run. A sample that holds after an interruption of at least dipMs restarts the run. */
function feed(run: Run, holds: boolean, at: number, waiting: number, dipMs: number): void {
  if (holds) {
    if (run.since === null || (run.breakSince !== null && at - run.breakSince >= dipMs)) {
      run.since = at;
      run.peak = waiting;
    }
    run.breakSince = null;
    run.peak = Math.max(run.peak, waiting);
  } else if (run.since !== null) {
    run.breakSince ??= at;
    if (at - run.breakSince >= dipMs) {
      run.since = null;
      run.breakSince = null;
      run.peak = 0;
    }
  }
}

function met(run: Run, holds: boolean, at: number, requiredMs: number): boolean {
  return holds && run.since !== null && at - run.since >= requiredMs;
}

/** Advance one scope by one sample; returns its transitions (mutates `s`). */
function stepScope(scope: string, s: ScopeState, rule: PlanRule, at: number, waiting: number): PlanTransition[] {
  const up = [waiting >= rule.level1, waiting >= rule.level2] as const;
  const down = [waiting <= rule.clear1, waiting <= rule.clear2] as const;
  for (const i of [0, 1] as const) {
    feed(s.rise[i], up[i], at, waiting, rule.dipMs);
    feed(s.fall[i], down[i], at, waiting, rule.dipMs);
    if (s.activeSince[i] !== null) s.activePeak[i] = Math.max(s.activePeak[i], waiting);
  }
  s.lastWaiting = waiting;
  s.lastAt = at;
  const out: PlanTransition[] = [];
  const thresholds = [rule.level1, rule.level2] as const;
  const clears = [rule.clear1, rule.clear2] as const;
  const activate = (i: 0 | 1): void => {
    const run = s.rise[i];
    s.activeSince[i] = at;
    s.activePeak[i] = waiting;
    s.level = (i + 1) as PlanLevel;
    s.since = at;
    // A fresh activation must wait for its own stand-down condition, not one counted before it.
    s.fall[i] = emptyRun();
    out.push({ type: 'activated', scope, level: (i + 1) as 1 | 2, at, activatedAt: at, scopeLevel: s.level, figures: { waiting, peakWaiting: run.peak, conditionSince: run.since ?? at, threshold: thresholds[i], requiredMs: rule.sustainMs } });
  };
  const standDown = (i: 0 | 1, reason?: 'unconfigured'): void => {
    const run = s.fall[i];
    const activatedAt = s.activeSince[i] ?? at;
    const peakWaiting = Math.max(s.activePeak[i], run.peak);
    s.activeSince[i] = null;
    s.activePeak[i] = 0;
    s.level = i === 1 ? 1 : 0;
    s.since = at;
    // A new activation counts its sustained window afresh from now.
    s.rise[i] = emptyRun();
    if (up[i] && !reason) feed(s.rise[i], true, at, waiting, rule.dipMs);
    const figures: PlanFigures = { waiting, peakWaiting, conditionSince: run.since ?? at, threshold: clears[i], requiredMs: rule.standDownMs };
    if (reason) figures.reason = reason;
    out.push({ type: 'stood-down', scope, level: (i + 1) as 1 | 2, at, activatedAt, scopeLevel: s.level, figures });
  };
  if (s.level < 1 && met(s.rise[0], up[0], at, rule.sustainMs)) activate(0);
  if (s.level < 2 && met(s.rise[1], up[1], at, rule.sustainMs)) activate(1);
  const activated = out.length > 0;
  if (!activated && s.level === 2 && met(s.fall[1], down[1], at, rule.standDownMs)) standDown(1);
  if (!activated && s.level === 1 && met(s.fall[0], down[0], at, rule.standDownMs)) standDown(0);
  return out;
}

/**
 * One sample of calls waiting per queue at `nowMs`: returns the new state (the input is not modified) and the
 * transitions it caused. Samples must come in time order; one older than the last is ignored (no transitions).
 */
export function observePlan(rules: PlanRules, state: PlanState, nowMs: number, waitingByQueue: Readonly<Record<string, number>>): { state: PlanState; transitions: PlanTransition[] } {
  if (state.lastAt !== null && nowMs < state.lastAt) return { state, transitions: [] };
  const next = structuredClone(state);
  next.lastAt = nowMs;
  const transitions: PlanTransition[] = [];
  let total = 0;
  for (const n of Object.values(waitingByQueue)) total += n;
  const scopes: [string, PlanRule, number][] = [[HOTLINE_SCOPE, rules.hotline, total]];
  for (const [q, rule] of Object.entries(rules.queues)) scopes.push([q, rule, waitingByQueue[q] ?? 0]);
  const live = new Set(scopes.map(([id]) => id));
  for (const [id, rule, waiting] of scopes) {
    const s = (next.scopes[id] ??= emptyScope());
    transitions.push(...stepScope(id, s, rule, nowMs, waiting));
  }
  for (const [id, s] of Object.entries(next.scopes)) {
    if (live.has(id)) continue;
    for (const i of [1, 0] as const) {
      if (s.activeSince[i] === null) continue;
      const activatedAt = s.activeSince[i];
      s.activeSince[i] = null;
      s.level = i === 1 ? 1 : 0;
      transitions.push({ type: 'stood-down', scope: id, level: (i + 1) as 1 | 2, at: nowMs, activatedAt, scopeLevel: s.level, figures: { waiting: waitingByQueue[id] ?? 0, peakWaiting: s.activePeak[i], conditionSince: nowMs, threshold: 0, requiredMs: 0, reason: 'unconfigured' } });
    }
    delete next.scopes[id];
  }
  return { state: next, transitions };
}

/** The overall level: the highest scope level. */
export function planLevel(state: PlanState): PlanLevel {
  let l: PlanLevel = 0;
  for (const s of Object.values(state.scopes)) if (s.level > l) l = s.level;
  return l;
}

/** The API's view of a state, with the campaign running now. */
export function planStatus(state: PlanState, campaign: PlanCampaign | null = null): PlanStatus {
  const level = planLevel(state);
  let since: number | null = null;
  const scopes: Record<string, ScopeStatus> = {};
  for (const [id, s] of Object.entries(state.scopes)) {
    const peakWaiting = s.level > 0 ? s.activePeak[s.level - 1]! : 0;
    scopes[id] = { level: s.level, since: s.since, waiting: s.lastWaiting, peakWaiting };
    if (level > 0 && s.level === level && s.since !== null) since = since === null ? s.since : Math.min(since, s.since);
  }
  if (level === 0) for (const s of Object.values(state.scopes)) if (s.since !== null) since = since === null ? s.since : Math.max(since, s.since);
  return { level, since, scopes, campaign };
}

/** The campaign running at `nowMs` (the one that started last when several overlap). */
export function activeCampaign(campaigns: readonly PlanCampaign[], nowMs: number): PlanCampaign | null {
  let best: PlanCampaign | null = null;
  for (const c of campaigns) if (c.from <= nowMs && nowMs < c.to && (!best || c.from > best.from)) best = c;
  return best;
}

/**
 * The engine as an object, for drivers that keep it in memory (the simulator, tests): `observe(nowMs,
 * waitingByQueue)` once per sample, `level()` / `status()` to read. `state()` is plain JSON; pass it back to the
 * constructor to carry on (the Redis evaluator does exactly that).
 */
export class PeakPlanEngine {
  private current: PlanState;
  constructor(
    private rules: PlanRules,
    state: PlanState = emptyPlanState(),
  ) {
    this.current = state;
  }

  observe(nowMs: number, waitingByQueue: Readonly<Record<string, number>>): PlanTransition[] {
    const r = observePlan(this.rules, this.current, nowMs, waitingByQueue);
    this.current = r.state;
    return r.transitions;
  }

  setRules(rules: PlanRules): void {
    this.rules = rules;
  }

  level(): PlanLevel {
    return planLevel(this.current);
  }

  status(campaign: PlanCampaign | null = null): PlanStatus {
    return planStatus(this.current, campaign);
  }

  state(): PlanState {
    return this.current;
  }
}
