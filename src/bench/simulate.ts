import type { Command } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import { parseNumber } from '../cli/erlang.js';
import { bigDayScenario } from '../sim/big-day.js';
import { Simulation } from '../sim/engine.js';
import { buildResult } from '../sim/report.js';

/**
 * `acd bench simulate`: the large day of the hotline standard (1,800 concurrent agents over six skills, 1.6 million
 * calls in 24 h) through the real MemoryAcdStore rules on virtual time. Prints simulated calls per second and the
 * speed against real time (simulated seconds per second), by wall clock and by this process's CPU time (on a
 * shared machine the CPU figure is what the code costs; the wall figure is what the user waited), beside the
 * 300× aim.
 */

export const AIM_SPEED_VS_REAL_TIME = 300;

export interface SimBenchResult {
  benchmark: 'simulate';
  scenario: string;
  node: string;
  seed: number;
  simulatedHours: number;
  agents: number;
  calls: number;
  answered: number;
  abandoned: number;
  serviceLevel: number;
  occupancy: number;
  storeOps: number;
  events: number;
  wallSeconds: number;
  cpuSeconds: number;
  callsPerSecondWall: number;
  callsPerSecondCpu: number;
  speedVsRealTimeWall: number;
  speedVsRealTimeCpu: number;
  /** CPU nanoseconds per ACD store operation, simulator overhead included. */
  nsPerStoreOpCpu: number;
  aim: number;
  meetsAim: boolean;
}

export function runSimulateBench(o: { hours?: number; agents?: number; callsPerDay?: number; seed?: number } = {}): SimBenchResult {
  const sc = bigDayScenario({ ...(o.hours !== undefined ? { hours: o.hours } : {}), ...(o.agents !== undefined ? { agents: o.agents } : {}), ...(o.callsPerDay !== undefined ? { callsPerDay: o.callsPerDay } : {}) });
  const seed = o.seed ?? 1;
  const sim = new Simulation(sc, seed);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const raw = sim.run();
  const wallSeconds = (performance.now() - t0) / 1000;
  const u = process.cpuUsage(cpu0);
  const cpuSeconds = (u.user + u.system) / 1e6;
  const r = buildResult(raw);
  // Speed counts the arrival horizon only (the short drain after it is extra work, not extra credit).
  const horizon = sc.horizonSec;
  return {
    benchmark: 'simulate',
    scenario: sc.name,
    node: process.version,
    seed,
    simulatedHours: horizon / 3600,
    agents: sc.agents.reduce((n, g) => n + g.count, 0),
    calls: r.calls,
    answered: r.answered,
    abandoned: r.abandoned,
    serviceLevel: r.serviceLevel,
    occupancy: r.occupancy,
    storeOps: raw.storeOps,
    events: raw.events,
    wallSeconds,
    cpuSeconds,
    callsPerSecondWall: r.calls / wallSeconds,
    callsPerSecondCpu: r.calls / cpuSeconds,
    speedVsRealTimeWall: horizon / wallSeconds,
    speedVsRealTimeCpu: horizon / cpuSeconds,
    nsPerStoreOpCpu: (cpuSeconds * 1e9) / raw.storeOps,
    aim: AIM_SPEED_VS_REAL_TIME,
    meetsAim: horizon / wallSeconds >= AIM_SPEED_VS_REAL_TIME,
  };
}

export function formatSimulateBench(b: SimBenchResult): string {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  return [
    `Simulator benchmark: ${b.scenario} (seed ${b.seed}, node ${b.node})`,
    `  simulated            ${b.simulatedHours} h, ${n(b.agents)} agents, ${n(b.calls)} calls (${n(b.answered)} answered, ${n(b.abandoned)} abandoned; SL ${(b.serviceLevel * 100).toFixed(1)}%, occupancy ${(b.occupancy * 100).toFixed(1)}%)`,
    `  work                 ${n(b.storeOps)} ACD store operations, ${n(b.events)} timer events`,
    `                       wall clock          process CPU`,
    `  time                 ${b.wallSeconds.toFixed(2).padStart(8)} s          ${b.cpuSeconds.toFixed(2).padStart(8)} s`,
    `  calls per second     ${n(b.callsPerSecondWall).padStart(10)}          ${n(b.callsPerSecondCpu).padStart(10)}`,
    `  speed vs real time   ${`${n(b.speedVsRealTimeWall)}×`.padStart(10)}          ${`${n(b.speedVsRealTimeCpu)}×`.padStart(10)}     (aim ≥ ${b.aim}×: ${b.meetsAim ? 'met' : 'NOT met'} by wall clock)`,
    `  CPU per store op     ${b.nsPerStoreOpCpu.toFixed(0)} ns (simulator included)`,
  ].join('\n');
}

export function register(bench: Command): void {
  bench
    .command('simulate')
    .description('simulated calls per second and speed vs real time on a large day (1,800 agents, 1.6 M calls / 24 h)')
    .option('--hours <h>', 'simulate only the first hours of the day (default 24)')
    .option('--agents <n>', 'agents (default 1800)')
    .option('--calls <n>', 'calls per 24 h (default 1600000)')
    .option('--seed <n>', 'random seed (default 1)')
    .option('--json', 'print one JSON object')
    .action((flags: { hours?: string; agents?: string; calls?: string; seed?: string; json?: boolean }) => {
      const hours = parseNumber('--hours', flags.hours);
      if (hours !== undefined && !(hours > 0 && hours <= 24)) throw new InvalidInputError('--hours', `must be in (0, 24] (got ${hours})`);
      const agents = parseNumber('--agents', flags.agents);
      if (agents !== undefined && !(Number.isInteger(agents) && agents >= 6)) throw new InvalidInputError('--agents', `must be a whole number ≥ 6 (got ${agents})`);
      const calls = parseNumber('--calls', flags.calls);
      if (calls !== undefined && !(calls > 0)) throw new InvalidInputError('--calls', `must be greater than 0 (got ${calls})`);
      const seed = parseNumber('--seed', flags.seed);
      if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new InvalidInputError('--seed', `must be a whole number ≥ 0 (got ${seed})`);
      const b = runSimulateBench({
        ...(hours !== undefined ? { hours } : {}),
        ...(agents !== undefined ? { agents } : {}),
        ...(calls !== undefined ? { callsPerDay: calls } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
      console.log(flags.json ? JSON.stringify(b, null, 2) : formatSimulateBench(b));
    });
}
