import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AcdEvent } from '../../src/acd/events.js';
import { DEFAULT_PLAN_RULE } from '../../src/acd/peak-plan.js';
import { comparePlan } from '../../src/cli/simulate.js';
import { Simulation } from '../../src/sim/engine.js';
import { buildResult } from '../../src/sim/report.js';
import type { Scenario, SimCallbacks, SimPlan } from '../../src/sim/scenario.js';
import { parseScenario } from '../../src/sim/scenario-file.js';
import { group, scenario, simQueue } from './support.js';

const plan: SimPlan = { rules: { hotline: { ...DEFAULT_PLAN_RULE }, queues: {} }, breakReturnSec: 120, resumeBreaksEverySec: 60 };
const callbacks: SimCallbacks = { afterAbandonSec: 0, abandonShare: 1, offerAfterSec: null, offerAcceptShare: 0, deadlineSec: null, maxAgents: 2, handle: { distribution: 'constant', meanSec: 120 } };

/** A surge: 600 calls an hour for 40 minutes on one agent (10-minute calls, patience 5 min), then nothing. */
function surge(over: Partial<Scenario> = {}, wrapUpSec = 0): Scenario {
  return scenario({
    horizonSec: 3 * 3600,
    queues: [simQueue('a', 0, { arrivals: [{ fromSec: 0, callsPerHour: 600 }, { fromSec: 2400, callsPerHour: 0 }], handle: { distribution: 'constant', meanSec: 600 }, patienceSec: 300 }, { wrapUpSec })],
    agents: [group('g', 1, 'a')],
    plan,
    ...over,
  });
}

interface Traced {
  r: ReturnType<typeof buildResult>;
  events: AcdEvent[];
  placed: { agentId: string; at: number }[];
}

function trace(sc: Scenario, enforce = true, seed = 1): Traced {
  const events: AcdEvent[] = [];
  const placed: { agentId: string; at: number }[] = [];
  const sim = new Simulation(sc, seed, { plan: enforce, observe: (e) => events.push(e), onCallback: (agentId, t) => placed.push({ agentId, at: t.placedAt }) });
  return { r: buildResult(sim.run()), events, placed };
}

/** Calls waiting in the ACD at each whole second, rebuilt from its own events (as the app's evaluator sees it). */
function waitingBySecond(events: readonly AcdEvent[], untilSec: number): number[] {
  const out: number[] = [];
  let w = 0;
  let i = 0;
  for (let s = 0; s <= untilSec; s++) {
    for (; i < events.length && events[i]!.at <= s * 1000; i++) {
      const e = events[i]!;
      if (e.type === 'enqueued' || e.type === 'rona') w++;
      else if (e.type === 'offered' || (e.type === 'abandoned' && e.stage === 'waiting')) w--;
    }
    out.push(w);
  }
  return out;
}

describe('the peak plan in the simulator', () => {
  it('level 1 starts once 8 or more have waited for 30 minutes, level 2 at 16; both stand down after the surge', () => {
    const { r, events } = trace(surge());
    const w = waitingBySecond(events, 3 * 3600);
    const firstAt = (n: number): number => w.findIndex((x) => x >= n);
    const acts = r.plan!.activations;
    expect(acts.map((a) => a.level)).toEqual([1, 2]);
    // Once 8 (16) are waiting the queue only grows until the surge ends: the window starts at the first second.
    expect(w.slice(firstAt(8), 2400).every((x) => x >= 8)).toBe(true);
    expect(acts[0]!.startSec).toBe(firstAt(8) + 1800);
    expect(acts[1]!.startSec).toBe(firstAt(16) + 1800);
    // Stand-down: 10 minutes at or below the clear thresholds (12 for level 2, 6 for level 1).
    const clearedAt = (n: number): number => w.findIndex((x, s) => s > 2400 && w.slice(s).every((y) => y <= n));
    expect(acts[1]!.endSec).toBe(clearedAt(12) + 600);
    expect(acts[0]!.endSec).toBe(clearedAt(6) + 600);
    expect(acts[1]!.peakWaiting).toBe(Math.max(...w.slice(acts[1]!.startSec, acts[1]!.endSec! + 1)));
    expect(r.plan!.enforced).toBe(true);
  });

  it('suspends breaks while active: agents due for one stay, agents on one come back after breakReturnSec and take the rest after stand-down', () => {
    // Two agents; a 40-minute break due at 0:40 for the first, at 0:45 for the second: the plan (from ~0:31) stops
    // both. A short wrap-up, so that without the plan a break starts right after the call in hand.
    const sc = surge({ agents: [group('g', 2, 'a', { breaks: [{ afterSec: 2400, durationSec: 2400, spreadSec: 300, reason: 'break' }] })] }, 10);
    const on = trace(sc);
    const off = trace(sc, false);
    const l1 = on.r.plan!.activations.find((a) => a.level === 1)!;
    const breaks = (t: Traced) => t.events.filter((e): e is Extract<AcdEvent, { type: 'agent-state' }> => e.type === 'agent-state' && e.reason === 'break');
    // Without the plan both go after the call in hand (10-minute calls), while the plan would have been active.
    const offTaken = breaks(off).map((e) => e.at / 1000);
    expect(offTaken).toHaveLength(2);
    const offL1 = off.r.plan!.activations.find((a) => a.level === 1)!;
    expect(off.r.plan!.enforced).toBe(false);
    expect(offTaken.every((t) => t >= 2400 && t <= 2700 + 610 && t < offL1.endSec!)).toBe(true);
    // With it, no break starts while the plan is active; both are taken after stand-down.
    const taken = breaks(on).map((e) => e.at / 1000);
    expect(taken).toHaveLength(2);
    expect(taken.every((t) => t >= l1.endSec!)).toBe(true);

    // An agent already on break when the plan starts is back 2 minutes later.
    const early = surge({ agents: [group('g', 1, 'a', { breaks: [{ afterSec: 600, durationSec: 3600, spreadSec: 0, reason: 'break' }] })] }, 10);
    const t = trace(early);
    const start = t.r.plan!.activations[0]!.startSec;
    const back = t.events.find((e) => e.type === 'agent-state' && e.from === 'not-ready' && e.at / 1000 > start);
    expect(back?.at).toBe((start + 120) * 1000);
    // The rest of the break is owed, and taken after stand-down.
    const end = t.r.plan!.activations.find((a) => a.level === 1)!.endSec!;
    const again = breaks(t).filter((e) => e.at / 1000 > start);
    expect(again).toHaveLength(1);
    expect(again[0]!.at / 1000).toBeGreaterThanOrEqual(end);
  });

  it('supervisors log in at level 2 only, and log out after its stand-down', () => {
    const sc = surge({ agents: [group('g', 1, 'a'), group('sup', 2, 'a', { supervisor: true })] });
    const on = trace(sc);
    const l2 = on.r.plan!.activations.find((a) => a.level === 2)!;
    const sup = (t: Traced) => t.events.filter((e) => e.type === 'agent-state' && e.agentId.startsWith('sup-') && (e.from === 'logged-out' || e.to === 'logged-out'));
    const logins = sup(on).filter((e) => e.type === 'agent-state' && e.from === 'logged-out');
    expect(logins.map((e) => [e.type === 'agent-state' && e.agentId, e.at / 1000])).toEqual([['sup-1', l2.startSec], ['sup-2', l2.startSec]]);
    const logouts = sup(on).filter((e) => e.type === 'agent-state' && e.to === 'logged-out');
    expect(logouts).toHaveLength(2);
    // After the call in hand (10 minutes at most).
    for (const e of logouts) expect(e.at / 1000 - l2.endSec!).toBeGreaterThanOrEqual(0);
    for (const e of logouts) expect(e.at / 1000 - l2.endSec!).toBeLessThanOrEqual(600);
    expect(on.r.agents.sup!.agentHours).toBeGreaterThan(0);
    // Without the plan they supervise: never a call.
    const off = trace(sc, false);
    expect(sup(off)).toHaveLength(0);
    expect(off.r.answered).toBeLessThan(on.r.answered);
  });

  it('callbacks: paused while the plan is active, placed by idle agents after it; deadlines met and missed are counted', () => {
    const sc = surge({ agents: [group('g', 3, 'a')], callbacks });
    const on = trace(sc);
    const l1 = on.r.plan!.activations.find((a) => a.level === 1)!;
    const cb = on.r.callbacks!;
    expect(cb.requested).toBe(on.r.abandoned);
    expect(cb.requested).toBeGreaterThan(50);
    expect(cb.placed).toBeGreaterThan(0);
    expect(on.placed.every((p) => p.at < l1.startSec * 1000 || p.at >= l1.endSec! * 1000)).toBe(true);
    expect(on.placed.some((p) => p.at >= l1.endSec! * 1000)).toBe(true);
    // At most maxAgents (2) at once, each callback 2 minutes long; with 3 idle agents, 2 do reach it.
    const concurrent = on.placed.map((p) => on.placed.filter((q) => q.at <= p.at && p.at < q.at + 120_000).length);
    expect(Math.max(...concurrent)).toBe(2);
    // Deadline at the end of the day (3 h): two agents at a time cannot call all of them back by then.
    expect(cb.deadlineMet + cb.deadlineMissed + cb.open).toBe(cb.requested);
    expect(cb.deadlineMet).toBeGreaterThan(0);
    expect(cb.deadlineMissed).toBeGreaterThan(0);
    expect(on.placed.filter((p) => p.at <= sc.horizonSec * 1000).length).toBeGreaterThanOrEqual(cb.deadlineMet);
    // Without the plan the agents still only dial when nobody waits: the same rule, no pause.
    const off = trace(sc, false);
    expect(off.r.callbacks!.requested).toBeGreaterThan(0);
  });

  it('a caller offered a callback at a long wait takes it and leaves the queue, neither answered nor abandoned', () => {
    const sc = surge({ callbacks: { ...callbacks, abandonShare: 0, offerAfterSec: 60, offerAcceptShare: 1 } });
    const { r } = trace(sc);
    expect(r.leftForCallback).toBeGreaterThan(100);
    expect(r.callbacks!.fromOffer).toBe(r.leftForCallback);
    expect(r.callbacks!.fromAbandoned).toBe(0);
    expect(r.answered + r.abandoned + r.leftForCallback + r.unfinished).toBe(r.calls);
  });

  it('the comparison runs the same callers both ways; a plan that never triggers changes nothing', () => {
    const quiet = scenario({ horizonSec: 4 * 3600, queues: [simQueue('a', 100, { patienceSec: 120 })], agents: [group('g', 4, 'a', { breaks: [{ afterSec: 3600, durationSec: 900, spreadSec: 1800, reason: 'break' }] })], plan, callbacks });
    const q = comparePlan(quiet, 5);
    expect(q.withPlan.plan!.activations).toEqual([]);
    const { plan: pa, ...a } = q.withPlan;
    const { plan: pb, ...b } = q.withoutPlan;
    expect(a).toEqual(b);
    expect([pa!.enforced, pb!.enforced]).toEqual([true, false]);

    const c = comparePlan(surge({ agents: [group('g', 1, 'a'), group('sup', 2, 'a', { supervisor: true })] }), 5);
    expect(c.seed).toBe(5);
    expect(c.withPlan.calls).toBe(c.withoutPlan.calls);
    expect(c.withPlan.plan!.activations.length).toBeGreaterThan(0);
    // Declared the same way while the floor is the same (before level 2 brings the supervisors in).
    expect(c.withoutPlan.plan!.activations.map((x) => [x.level, x.startSec])).toEqual(c.withPlan.plan!.activations.map((x) => [x.level, x.startSec]));
  });

  it('the shipped peak-day example triggers both levels and clears them, and the plan cuts abandons', () => {
    const sc = parseScenario(readFileSync(new URL('../../src/sim/examples/peak-day.yaml', import.meta.url), 'utf8'), 'peak-day.yaml');
    const c = comparePlan(sc, sc.seed!);
    const acts = c.withPlan.plan!.activations;
    expect(acts.map((a) => a.level).sort()).toEqual([1, 2]);
    expect(acts.every((a) => a.endSec !== null && a.endSec < sc.horizonSec)).toBe(true);
    expect(c.withPlan.callbacks!.placed).toBeGreaterThan(0);
    expect(c.withPlan.callbacks!.deadlineMet).toBe(c.withPlan.callbacks!.requested);
    expect(c.withPlan.abandonRate).toBeLessThan(c.withoutPlan.abandonRate);
    expect(c.withPlan.asaSeconds).toBeLessThan(c.withoutPlan.asaSeconds);
  });
});
