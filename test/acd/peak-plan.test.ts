import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import {
  activeCampaign,
  DEFAULT_PLAN_RULE,
  emptyPlanState,
  HOTLINE_SCOPE,
  mergeRule,
  observePlan,
  PeakPlanEngine,
  ruleProblems,
  type PlanRules,
  type PlanTransition,
} from '../../src/acd/peak-plan.js';

const MIN = 60_000;
const rules = (queues: PlanRules['queues'] = {}): PlanRules => ({ hotline: { ...DEFAULT_PLAN_RULE }, queues });

/** Drives an engine once a second on a virtual clock, as the production evaluator does. */
class Driver {
  readonly clock = new VirtualClock(Date.UTC(2026, 11, 7, 9, 0, 0));
  readonly engine: PeakPlanEngine;
  readonly seen: PlanTransition[] = [];
  waiting: Record<string, number> = {};
  constructor(r: PlanRules = rules()) {
    this.engine = new PeakPlanEngine(r);
  }
  /** Keep `waiting` for `ms`, sampling every second (the first sample now). */
  hold(waiting: Record<string, number>, ms: number): this {
    this.waiting = waiting;
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      this.seen.push(...this.engine.observe(this.clock.now(), this.waiting));
      this.clock.advance(1000);
    }
    return this;
  }
  /** One more sample at the current time. */
  sample(): PlanTransition[] {
    const t = this.engine.observe(this.clock.now(), this.waiting);
    this.seen.push(...t);
    return t;
  }
}

describe('peak plan rules (§5)', () => {
  it('9 waiting for 29 minutes → no plan; 30 minutes → level 1; drops to 5 → stand-down after the hysteresis', () => {
    const d = new Driver();
    const start = d.clock.now();
    d.hold({ general: 9 }, 29 * MIN);
    d.sample();
    expect(d.engine.level()).toBe(0);
    expect(d.seen).toEqual([]);
    d.hold({ general: 9 }, 1 * MIN);
    const [t] = d.sample();
    expect(d.engine.level()).toBe(1);
    expect(t).toEqual({
      type: 'activated',
      scope: HOTLINE_SCOPE,
      level: 1,
      at: start + 30 * MIN,
      activatedAt: start + 30 * MIN,
      scopeLevel: 1,
      figures: { waiting: 9, peakWaiting: 9, conditionSince: start, threshold: 8, requiredMs: 30 * MIN },
    });
    // Drops to 5: still level 1 for the 10 minutes of hysteresis, then stood down.
    const dropAt = d.clock.now() + 1000;
    d.clock.advance(1000);
    d.hold({ general: 5 }, 10 * MIN - 1000);
    d.sample();
    expect(d.engine.level()).toBe(1);
    d.clock.advance(1000);
    const [down] = d.sample();
    expect(d.engine.level()).toBe(0);
    expect(down).toMatchObject({ type: 'stood-down', scope: '*', level: 1, at: dropAt + 10 * MIN, activatedAt: start + 30 * MIN, scopeLevel: 0, figures: { waiting: 5, peakWaiting: 9, conditionSince: dropAt, threshold: 6 } });
    expect(d.seen).toHaveLength(2);
  });

  it('stays at level 1 while waiting sits between the clear threshold and the threshold (hysteresis in value)', () => {
    const d = new Driver().hold({ general: 8 }, 30 * MIN);
    d.sample();
    expect(d.engine.level()).toBe(1);
    d.hold({ general: 7 }, 60 * MIN);
    expect(d.engine.level()).toBe(1);
    d.hold({ general: 6 }, 10 * MIN);
    d.sample();
    expect(d.engine.level()).toBe(0);
  });

  it('level 2: 16 sustained 30 minutes; reports each level; steps down through level 1', () => {
    const d = new Driver();
    d.hold({ a: 10, b: 6 }, 30 * MIN);
    const both = d.sample();
    expect(both.map((t) => [t.type, t.level, t.scopeLevel])).toEqual([
      ['activated', 1, 1],
      ['activated', 2, 2],
    ]);
    expect(d.engine.level()).toBe(2);
    expect(d.engine.status().scopes[HOTLINE_SCOPE]).toMatchObject({ level: 2, waiting: 16, peakWaiting: 16 });
    // 10 waiting: level 2 clears (<= 12) after 10 min, level 1 stays (> 6).
    d.hold({ a: 10 }, 10 * MIN);
    const down = d.sample();
    expect(down.map((t) => [t.type, t.level, t.scopeLevel])).toEqual([['stood-down', 2, 1]]);
    expect(d.engine.level()).toBe(1);
    d.hold({}, 10 * MIN);
    expect(d.sample().map((t) => [t.type, t.level, t.scopeLevel])).toEqual([['stood-down', 1, 0]]);
  });

  it('level 1 first, then level 2 once 16 has held its own 30 minutes', () => {
    const d = new Driver().hold({ q: 9 }, 30 * MIN);
    d.sample();
    expect(d.engine.level()).toBe(1);
    d.hold({ q: 20 }, 29 * MIN);
    expect(d.engine.level()).toBe(1);
    d.hold({ q: 20 }, 1 * MIN);
    expect(d.sample().map((t) => [t.type, t.level])).toEqual([['activated', 2]]);
    // Straight to 0: both levels end in the same sample, level 2 first.
    d.hold({ q: 1 }, 10 * MIN);
    expect(d.sample().map((t) => [t.type, t.level, t.scopeLevel])).toEqual([
      ['stood-down', 2, 1],
      ['stood-down', 1, 0],
    ]);
  });

  it('a dip shorter than dipMs (2 min) does not reset the sustain window; a longer one does', () => {
    const d = new Driver().hold({ q: 9 }, 20 * MIN).hold({ q: 3 }, 2 * MIN - 1000).hold({ q: 9 }, 8 * MIN + 1000);
    d.sample();
    expect(d.engine.level()).toBe(1);

    const e = new Driver().hold({ q: 9 }, 20 * MIN).hold({ q: 3 }, 2 * MIN).hold({ q: 9 }, 8 * MIN);
    e.sample();
    expect(e.engine.level()).toBe(0);
    // The window restarted when the waiting came back after the long dip: 30 minutes from there.
    e.hold({ q: 9 }, 22 * MIN);
    e.sample();
    expect(e.engine.level()).toBe(1);
  });

  it('does not activate during a dip even when the window is long enough', () => {
    const d = new Driver().hold({ q: 9 }, 29 * MIN + 30_000).hold({ q: 2 }, 60_000);
    d.sample();
    expect(d.engine.level()).toBe(0);
    d.hold({ q: 9 }, 0);
    d.sample();
    expect(d.engine.level()).toBe(1);
  });

  it('a brief surge during stand-down does not restart the hysteresis; a long one does', () => {
    const d = new Driver().hold({ q: 9 }, 30 * MIN + 1000);
    expect(d.engine.level()).toBe(1);
    d.hold({ q: 4 }, 5 * MIN).hold({ q: 9 }, 60_000).hold({ q: 4 }, 4 * MIN);
    d.sample();
    expect(d.engine.level()).toBe(0);
    const e = new Driver().hold({ q: 9 }, 30 * MIN + 1000);
    expect(e.engine.level()).toBe(1);
    e.hold({ q: 4 }, 5 * MIN).hold({ q: 9 }, 3 * MIN).hold({ q: 4 }, 5 * MIN);
    e.sample();
    expect(e.engine.level()).toBe(1);
    e.hold({ q: 4 }, 5 * MIN);
    e.sample();
    expect(e.engine.level()).toBe(0);
  });

  it('per-queue rules: a small queue has its own scope and thresholds; the hotline counts every queue', () => {
    const d = new Driver(rules({ complaints: mergeRule(DEFAULT_PLAN_RULE, { level1: 3, level2: 6 }) }));
    d.hold({ complaints: 4, general: 2 }, 30 * MIN);
    const [t] = d.sample();
    expect(t).toMatchObject({ type: 'activated', scope: 'complaints', level: 1, figures: { threshold: 3, waiting: 4 } });
    expect(d.engine.status().scopes).toMatchObject({ complaints: { level: 1 }, '*': { level: 0, waiting: 6 } });
    expect(d.engine.level()).toBe(1);
    // The hotline scope alone: 5 + 5 in two queues reaches 8 hotline-wide with no queue at 8.
    const h = new Driver();
    h.hold({ a: 5, b: 5 }, 30 * MIN);
    expect(h.sample()).toMatchObject([{ scope: '*', level: 1, figures: { waiting: 10 } }]);
  });

  it('a queue scope whose rule is removed is stood down, marked unconfigured', () => {
    const d = new Driver(rules({ c: mergeRule(DEFAULT_PLAN_RULE, { level1: 3, level2: 6 }) })).hold({ c: 4 }, 30 * MIN);
    d.sample();
    d.engine.setRules(rules());
    d.clock.advance(1000);
    expect(d.sample()).toMatchObject([{ type: 'stood-down', scope: 'c', level: 1, figures: { reason: 'unconfigured' } }]);
    expect(d.engine.status().scopes.c).toBeUndefined();
  });

  it('is pure and serialisable: the state round-trips through JSON and carries on where it stopped', () => {
    const s0 = emptyPlanState();
    let s = s0;
    for (let t = 0; t < 29 * MIN; t += 1000) s = observePlan(rules(), s, t, { q: 9 }).state;
    expect(s0).toEqual(emptyPlanState());
    const restored = JSON.parse(JSON.stringify(s)) as typeof s;
    const a = observePlan(rules(), restored, 30 * MIN, { q: 9 });
    expect(a.transitions).toMatchObject([{ type: 'activated', level: 1, figures: { conditionSince: 0 } }]);
    // An older sample than the last is ignored.
    expect(observePlan(rules(), a.state, 10 * MIN, { q: 30 }).transitions).toEqual([]);
  });

  it('samples are a step function: sparse samples count the time between them', () => {
    let s = emptyPlanState();
    s = observePlan(rules(), s, 0, { q: 8 }).state;
    expect(observePlan(rules(), s, 30 * MIN - 1, { q: 8 }).transitions).toEqual([]);
    expect(observePlan(rules(), s, 30 * MIN, { q: 8 }).transitions).toHaveLength(1);
  });

  it('merges overrides and validates rules', () => {
    expect(mergeRule(DEFAULT_PLAN_RULE, { level1: 4 })).toMatchObject({ level1: 4, clear1: 3, level2: 16, clear2: 12 });
    expect(ruleProblems(DEFAULT_PLAN_RULE)).toEqual([]);
    expect(ruleProblems({ ...DEFAULT_PLAN_RULE, level2: 8 })).toContain('level2: must be above level1 (8)');
    expect(ruleProblems({ ...DEFAULT_PLAN_RULE, clear1: 8 })).toContain('clear1: must be below level1 (8)');
    expect(ruleProblems({ ...DEFAULT_PLAN_RULE, level1: 0.5 })).toEqual(['level1: must be an integer >= 1']);
    expect(ruleProblems({ ...DEFAULT_PLAN_RULE, dipMs: 40 * MIN })).toContain('dipMs: must be shorter than sustainMs');
  });

  it('status: overall level, since, and the campaign running now', () => {
    const d = new Driver().hold({ q: 9 }, 30 * MIN);
    d.sample();
    const c = { id: '1', name: 'sign-ups', from: 0, to: d.clock.now() + MIN };
    const st = d.engine.status(activeCampaign([c], d.clock.now()));
    expect(st).toMatchObject({ level: 1, since: d.clock.now(), campaign: c });
    expect(activeCampaign([c], c.to)).toBeNull();
    expect(activeCampaign([c, { ...c, id: '2', from: 5 }], 10)?.id).toBe('2');
  });
});
