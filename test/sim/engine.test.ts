import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AcdEvent } from '../../src/acd/events.js';
import { Simulation, simulate } from '../../src/sim/engine.js';
import { buildResult } from '../../src/sim/report.js';
import { parseScenario } from '../../src/sim/scenario-file.js';
import { group, scenario, simQueue } from './support.js';

const run = (sc: Parameters<typeof simulate>[0], seed = 1) => buildResult(simulate(sc, { seed }));
const example = () => parseScenario(readFileSync(new URL('../../src/sim/examples/two-skills.yaml', import.meta.url), 'utf8'), 'two-skills.yaml');

describe('simulator on the real ACD rules', () => {
  it('is deterministic for a seed, and another seed gives another run', () => {
    const a = run(example(), 7);
    const b = run(example(), 7);
    const c = run(example(), 8);
    expect(b).toEqual(a);
    expect(c.calls === a.calls && c.asaSeconds === a.asaSeconds).toBe(false);
  });

  it('accounts for every call, in total and per queue', () => {
    const r = run(example(), 3);
    expect(r.calls).toBeGreaterThan(2500);
    expect(r.answered + r.abandoned + r.unfinished).toBe(r.calls);
    const qs = Object.values(r.queues);
    expect(qs.reduce((n, q) => n + q.calls, 0)).toBe(r.calls);
    expect(qs.reduce((n, q) => n + q.answered, 0)).toBe(r.answered);
    expect(r.rona).toBeGreaterThan(0);
    // Agents answer after 3–4 s of a 5 s ring; re-offered calls add 15 s of ringing each.
    expect(r.avgRings).toBeGreaterThan(0.6);
    expect(r.avgRings).toBeLessThan(1);
  });

  it('arrivals follow the interval rates: none in a zero-rate hour, ~3,600 in a 3,600/h hour', () => {
    const q = simQueue('a', 0, { arrivals: [{ fromSec: 0, callsPerHour: 0 }, { fromSec: 3600, callsPerHour: 3600 }], handle: { distribution: 'constant', meanSec: 1 } });
    const all = run(scenario({ horizonSec: 7200, queues: [q], agents: [group('g', 20, 'a')] }));
    const late = run(scenario({ horizonSec: 7200, warmupSec: 3600, queues: [q], agents: [group('g', 20, 'a')] }));
    expect(late.calls).toBe(all.calls);
    expect(Math.abs(all.calls - 3600)).toBeLessThan(4 * 60); // Poisson: sd = √3600
  });

  it('RONA: an agent who never answers gets every call redirected and no call is answered', () => {
    const sc = scenario({ queues: [simQueue('a', 60, { patienceSec: 60 })], agents: [group('g', 3, 'a', { ronaProbability: 1 })] });
    const r = run(sc);
    expect(r.calls).toBeGreaterThan(30);
    expect(r.answered).toBe(0);
    expect(r.abandoned).toBe(r.calls);
    expect(r.rona).toBeGreaterThan(0);
    expect(r.agents.g!.notReadyShare).toBeGreaterThan(0);
  });

  it('RONA: the share of offers that ring out is the agents\' probability; answered calls rang answerAfterSec', () => {
    const p = 0.2;
    const sc = scenario({ horizonSec: 40 * 3600, queues: [simQueue('a', 60)], agents: [group('g', 4, 'a', { ronaProbability: p, answerAfterSec: 4, missedReadyAfterSec: 10 })] });
    const r = run(sc);
    const offers = r.answered + r.rona;
    expect(r.answered).toBe(r.calls);
    expect(Math.abs(r.rona / offers - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / offers));
    expect(r.avgRings).toBeCloseTo(4 / 5, 9);
  });

  it('wrap-up is busy time: occupancy = λ·(talk + wrap-up)/agents', () => {
    const sc = scenario({
      horizonSec: 100 * 3600,
      queues: [simQueue('a', 60, { handle: { distribution: 'constant', meanSec: 60 } }, { wrapUpSec: 30 })],
      agents: [group('g', 4, 'a')],
    });
    const r = run(sc);
    const expected = (r.calls / sc.horizonSec) * 90 / 4;
    expect(Math.abs(r.occupancy - expected)).toBeLessThan(0.005);
    expect(Math.abs(r.occupancy - 0.375)).toBeLessThan(0.02);
  });

  it('shifts: after the only shift ends, callers are not answered', () => {
    const sc = scenario({
      horizonSec: 7200,
      warmupSec: 3600,
      queues: [simQueue('a', 60, { patienceSec: 60 })],
      agents: [group('g', 3, 'a', { shifts: [{ startSec: 0, endSec: 3600 }] })],
    });
    const r = run(sc);
    expect(r.calls).toBeGreaterThan(30);
    expect(r.answered).toBe(0);
    expect(r.abandoned).toBe(r.calls);
  });

  it('breaks: a 30-minute break in a 2-hour window is a quarter of logged-in time', () => {
    const sc = scenario({
      horizonSec: 7200,
      queues: [simQueue('a', 6, { handle: { distribution: 'constant', meanSec: 60 } })],
      agents: [group('g', 1, 'a', { breaks: [{ afterSec: 1800, durationSec: 1800, spreadSec: 0, reason: 'break' }] })],
    });
    const r = run(sc);
    expect(r.agents.g!.notReadyShare).toBeCloseTo(0.25, 9);
    expect(r.agents.g!.agentHours).toBeCloseTo(2, 9);
  });

  it('overflow to secondary skills opens after secondaryAfterSec (the ACD rule, re-checked by tick)', () => {
    const secondaryOnly = group('g', 5, 'a', { skills: [{ skill: 'a', level: 3, primary: false }] });
    const withOverflow = run(scenario({ queues: [simQueue('a', 30, {}, { overflow: { secondaryAfterSec: 30 } })], agents: [secondaryOnly] }));
    expect(withOverflow.answered).toBe(withOverflow.calls);
    expect(withOverflow.serviceLevel).toBe(0);
    expect(withOverflow.asaSeconds).toBeGreaterThanOrEqual(30);
    expect(withOverflow.asaSeconds).toBeLessThanOrEqual(31);

    const without = run(scenario({ maxDrainSec: 600, queues: [simQueue('a', 30)], agents: [secondaryOnly] }));
    expect(without.answered).toBe(0);
    expect(without.unfinished).toBe(without.calls);
  });
});

describe('priority callers', () => {
  it('VIP callers are queued ahead by the ACD: in a busy queue they wait far less than the others', () => {
    const sc = scenario({
      horizonSec: 50 * 3600,
      warmupSec: 3600,
      queues: [simQueue('a', 200, { handle: { distribution: 'exponential', meanSec: 60 }, vip: { share: 0.1, priority: 10 } })],
      agents: [group('g', 4, 'a')],
    });
    const r = run(sc);
    const q = r.queues.a!;
    const vip = q.vip!;
    expect(vip.calls / q.calls).toBeGreaterThan(0.08);
    expect(vip.calls / q.calls).toBeLessThan(0.12);
    expect(r.asaSeconds).toBeGreaterThan(20); // 83% occupancy on 4 agents: normal callers queue
    expect(vip.asaSeconds).toBeLessThan(r.asaSeconds / 3);
    expect(vip.serviceLevel).toBeGreaterThan(q.serviceLevel);
  });
});

describe('agent lifecycle through the ACD state machine', () => {
  it('a break or a shift end that falls during a call waits for the call and its wrap-up', () => {
    const sc = scenario({
      horizonSec: 3600,
      maxDrainSec: 600,
      queues: [simQueue('a', 360, { handle: { distribution: 'constant', meanSec: 600 } }, { wrapUpSec: 60 })],
      agents: [group('solo', 1, 'a', { shifts: [{ startSec: 0, endSec: 2000 }], breaks: [{ afterSec: 300, durationSec: 900, spreadSec: 0, reason: 'break' }] })],
    });
    const seen: AcdEvent[] = [];
    new Simulation(sc, 1, (e) => seen.push(e)).run();
    const states = seen.filter((e) => e.type === 'agent-state').map((e) => [e.to, e.at / 1000, e.reason] as const);
    // login, ready, first call (arrives within seconds), wrap-up; the 300 s break starts only when wrap-up ends.
    expect(states.slice(0, 4).map((s) => s[0])).toEqual(['not-ready', 'ready', 'reserved', 'ringing']);
    const firstAnswer = states[4]!;
    expect(firstAnswer[0]).toBe('on-call');
    expect(firstAnswer[1]).toBeLessThan(300);
    const at = (s: readonly [string, number, unknown]) => [s[0], Math.round((s[1] - firstAnswer[1]) * 1000) / 1000, s[2]];
    expect(at(states[5]!)).toEqual(['wrap-up', 600, undefined]);
    expect(at(states[6]!)).toEqual(['not-ready', 660, 'break']);
    expect(at(states[7]!)).toEqual(['ready', 1560, undefined]);
    // Calls are waiting, so the agent is busy again at 2000 s: logout follows that call's wrap-up, never mid-call.
    const last = states[states.length - 1]!;
    const beforeLast = states[states.length - 2]!;
    expect(last[0]).toBe('logged-out');
    expect(beforeLast[0]).toBe('wrap-up');
    expect(last[1] - beforeLast[1]).toBeCloseTo(60, 6);
    expect(last[1]).toBeGreaterThan(2000);
  });

  it('two groups with one name are refused before anything runs; a simulation runs once', () => {
    const twice = scenario({ queues: [simQueue('a', 10)], agents: [group('g', 1, 'a'), group('g', 2, 'a')] });
    expect(() => new Simulation(twice, 1).run()).toThrow(expect.objectContaining({ code: 'SCENARIO_INVALID' }));
    const sim = new Simulation(scenario({ queues: [simQueue('a', 10)], agents: [group('g', 1, 'a')] }), 1);
    sim.run();
    expect(() => sim.run()).toThrow(/runs once/);
  });

  it('after a run the ACD is consistent: held calls and agents point at each other, waiting calls are queued', () => {
    const sim = new Simulation(example(), 11);
    sim.run();
    const snap = sim.acdSnapshot();
    const calls = new Map(snap.calls.map((c) => [c.callId, c]));
    for (const a of snap.agents) {
      if (a.state === 'reserved' || a.state === 'ringing' || a.state === 'on-call') {
        expect(calls.get(a.callId!)?.agentId).toBe(a.id);
      } else {
        expect(a.callId).toBeUndefined();
      }
    }
    const queued = new Set(Object.values(snap.queues).flat());
    for (const c of snap.calls) expect(queued.has(c.callId)).toBe(c.state === 'waiting');
  });
});
