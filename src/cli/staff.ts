import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../core/errors.js';
import {
  DEFAULT_SERVICE_LEVEL,
  DEFAULT_TARGET_TIME_SECONDS,
  queueMetrics,
  requiredAgents,
  scheduledAgents,
  trafficErlangs,
} from '../erlang/index.js';
import type { ErlangAMetrics, StaffingInput } from '../erlang/index.js';
import { parseNumber, renameField } from './erlang.js';
import { columnWidths } from './text.js';

/**
 * `acd staff --forecast FILE.csv`: a staffing plan per interval of a forecast, and totals.
 *
 * The CSV has a header row. Required columns: the interval start (`start`, `interval_start`, `interval` or
 * `time`; passed through as text), `calls` and `aht` (seconds). Optional per-row columns override the flags:
 * `target_sl`, `target_time`, `target_asa`, `max_occupancy`, `shrinkage`, `patience`, `interval_seconds`.
 * Column names are case-insensitive; `-` and spaces count as `_`. Lines starting with `#` are comments.
 */

export interface PlanDefaults {
  intervalSeconds?: number;
  targetServiceLevel?: number;
  targetTimeSeconds?: number;
  targetAsaSeconds?: number;
  maxOccupancy?: number;
  shrinkage?: number;
  patienceSeconds?: number;
}

export interface PlanRow {
  start: string;
  intervalSeconds: number;
  calls: number;
  ahtSeconds: number;
  trafficErlangs: number;
  requiredAgents: number;
  scheduledAgents: number;
  serviceLevel: number;
  asaSeconds: number | null;
  occupancy: number;
  abandonRate?: number;
}

export interface PlanTotals {
  intervals: number;
  calls: number;
  requiredAgentHours: number;
  scheduledAgentHours: number;
  peakRequiredAgents: number;
  peakScheduledAgents: number;
  /** Call-weighted averages over the day (what a caller experiences on average). */
  serviceLevel: number;
  asaSeconds: number | null;
  occupancy: number;
  abandonRate?: number;
}

export interface Plan {
  rows: PlanRow[];
  totals: PlanTotals;
}

const START_COLUMNS = ['start', 'interval_start', 'interval', 'time', 'start_time'];
const KNOWN_COLUMNS = new Set([
  ...START_COLUMNS, 'calls', 'aht', 'target_sl', 'target_time', 'target_asa', 'max_occupancy', 'shrinkage', 'patience', 'interval_seconds',
]);

const normalise = (name: string): string => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

interface ForecastLine {
  line: number;
  cells: Map<string, string>;
}

type CsvRecord = { info: { lines: number }; record: string[] };

// One set of options for the whole-text parse (tests) and the streaming read (the command).
const CSV_OPTIONS = { columns: false, skip_empty_lines: true, trim: true, comment: '#', info: true, relax_column_count: false } as const;

/**
 * Turns CSV records into forecast lines one at a time (the first record is the header), so a forecast of any
 * length is read as a stream and checked as it goes.
 */
function forecastCollector(source: string): { add(r: CsvRecord): void; done(): ForecastLine[] } {
  let names: string[] | undefined;
  const lines: ForecastLine[] = [];
  return {
    add({ info, record }) {
      if (names === undefined) {
        names = record.map(normalise);
        const unknown = names.filter((n) => !KNOWN_COLUMNS.has(n));
        if (unknown.length > 0) throw new InvalidInputError(source, `unknown column(s) ${unknown.join(', ')}; known: ${[...KNOWN_COLUMNS].join(', ')}`);
        for (const needed of ['calls', 'aht']) {
          if (!names.includes(needed)) throw new InvalidInputError(source, `has no "${needed}" column`);
        }
        if (!names.some((n) => START_COLUMNS.includes(n))) throw new InvalidInputError(source, `has no interval start column (one of ${START_COLUMNS.join(', ')})`);
        return;
      }
      const cells = new Map<string, string>();
      names.forEach((n, i) => {
        const v = record[i];
        if (v !== undefined && v !== '') cells.set(n, v);
      });
      lines.push({ line: info.lines, cells });
    },
    done() {
      if (names === undefined) throw new InvalidInputError(source, 'is empty (expected a header row and one row per interval)');
      if (lines.length === 0) throw new InvalidInputError(source, 'has a header but no intervals');
      return lines;
    },
  };
}

const unreadable = (source: string, e: unknown): InvalidInputError => new InvalidInputError(source, `not a readable CSV file: ${(e as Error).message}`);

/** Parse the CSV text into cells by normalised column name, keeping each row's line number for messages. */
export function parseForecast(text: string, source: string): ForecastLine[] {
  let records: CsvRecord[];
  try {
    records = parse(text, CSV_OPTIONS) as unknown as CsvRecord[];
  } catch (e) {
    throw unreadable(source, e);
  }
  const c = forecastCollector(source);
  for (const r of records) c.add(r);
  return c.done();
}

/** The same as parseForecast, read from a file as a stream: a forecast of any length, never the whole text at once. */
export async function readForecast(path: string): Promise<ForecastLine[]> {
  const c = forecastCollector(path);
  const parser = createReadStream(path).on('error', (e) => parser.destroy(new InvalidInputError('--forecast', `cannot read ${path}: ${e.message}`))).pipe(parseStream(CSV_OPTIONS));
  try {
    for await (const r of parser) c.add(r as CsvRecord);
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    throw unreadable(path, e);
  }
  return c.done();
}

/** Seconds since midnight for "HH:MM[:SS]", or epoch seconds for an ISO date-time; undefined otherwise. */
function startSeconds(start: string): number | undefined {
  const hm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(start);
  if (hm) return Number(hm[1]) * 3600 + Number(hm[2]) * 60 + Number(hm[3] ?? 0);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(start)) {
    const ms = Date.parse(start);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  return undefined;
}

/** Interval length when neither the flag nor a column gives it: the step between the first two starts. */
function inferInterval(lines: ForecastLine[]): number | undefined {
  const first = lines[0]?.cells;
  const second = lines[1]?.cells;
  if (!first || !second) return undefined;
  const startOf = (c: Map<string, string>): string | undefined => START_COLUMNS.map((n) => c.get(n)).find((v) => v !== undefined);
  const s1 = startOf(first);
  const s2 = startOf(second);
  if (s1 === undefined || s2 === undefined) return undefined;
  const a = startSeconds(s1);
  const b = startSeconds(s2);
  if (a === undefined || b === undefined || !(b > a)) return undefined;
  return b - a;
}

/** Compute the plan: each interval sized independently (Erlang C, or Erlang A where a patience applies). */
export function planStaffing(lines: ForecastLine[], source: string, defaults: PlanDefaults): Plan {
  const inferred = defaults.intervalSeconds ?? inferInterval(lines);
  const rows: PlanRow[] = lines.map(({ line, cells }) => {
    const where = (column: string): string => `${source} line ${line}, column ${column}`;
    const num = (column: string): number | undefined => parseNumber(where(column), cells.get(column));
    const start = START_COLUMNS.map((n) => cells.get(n)).find((v) => v !== undefined) ?? '';
    const calls = num('calls');
    const aht = num('aht');
    if (calls === undefined) throw new InvalidInputError(where('calls'), 'is empty');
    if (aht === undefined) throw new InvalidInputError(where('aht'), 'is empty');
    const intervalSeconds = num('interval_seconds') ?? inferred;
    if (intervalSeconds === undefined) {
      throw new InvalidInputError('--interval', 'is needed: the interval length could not be inferred from the start column (use HH:MM or ISO times, or an interval_seconds column)');
    }
    const patience = num('patience') ?? defaults.patienceSeconds;
    const asa = num('target_asa') ?? defaults.targetAsaSeconds;
    const maxOcc = num('max_occupancy') ?? defaults.maxOccupancy;
    const shrinkage = num('shrinkage') ?? defaults.shrinkage ?? 0;
    const tt = num('target_time') ?? defaults.targetTimeSeconds ?? DEFAULT_TARGET_TIME_SECONDS;
    return renameField(
      {
        calls: where('calls'),
        ahtSeconds: where('aht'),
        intervalSeconds: where('interval_seconds'),
        serviceLevel: where('target_sl'),
        targetTimeSeconds: where('target_time'),
        asaSeconds: where('target_asa'),
        maxOccupancy: where('max_occupancy'),
        shrinkage: where('shrinkage'),
        patienceSeconds: where('patience'),
        trafficErlangs: `${source} line ${line} (traffic = calls × aht / interval)`,
      },
      () => {
        const traffic = trafficErlangs(calls, intervalSeconds, aht);
        const input: StaffingInput = {
          trafficErlangs: traffic,
          ahtSeconds: aht,
          serviceLevel: num('target_sl') ?? defaults.targetServiceLevel ?? DEFAULT_SERVICE_LEVEL,
          targetTimeSeconds: tt,
          ...(asa !== undefined ? { asaSeconds: asa } : {}),
          ...(maxOcc !== undefined ? { maxOccupancy: maxOcc } : {}),
          ...(patience !== undefined ? { patienceSeconds: patience } : {}),
        };
        const required = requiredAgents(input);
        const scheduled = scheduledAgents(required, shrinkage);
        const row: PlanRow = {
          start, intervalSeconds, calls, ahtSeconds: aht, trafficErlangs: traffic, requiredAgents: required, scheduledAgents: scheduled,
          serviceLevel: 1, asaSeconds: 0, occupancy: 0,
        };
        if (required > 0) {
          const m = queueMetrics({
            trafficErlangs: traffic, ahtSeconds: aht, agents: required, targetTimeSeconds: tt,
            ...(patience !== undefined ? { patienceSeconds: patience } : {}),
          });
          row.serviceLevel = m.serviceLevel;
          row.asaSeconds = m.asaSeconds;
          row.occupancy = m.occupancy;
          if (m.model === 'erlang-a') row.abandonRate = (m as ErlangAMetrics).abandonRate;
        } else if (patience !== undefined) {
          row.abandonRate = 0;
        }
        return row;
      },
    );
  });
  return { rows, totals: totalsOf(rows) };
}

function totalsOf(rows: PlanRow[]): PlanTotals {
  let calls = 0, reqH = 0, schH = 0, peakReq = 0, peakSch = 0, sl = 0, asa = 0, work = 0, capacity = 0, ab = 0;
  let asaUnbounded = false;
  const anyAbandon = rows.some((r) => r.abandonRate !== undefined);
  for (const r of rows) {
    calls += r.calls;
    reqH += (r.requiredAgents * r.intervalSeconds) / 3600;
    schH += (r.scheduledAgents * r.intervalSeconds) / 3600;
    peakReq = Math.max(peakReq, r.requiredAgents);
    peakSch = Math.max(peakSch, r.scheduledAgents);
    sl += r.calls * r.serviceLevel;
    if (r.asaSeconds === null) asaUnbounded = true;
    else asa += r.calls * r.asaSeconds;
    work += r.occupancy * r.requiredAgents * r.intervalSeconds;
    capacity += r.requiredAgents * r.intervalSeconds;
    ab += r.calls * (r.abandonRate ?? 0);
  }
  return {
    intervals: rows.length,
    calls,
    requiredAgentHours: reqH,
    scheduledAgentHours: schH,
    peakRequiredAgents: peakReq,
    peakScheduledAgents: peakSch,
    serviceLevel: calls > 0 ? sl / calls : 1,
    asaSeconds: asaUnbounded ? null : calls > 0 ? asa / calls : 0,
    occupancy: capacity > 0 ? work / capacity : 0,
    ...(anyAbandon ? { abandonRate: calls > 0 ? ab / calls : 0 } : {}),
  };
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const fixed = (v: number, d: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(d));

export function formatPlanTable(plan: Plan): string {
  const withAb = plan.totals.abandonRate !== undefined;
  const head = ['start', 'calls', 'aht s', 'Erlangs', 'required', 'scheduled', 'SL', 'ASA s', 'occupancy', ...(withAb ? ['abandon'] : [])];
  const body = plan.rows.map((r) => [
    r.start, fixed(r.calls, 1), fixed(r.ahtSeconds, 1), r.trafficErlangs.toFixed(2), String(r.requiredAgents), String(r.scheduledAgents),
    pct(r.serviceLevel), r.asaSeconds === null ? '∞' : r.asaSeconds.toFixed(1), pct(r.occupancy), ...(withAb ? [r.abandonRate === undefined ? '' : pct(r.abandonRate)] : []),
  ]);
  const t = plan.totals;
  const total = [
    'total', fixed(t.calls, 1), '', '', `${t.requiredAgentHours.toFixed(1)} h`, `${t.scheduledAgentHours.toFixed(1)} h`, pct(t.serviceLevel),
    t.asaSeconds === null ? '∞' : t.asaSeconds.toFixed(1), pct(t.occupancy), ...(withAb ? [pct(t.abandonRate ?? 0)] : []),
  ];
  const peak = ['peak', '', '', '', String(t.peakRequiredAgents), String(t.peakScheduledAgents), '', '', '', ...(withAb ? [''] : [])];
  const all = [head, ...body, total, peak];
  const widths = columnWidths(all);
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...body.map(line), rule, line(total), line(peak)].join('\n');
}

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function formatPlanCsv(plan: Plan): string {
  const withAb = plan.totals.abandonRate !== undefined;
  const head = ['start', 'interval_seconds', 'calls', 'aht', 'traffic_erlangs', 'required_agents', 'scheduled_agents', 'service_level', 'asa_seconds', 'occupancy', ...(withAb ? ['abandon_rate'] : [])];
  const rows = plan.rows.map((r) => [
    csvCell(r.start), String(r.intervalSeconds), String(r.calls), String(r.ahtSeconds), r.trafficErlangs.toFixed(4), String(r.requiredAgents),
    String(r.scheduledAgents), r.serviceLevel.toFixed(4), r.asaSeconds === null ? '' : r.asaSeconds.toFixed(2), r.occupancy.toFixed(4),
    ...(withAb ? [r.abandonRate === undefined ? '' : r.abandonRate.toFixed(4)] : []),
  ].join(','));
  const t = plan.totals;
  // Totals as a trailing row keyed "total": agent columns carry agent-hours there (documented in --help).
  const total = [
    'total', '', String(t.calls), '', '', t.requiredAgentHours.toFixed(2), t.scheduledAgentHours.toFixed(2), t.serviceLevel.toFixed(4),
    t.asaSeconds === null ? '' : t.asaSeconds.toFixed(2), t.occupancy.toFixed(4), ...(withAb ? [(t.abandonRate ?? 0).toFixed(4)] : []),
  ].join(',');
  return [head.join(','), ...rows, total].join('\n');
}

interface RawStaffFlags {
  forecast: string;
  interval?: string;
  targetSl?: string;
  targetTime?: string;
  targetAsa?: string;
  maxOccupancy?: string;
  shrinkage?: string;
  patience?: string;
  csv?: boolean;
  json?: boolean;
}

export function defaultsFromFlags(f: Omit<RawStaffFlags, 'forecast'>): PlanDefaults {
  const d: PlanDefaults = {};
  const set = <K extends keyof PlanDefaults>(key: K, flag: string, raw: string | undefined): void => {
    const v = parseNumber(flag, raw);
    if (v !== undefined) d[key] = v;
  };
  set('intervalSeconds', '--interval', f.interval);
  set('targetServiceLevel', '--target-sl', f.targetSl);
  set('targetTimeSeconds', '--target-time', f.targetTime);
  set('targetAsaSeconds', '--target-asa', f.targetAsa);
  set('maxOccupancy', '--max-occupancy', f.maxOccupancy);
  set('shrinkage', '--shrinkage', f.shrinkage);
  set('patienceSeconds', '--patience', f.patience);
  return d;
}

export function register(program: Command): void {
  program
    .command('staff')
    .description('staffing plan per interval of a forecast CSV (start, calls, aht[, per-row targets]) with totals')
    .requiredOption('--forecast <file.csv>', 'forecast: header row, then one row per interval')
    .option('--interval <seconds>', 'interval length (default: the step between the first two HH:MM or ISO starts)')
    .option('--target-sl <fraction>', `service-level target (default ${DEFAULT_SERVICE_LEVEL})`)
    .option('--target-time <seconds>', `answer-time target (default ${DEFAULT_TARGET_TIME_SECONDS})`)
    .option('--target-asa <seconds>', 'average-speed-of-answer target')
    .option('--max-occupancy <fraction>', 'occupancy cap')
    .option('--shrinkage <fraction>', 'fraction of paid time off the phones (default 0)')
    .option('--patience <seconds>', 'mean caller patience: size with Erlang A')
    .option('--csv', 'print CSV (last row "total": agent columns hold agent-hours)')
    .option('--json', 'print one JSON object {rows, totals}')
    .action(async (flags: RawStaffFlags) => {
      const defaults = defaultsFromFlags(flags);
      const plan = planStaffing(await readForecast(flags.forecast), flags.forecast, defaults);
      if (flags.json) console.log(JSON.stringify(plan, null, 2));
      else if (flags.csv) console.log(formatPlanCsv(plan));
      else console.log(formatPlanTable(plan));
    });
}
