import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import { Simulation } from '../sim/engine.js';
import { SimError } from '../sim/errors.js';
import { expectedCalls } from '../sim/limits.js';
import { buildResult, formatComparison, formatResult, type PlanComparison, type SimResult } from '../sim/report.js';
import type { Scenario } from '../sim/scenario.js';
import { parseScenario } from '../sim/scenario-file.js';
import { singleQueueScenario } from '../sim/single-queue.js';
import { parseNumber } from './erlang.js';

interface RawSimulateFlags {
  scenario?: string;
  callsPerHour?: string;
  aht?: string;
  agents?: string;
  hours?: string;
  targetTime?: string;
  patience?: string;
  handleSd?: string;
  warmup?: string;
  seed?: string;
  json?: boolean;
  progress?: boolean;
  plan?: string;
}

export type PlanMode = 'on' | 'off' | 'both';

/** `--plan on|off|both`; only for a scenario with a `plan:` section (default on). */
export function planModeFromFlags(f: RawSimulateFlags, sc: Scenario): PlanMode {
  if (f.plan === undefined) return 'on';
  if (f.plan !== 'on' && f.plan !== 'off' && f.plan !== 'both') throw new InvalidInputError('--plan', `must be on, off or both (got ${f.plan})`);
  if (!sc.plan) throw new InvalidInputError('--plan', 'needs a scenario file with a plan: section');
  return f.plan;
}

const SINGLE_QUEUE_FLAGS: [keyof RawSimulateFlags, string][] = [
  ['callsPerHour', '--calls-per-hour'],
  ['aht', '--aht'],
  ['agents', '--agents'],
  ['hours', '--hours'],
  ['targetTime', '--target-time'],
  ['patience', '--patience'],
  ['handleSd', '--handle-sd'],
  ['warmup', '--warmup'],
];

/** The scenario the flags describe: a file, or the single queue of the flags (each required flag named when missing). */
export function scenarioFromFlags(f: RawSimulateFlags): Scenario {
  if (f.scenario !== undefined) {
    const clash = SINGLE_QUEUE_FLAGS.find(([k]) => f[k] !== undefined);
    if (clash) throw new InvalidInputError(clash[1], 'cannot be combined with --scenario (put it in the scenario file)');
    let text: string;
    try {
      text = readFileSync(f.scenario, 'utf8');
    } catch (e) {
      throw new SimError('SCENARIO_UNREADABLE', `${f.scenario}: cannot read (${(e as Error).message})`, [], { cause: e });
    }
    return parseScenario(text, f.scenario);
  }
  const need = (flag: string, raw: string | undefined): number => {
    if (raw === undefined) throw new InvalidInputError(flag, 'is required (or give --scenario FILE.yaml)');
    return parseNumber(flag, raw)!;
  };
  const patience = parseNumber('--patience', f.patience);
  const sd = parseNumber('--handle-sd', f.handleSd);
  const warmup = parseNumber('--warmup', f.warmup);
  return singleQueueScenario({
    callsPerHour: need('--calls-per-hour', f.callsPerHour),
    ahtSeconds: need('--aht', f.aht),
    agents: need('--agents', f.agents),
    hours: need('--hours', f.hours),
    targetTimeSeconds: parseNumber('--target-time', f.targetTime) ?? 20,
    ...(patience !== undefined ? { patienceSeconds: patience } : {}),
    ...(sd !== undefined ? { handleSdSeconds: sd } : {}),
    ...(warmup !== undefined ? { warmupHours: warmup } : {}),
  });
}

export function seedFromFlags(f: RawSimulateFlags, sc: Scenario): number {
  const s = parseNumber('--seed', f.seed);
  if (s !== undefined && !(Number.isInteger(s) && s >= 0 && s < 2 ** 32)) throw new InvalidInputError('--seed', `must be a whole number 0..4294967295 (got ${s})`);
  return s ?? sc.seed ?? 1;
}

export interface SimulateOutput extends SimResult {
  /** How fast this run went (not reproducible, unlike everything else). */
  run: { wallSeconds: number; callsPerSecond: number; speedVsRealTime: number };
}

/** Runs a scenario; `progress` draws a bar on stderr (only for runs long enough to need one). */
export function runScenario(sc: Scenario, seed: number, progress: boolean, plan = true): SimulateOutput {
  const sim = new Simulation(sc, seed, { plan });
  let bar: SingleBar | undefined;
  if (progress) {
    bar = new SingleBar({ format: 'simulating [{bar}] {percentage}% | {value}/{total} h | eta {eta_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: true });
    bar.start(Math.round(sc.horizonSec / 3600), 0);
  }
  const t0 = performance.now();
  const raw = sim.run(bar ? { onProgress: (done) => bar.update(Math.floor(done / 3600)) } : {});
  const wallSeconds = (performance.now() - t0) / 1000;
  bar?.stop();
  const r = buildResult(raw);
  return { ...r, run: { wallSeconds, callsPerSecond: raw.total.offered / wallSeconds, speedVsRealTime: raw.simulatedSec / wallSeconds } };
}

/** The same day with the plan enforced and without (same seed, so the same callers: only the plan differs). */
export function comparePlan(sc: Scenario, seed: number): PlanComparison {
  const strip = ({ run: _run, ...r }: SimulateOutput): SimResult => r;
  return { scenario: sc.name, seed, withPlan: strip(runScenario(sc, seed, false, true)), withoutPlan: strip(runScenario(sc, seed, false, false)) };
}

/** Expected calls above which a run takes long enough (a second or more) to deserve a progress bar. */
const PROGRESS_MIN_CALLS = 50_000;

export function register(program: Command): void {
  program
    .command('simulate')
    .description('discrete-event simulation of the ACD (its real routing rules) on virtual time, beside the Erlang prediction')
    .option('--scenario <file.yaml>', 'multi-queue, multi-skill scenario (see src/sim/examples/two-skills.yaml)')
    .option('--calls-per-hour <n>', 'single queue: Poisson arrival rate')
    .option('--aht <seconds>', 'single queue: mean talk time (exponential)')
    .option('--agents <n>', 'single queue: agents logged in for the whole run')
    .option('--hours <h>', 'single queue: length of the run')
    .option('--target-time <seconds>', 'single queue: service-level answer time (default 20)')
    .option('--patience <seconds>', 'single queue: mean caller patience (exponential; compare with Erlang A)')
    .option('--handle-sd <seconds>', 'single queue: log-normal talk times with this standard deviation')
    .option('--warmup <hours>', 'single queue: leave calls of the first hours out of the figures (default 0)')
    .option('--seed <n>', 'random seed: the same seed gives the same run (default: the scenario\'s, else 1)')
    .option('--plan <on|off|both>', 'scenario with a plan: section: enforce it (on, default), only watch it (off), or run the day both ways and compare (both)')
    .option('--json', 'print one JSON object')
    .option('--no-progress', 'no progress bar')
    .action((flags: RawSimulateFlags) => {
      const sc = scenarioFromFlags(flags);
      const seed = seedFromFlags(flags, sc);
      const mode = planModeFromFlags(flags, sc);
      if (mode === 'both') {
        const c = comparePlan(sc, seed);
        console.log(flags.json ? JSON.stringify(c, null, 2) : formatComparison(c));
        return;
      }
      const expected = expectedCalls(sc);
      const progress = flags.progress !== false && !flags.json && process.stderr.isTTY === true && expected >= PROGRESS_MIN_CALLS;
      const out = runScenario(sc, seed, progress, mode === 'on');
      if (flags.json) {
        console.log(JSON.stringify(out, null, 2));
        return;
      }
      console.log(formatResult(out));
      console.log(`\n${out.calls} calls in ${out.run.wallSeconds.toFixed(2)} s: ${Math.round(out.run.callsPerSecond)} calls/s, ${Math.round(out.run.speedVsRealTime)}× real time`);
    });
}
