import type { Command } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import {
  DEFAULT_SERVICE_LEVEL,
  DEFAULT_TARGET_TIME_SECONDS,
  queueMetrics,
  requiredAgents,
  requiredAgentsFractional,
  scheduledAgents,
  trafficErlangs,
} from '../erlang/index.js';
import type { ErlangAMetrics, QueueMetrics, StaffingInput } from '../erlang/index.js';

/** Parse a numeric flag or CSV cell strictly: "", "12abc" and "0x10" are errors naming the field, not NaN later. */
export function parseNumber(field: string, raw: string | number | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') return raw;
  const text = raw.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new InvalidInputError(field, `must be a number (got ${JSON.stringify(raw)})`);
  }
  return Number(text);
}

/** Re-throws an engine input error under the user-facing name (a flag or a CSV column). */
export function renameField<T>(names: Record<string, string>, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidInputError && names[e.field] !== undefined) {
      const name = names[e.field]!;
      throw new InvalidInputError(name, e.message.slice(e.field.length + 2), e.details ? { ...e.details, field: name } : undefined);
    }
    throw e;
  }
}

export interface ErlangOptions {
  calls: number;
  intervalSeconds: number;
  ahtSeconds: number;
  targetServiceLevel?: number;
  targetTimeSeconds?: number;
  targetAsaSeconds?: number;
  agents?: number;
  patienceSeconds?: number;
  shrinkage?: number;
  maxOccupancy?: number;
  fractional?: boolean;
}

export interface ErlangResult {
  model: 'erlang-c' | 'erlang-a';
  trafficErlangs: number;
  requiredAgents: number;
  requiredAgentsFractional?: number;
  scheduledAgents: number;
  agents: number;
  probWait: number;
  serviceLevel: number;
  asaSeconds: number | null;
  occupancy: number;
  abandonRate?: number;
  serviceLevelExcludingAbandoned?: number;
  meanWaitAllSeconds?: number;
  targets: { serviceLevel: number; targetTimeSeconds: number; asaSeconds?: number; maxOccupancy?: number; shrinkage: number };
}

const FLAG_NAMES: Record<string, string> = {
  calls: '--calls',
  intervalSeconds: '--interval',
  ahtSeconds: '--aht',
  serviceLevel: '--target-sl',
  targetTimeSeconds: '--target-time',
  asaSeconds: '--target-asa',
  maxOccupancy: '--max-occupancy',
  patienceSeconds: '--patience',
  shrinkage: '--shrinkage',
  agents: '--agents',
  trafficErlangs: 'traffic (--calls × --aht / --interval)',
};

/** The whole `acd erlang` computation, without printing (used by the command and its tests). */
export function computeErlang(o: ErlangOptions): ErlangResult {
  return renameField(FLAG_NAMES, () => {
    const traffic = trafficErlangs(o.calls, o.intervalSeconds, o.ahtSeconds);
    const staffing: StaffingInput = {
      trafficErlangs: traffic,
      ahtSeconds: o.ahtSeconds,
      serviceLevel: o.targetServiceLevel ?? DEFAULT_SERVICE_LEVEL,
      targetTimeSeconds: o.targetTimeSeconds ?? DEFAULT_TARGET_TIME_SECONDS,
      ...(o.targetAsaSeconds !== undefined ? { asaSeconds: o.targetAsaSeconds } : {}),
      ...(o.maxOccupancy !== undefined ? { maxOccupancy: o.maxOccupancy } : {}),
      ...(o.patienceSeconds !== undefined ? { patienceSeconds: o.patienceSeconds } : {}),
    };
    const required = requiredAgents(staffing);
    const shrinkage = o.shrinkage ?? 0;
    const scheduled = scheduledAgents(required, shrinkage);
    const agents = o.agents ?? required;
    const m: QueueMetrics | ErlangAMetrics =
      agents === 0
        ? { model: 'erlang-c', agents: 0, trafficErlangs: 0, probWait: 0, serviceLevel: 1, asaSeconds: 0, occupancy: 0 }
        : queueMetrics({
            trafficErlangs: traffic,
            ahtSeconds: o.ahtSeconds,
            agents,
            targetTimeSeconds: staffing.targetTimeSeconds!,
            ...(o.patienceSeconds !== undefined ? { patienceSeconds: o.patienceSeconds } : {}),
          });
    const result: ErlangResult = {
      model: o.patienceSeconds !== undefined ? 'erlang-a' : 'erlang-c',
      trafficErlangs: traffic,
      requiredAgents: required,
      ...(o.fractional ? { requiredAgentsFractional: requiredAgentsFractional(staffing) } : {}),
      scheduledAgents: scheduled,
      agents,
      probWait: m.probWait,
      serviceLevel: m.serviceLevel,
      asaSeconds: m.asaSeconds,
      occupancy: m.occupancy,
      targets: {
        serviceLevel: staffing.serviceLevel!,
        targetTimeSeconds: staffing.targetTimeSeconds!,
        ...(o.targetAsaSeconds !== undefined ? { asaSeconds: o.targetAsaSeconds } : {}),
        ...(o.maxOccupancy !== undefined ? { maxOccupancy: o.maxOccupancy } : {}),
        shrinkage,
      },
    };
    if (o.patienceSeconds !== undefined) {
      const a = m as ErlangAMetrics;
      result.abandonRate = a.abandonRate ?? 0;
      result.serviceLevelExcludingAbandoned = a.serviceLevelExcludingAbandoned ?? 1;
      result.meanWaitAllSeconds = a.meanWaitAllSeconds ?? 0;
    }
    return result;
  });
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const secs = (v: number | null): string => (v === null ? 'unbounded (agents ≤ traffic)' : `${v.toFixed(1)} s`);

export function formatErlangTable(r: ErlangResult, o: ErlangOptions): string {
  const t = r.targets;
  const targetText = [
    `${pct(t.serviceLevel)} answered in ${t.targetTimeSeconds} s`,
    t.asaSeconds !== undefined ? `ASA ≤ ${t.asaSeconds} s` : undefined,
    t.maxOccupancy !== undefined ? `occupancy ≤ ${pct(t.maxOccupancy)}` : undefined,
  ].filter((s) => s !== undefined).join(', ');
  const rows: [string, string][] = [
    ['model', r.model === 'erlang-a' ? `Erlang A (patience ${o.patienceSeconds} s; abandoned callers count as SL failures)` : 'Erlang C'],
    ['load', `${o.calls} calls per ${o.intervalSeconds} s, AHT ${o.ahtSeconds} s`],
    ['traffic', `${r.trafficErlangs.toFixed(2)} Erlangs`],
    ['targets', targetText],
    ['required agents', String(r.requiredAgents) + (r.requiredAgentsFractional !== undefined ? ` (exactly ${r.requiredAgentsFractional.toFixed(3)})` : '')],
    ['scheduled agents', `${r.scheduledAgents} (shrinkage ${pct(t.shrinkage)})`],
    ['', ''],
    [`with ${r.agents} agents`, ''],
    ['  probability of waiting', pct(r.probWait)],
    ['  service level', pct(r.serviceLevel)],
    ['  average speed of answer', secs(r.asaSeconds)],
    ['  occupancy', pct(r.occupancy)],
  ];
  if (r.abandonRate !== undefined) {
    rows.push(['  abandon rate', pct(r.abandonRate)]);
    rows.push(['  SL excluding abandoned', pct(r.serviceLevelExcludingAbandoned ?? 0)]);
    rows.push(['  mean wait, all callers', secs(r.meanWaitAllSeconds ?? 0)]);
  }
  const width = rows.reduce((w, [k]) => Math.max(w, k.length), 0) + 2;
  return rows.map(([k, v]) => (k === '' ? '' : `${k.padEnd(width)}${v}`).trimEnd()).join('\n');
}

interface RawErlangFlags {
  calls: string;
  interval: string;
  aht: string;
  targetSl?: string;
  targetTime?: string;
  targetAsa?: string;
  agents?: string;
  patience?: string;
  shrinkage?: string;
  maxOccupancy?: string;
  fractional?: boolean;
  json?: boolean;
}

export function optionsFromFlags(f: RawErlangFlags): ErlangOptions {
  const o: ErlangOptions = {
    calls: parseNumber('--calls', f.calls)!,
    intervalSeconds: parseNumber('--interval', f.interval)!,
    ahtSeconds: parseNumber('--aht', f.aht)!,
  };
  const opt = (flag: string, raw: string | undefined): number | undefined => parseNumber(flag, raw);
  const sl = opt('--target-sl', f.targetSl);
  if (sl !== undefined) o.targetServiceLevel = sl;
  const tt = opt('--target-time', f.targetTime);
  if (tt !== undefined) o.targetTimeSeconds = tt;
  const asa = opt('--target-asa', f.targetAsa);
  if (asa !== undefined) o.targetAsaSeconds = asa;
  const agents = opt('--agents', f.agents);
  if (agents !== undefined) {
    if (!(agents > 0 && Number.isFinite(agents))) throw new InvalidInputError('--agents', `must be greater than 0 (got ${agents})`);
    o.agents = agents;
  }
  const patience = opt('--patience', f.patience);
  if (patience !== undefined) o.patienceSeconds = patience;
  const shrinkage = opt('--shrinkage', f.shrinkage);
  if (shrinkage !== undefined) o.shrinkage = shrinkage;
  const maxOcc = opt('--max-occupancy', f.maxOccupancy);
  if (maxOcc !== undefined) o.maxOccupancy = maxOcc;
  if (f.fractional) o.fractional = true;
  return o;
}

export function register(program: Command): void {
  program
    .command('erlang')
    .description('Erlang C / Erlang A staffing for one interval: required agents and the service they give')
    .requiredOption('--calls <n>', 'calls offered in the interval')
    .requiredOption('--interval <seconds>', 'interval length')
    .requiredOption('--aht <seconds>', 'average handle time (talk + hold + wrap-up)')
    .option('--target-sl <fraction>', `service-level target (default ${DEFAULT_SERVICE_LEVEL}; 0 = none)`)
    .option('--target-time <seconds>', `answer-time target of the service level (default ${DEFAULT_TARGET_TIME_SECONDS})`)
    .option('--target-asa <seconds>', 'average-speed-of-answer target')
    .option('--agents <n>', 'report the service of this many agents (may be fractional) instead of the required count')
    .option('--patience <seconds>', 'mean caller patience: use Erlang A (with abandonment)')
    .option('--shrinkage <fraction>', 'fraction of paid time off the phones (breaks, training, absence); default 0')
    .option('--max-occupancy <fraction>', 'occupancy cap')
    .option('--fractional', 'also print the exact fractional agent requirement')
    .option('--json', 'print one JSON object')
    .action((flags: RawErlangFlags) => {
      const o = optionsFromFlags(flags);
      const r = computeErlang(o);
      console.log(flags.json ? JSON.stringify(r, null, 2) : formatErlangTable(r, o));
    });
}
