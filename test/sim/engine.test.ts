import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/engine.js';
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
