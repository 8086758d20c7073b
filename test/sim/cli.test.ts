import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { planModeFromFlags, runScenario, scenarioFromFlags, seedFromFlags } from '../../src/cli/simulate.js';
import { SimError } from '../../src/sim/errors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

describe('acd simulate flags', () => {
  it('names the missing single-queue flag', () => {
    expect(() => scenarioFromFlags({ callsPerHour: '100', aht: '180', hours: '1' })).toThrow(new InvalidInputError('--agents', 'is required (or give --scenario FILE.yaml)'));
  });

  it('refuses a non-number, a fractional agent count and a scenario mixed with single-queue flags', () => {
    expect(() => scenarioFromFlags({ callsPerHour: '1e', aht: '180', agents: '3', hours: '1' })).toThrow(/--calls-per-hour: must be a number/);
    expect(() => scenarioFromFlags({ callsPerHour: '100', aht: '180', agents: '3.5', hours: '1' })).toThrow(/--agents: must be a whole number/);
    expect(() => scenarioFromFlags({ scenario: 'x.yaml', aht: '180' })).toThrow(/--aht: cannot be combined with --scenario/);
  });

  it('an unreadable scenario file is a SCENARIO_UNREADABLE error, not a stack trace', () => {
    expect(() => scenarioFromFlags({ scenario: '/nonexistent/x.yaml' })).toThrow(SimError);
  });

  it('--seed beats the scenario\'s seed, which beats the default 1', () => {
    const sc = scenarioFromFlags({ callsPerHour: '100', aht: '180', agents: '3', hours: '1' });
    expect(seedFromFlags({}, sc)).toBe(1);
    expect(seedFromFlags({}, { ...sc, seed: 9 })).toBe(9);
    expect(seedFromFlags({ seed: '4' }, { ...sc, seed: 9 })).toBe(4);
    expect(() => seedFromFlags({ seed: '-1' }, sc)).toThrow(/--seed/);
  });

  it('--plan: on by default; on, off or both, only for a scenario with a plan', () => {
    const plain = scenarioFromFlags({ callsPerHour: '100', aht: '180', agents: '3', hours: '1' });
    const peak = scenarioFromFlags({ scenario: 'src/sim/examples/peak-day.yaml' });
    expect(planModeFromFlags({}, peak)).toBe('on');
    expect(planModeFromFlags({ plan: 'both' }, peak)).toBe('both');
    expect(planModeFromFlags({}, plain)).toBe('on');
    expect(() => planModeFromFlags({ plan: 'maybe' }, peak)).toThrow(new InvalidInputError('--plan', 'must be on, off or both (got maybe)'));
    expect(() => planModeFromFlags({ plan: 'off' }, plain)).toThrow(/--plan: needs a scenario file with a plan: section/);
  });

  it('runScenario adds run figures; the rest is reproducible', () => {
    const sc = scenarioFromFlags({ callsPerHour: '200', aht: '60', agents: '5', hours: '2', patience: '90' });
    const a = runScenario(sc, 3, false);
    const b = runScenario(sc, 3, false);
    expect(a.run.speedVsRealTime).toBeGreaterThan(0);
    const { run: _ra, ...ra } = a;
    const { run: _rb, ...rb } = b;
    expect(ra).toEqual(rb);
  });
});

// Spawned processes (tsx start-up dominates): run side by side.
describe.concurrent('acd simulate (spawned)', () => {
  it('--json prints the contract keys with the Erlang prediction beside', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'simulate', '--calls-per-hour', '300', '--aht', '120', '--agents', '12', '--hours', '4', '--target-time', '15', '--patience', '100', '--seed', '2', '--json'], { cwd: root });
    const r = JSON.parse(stdout);
    for (const k of ['calls', 'answered', 'abandoned', 'serviceLevel', 'asaSeconds', 'occupancy', 'abandonRate', 'erlang']) expect(r).toHaveProperty(k);
    expect(r.seed).toBe(2);
    expect(r.erlang).toMatchObject({ model: 'erlang-a', basis: 'single-queue', agents: 12, targetTimeSeconds: 15, patienceSeconds: 100 });
    expect(r.erlang.trafficErlangs).toBeCloseTo(10, 12);
    expect(r.answered + r.abandoned + r.unfinished).toBe(r.calls);
  });

  it('--plan both --json: the day with the plan and without, same seed and callers', async () => {
    // A small scenario: the spawned process's start-up is the cost (the peak day itself is run in peak-plan.test.ts).
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'simulate', '--scenario', 'test/sim/fixtures/plan-small.yaml', '--plan', 'both', '--json'], { cwd: root });
    const r = JSON.parse(stdout);
    expect(r.seed).toBe(3);
    expect(r.withPlan.calls).toBe(r.withoutPlan.calls);
    expect([r.withPlan.plan.enforced, r.withoutPlan.plan.enforced]).toEqual([true, false]);
    expect(r.withPlan.plan.activations.length).toBeGreaterThan(0);
    for (const k of ['requested', 'placed', 'deadlineMet', 'deadlineMissed']) expect(r.withPlan.callbacks).toHaveProperty(k);
  });

  it('a bad scenario exits 1 with one located line per issue on stderr', async () => {
    const p = run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'simulate', '--scenario', 'test/sim/fixtures/unknown-skill.yaml'], { cwd: root });
    await expect(p).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('test/sim/fixtures/unknown-skill.yaml:7:14: queues[0].skills[0]: unknown skill biling') });
  });
});
