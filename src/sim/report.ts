/**
 * The simulator's answer: overall and per-queue call figures, agent occupancy by group, and the Erlang engine's
 * prediction for the same inputs side by side. This is the `acd simulate --json` contract.
 */
import type { CallbackFigures } from './callbacks.js';
import type { SimRawResult } from './engine.js';
import type { PlanFigures } from './plan.js';
import { erlangPrediction, type ErlangPrediction } from './prediction.js';
import { callMetrics, type AgentTime, type CallMetrics } from './stats.js';

export interface OccupancyFigures {
  /** Time given to calls ÷ (that time + ready time): handling ÷ logged-in available time. */
  occupancy: number;
  /** Share of logged-in time spent not ready (breaks, missed calls). */
  notReadyShare: number;
  agentHours: number;
}

/** A queue's figures; `vip` covers its priority callers alone when the scenario has any. */
export interface QueueResult extends CallMetrics {
  vip?: CallMetrics;
}

export interface SimResult extends CallMetrics {
  scenario: string;
  seed: number;
  hours: number;
  warmupHours: number;
  occupancy: number;
  agents: Record<string, OccupancyFigures>;
  queues: Record<string, QueueResult>;
  /** The Erlang engine's prediction for the same inputs (null when there is no load or no staff). */
  erlang: ErlangPrediction | null;
  simulatedHours: number;
  /** Scenarios with a peak plan: its activations (declared by the rule engine; acted on only when `enforced`). */
  plan?: PlanFigures;
  /** Scenarios with callbacks. */
  callbacks?: CallbackFigures;
}

export function occupancyOf(t: AgentTime): OccupancyFigures {
  const avail = t.busyMs + t.readyMs;
  const all = avail + t.notReadyMs;
  return { occupancy: avail > 0 ? t.busyMs / avail : 0, notReadyShare: all > 0 ? t.notReadyMs / all : 0, agentHours: all / 3_600_000 };
}

export function buildResult(raw: SimRawResult): SimResult {
  const sc = raw.scenario;
  const queues: Record<string, QueueResult> = {};
  for (const [id, s] of raw.queues) {
    const vip = raw.vipQueues.get(id);
    queues[id] = vip ? { ...callMetrics(s, sc.ringCadenceSec), vip: callMetrics(vip, sc.ringCadenceSec) } : callMetrics(s, sc.ringCadenceSec);
  }
  const agents: Record<string, OccupancyFigures> = {};
  for (const [name, t] of raw.groups) agents[name] = occupancyOf(t);
  return {
    scenario: sc.name,
    seed: raw.seed,
    hours: sc.horizonSec / 3600,
    warmupHours: sc.warmupSec / 3600,
    ...callMetrics(raw.total, sc.ringCadenceSec),
    occupancy: occupancyOf(raw.agentTime).occupancy,
    agents,
    queues,
    erlang: erlangPrediction(sc),
    simulatedHours: raw.simulatedSec / 3600,
    ...(raw.plan ? { plan: raw.plan } : {}),
    ...(raw.callbacks ? { callbacks: raw.callbacks } : {}),
  };
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const pm = (v: number | null, f: (x: number) => string): string => (v === null ? '' : ` ± ${f(v)}`);
const sec = (v: number | null): string => (v === null ? 'unbounded' : `${v.toFixed(1)} s`);

/** A readable table: simulated figures with 95% intervals beside the Erlang prediction. */
export function formatResult(r: SimResult): string {
  const e = r.erlang;
  const rows: [string, string, string][] = [
    ['', 'simulated', e ? `Erlang (${e.model === 'erlang-a' ? 'A' : 'C'}, ${e.basis})` : 'Erlang'],
    ['calls offered', String(r.calls), e ? `${((e.trafficErlangs * (r.hours - r.warmupHours) * 3600) / e.ahtSeconds).toFixed(0)} expected` : ''],
    ['answered', String(r.answered), ''],
    ['abandoned', String(r.abandoned), ''],
    ['service level', pct(r.serviceLevel) + pm(r.ci95.serviceLevel, pct), e ? pct(e.serviceLevel) : ''],
    ['SL excl. abandoned', pct(r.serviceLevelExcludingAbandoned), e ? pct(e.serviceLevelExcludingAbandoned) : ''],
    ['ASA', sec(r.asaSeconds) + pm(r.ci95.asaSeconds, (x) => `${x.toFixed(1)} s`), e ? sec(e.asaSeconds) : ''],
    ['abandon rate', pct(r.abandonRate) + pm(r.ci95.abandonRate, pct), e ? pct(e.abandonRate) : ''],
    ['occupancy', pct(r.occupancy), e ? pct(e.occupancy) : ''],
    ['average rings', r.avgRings.toFixed(2), ''],
    ['missed (RONA)', String(r.rona), ''],
    ['longest wait', sec(r.maxWaitSeconds), ''],
  ];
  if (r.leftForCallback > 0) rows.push(['took a callback', String(r.leftForCallback), '']);
  if (r.unfinished > 0) rows.push(['unfinished at end', String(r.unfinished), '']);
  // Loops, not Math.max(...): a spread of every row overflows the stack on a long table.
  const w0 = rows.reduce((w, x) => Math.max(w, x[0].length), 0) + 2;
  const w1 = rows.reduce((w, x) => Math.max(w, x[1].length), 0) + 3;
  const lines = [`scenario ${r.scenario}, seed ${r.seed}, ${r.hours} h (first ${r.warmupHours} h not counted)`, ''];
  for (const [k, a, b] of rows) lines.push(`${k.padEnd(w0)}${a.padEnd(w1)}${b}`.trimEnd());
  if (e) {
    lines.push('', `Erlang inputs: ${e.trafficErlangs.toFixed(2)} Erlangs, ${e.agents.toFixed(1)} agents, AHT ${e.ahtSeconds.toFixed(1)} s` + (e.patienceSeconds !== null ? `, patience ${e.patienceSeconds.toFixed(0)} s` : '') + `, target ${e.targetTimeSeconds} s`);
    for (const c of e.caveats) lines.push(`  note: ${c}`);
  }
  const qs = Object.entries(r.queues).flatMap(([id, q]): [string, CallMetrics][] => (q.vip ? [[id, q], [`${id} (VIP)`, q.vip]] : [[id, q]]));
  if (qs.length > 1) {
    lines.push('', 'queue              calls  answered  abandoned  service level  ASA        abandon rate');
    for (const [id, q] of qs) {
      lines.push(`${id.padEnd(16)} ${String(q.calls).padStart(7)}  ${String(q.answered).padStart(8)}  ${String(q.abandoned).padStart(9)}  ${pct(q.serviceLevel).padStart(13)}  ${sec(q.asaSeconds).padEnd(9)}  ${pct(q.abandonRate).padStart(12)}`);
    }
  }
  const gs = Object.entries(r.agents);
  if (gs.length > 1 || gs.some(([, g]) => g.notReadyShare > 0)) {
    lines.push('', 'agent group      occupancy  not ready  agent-hours');
    for (const [name, g] of gs) lines.push(`${name.padEnd(16)} ${pct(g.occupancy).padStart(9)}  ${pct(g.notReadyShare).padStart(9)}  ${g.agentHours.toFixed(1).padStart(11)}`);
  }
  if (r.plan) lines.push('', ...planLines(r.plan));
  if (r.callbacks) lines.push('', callbackLine(r.callbacks));
  return lines.join('\n');
}

/** Seconds from the start of the run as H:MM. */
export function clockOf(sec: number): string {
  const m = Math.floor(sec / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}

function planLines(p: PlanFigures): string[] {
  const head = p.enforced ? 'peak plan (enforced)' : 'peak plan (not enforced: what the rules would have declared)';
  if (p.activations.length === 0) return [`${head}: no activation; at most ${p.maxWaiting} waiting`];
  const out = [`${head}: at most ${p.maxWaiting} waiting; ${(p.secondsAtLevel1 / 60).toFixed(0)} min at level 1+, ${(p.secondsAtLevel2 / 60).toFixed(0)} min at level 2`];
  for (const a of p.activations) out.push(`  level ${a.level} ${a.scope === '*' ? 'hotline' : `queue ${a.scope}`}  ${clockOf(a.startSec)} – ${a.endSec === null ? 'end' : clockOf(a.endSec)}  peak ${a.peakWaiting} waiting`);
  return out;
}

function callbackLine(c: CallbackFigures): string {
  return `callbacks: ${c.requested} requested (${c.fromAbandoned} after abandoning, ${c.fromOffer} offered), ${c.placed} placed, ${c.deadlineMet} done by the deadline, ${c.deadlineMissed} missed it` + (c.open > 0 ? `, ${c.open} open` : '') + (c.meanDelaySec !== null ? `; ${(c.meanDelaySec / 60).toFixed(0)} min from request to dial on average` : '');
}

export interface PlanComparison {
  scenario: string;
  seed: number;
  withPlan: SimResult;
  withoutPlan: SimResult;
}

/** The same day (same seed, same callers) with the plan and without, side by side. */
export function formatComparison(c: PlanComparison): string {
  const a = c.withPlan;
  const b = c.withoutPlan;
  const acts = (r: SimResult): string => {
    const xs = r.plan?.activations ?? [];
    return xs.length === 0 ? 'none' : xs.map((x) => `L${x.level} ${clockOf(x.startSec)}–${x.endSec === null ? 'end' : clockOf(x.endSec)}`).join(', ');
  };
  const cb = (r: SimResult, f: (x: CallbackFigures) => number): string => (r.callbacks ? String(f(r.callbacks)) : '–');
  const rows: [string, string, string][] = [
    ['', 'with plan', 'without plan'],
    ['calls offered', String(a.calls), String(b.calls)],
    ['answered', String(a.answered), String(b.answered)],
    ['abandoned', String(a.abandoned), String(b.abandoned)],
    ['took a callback offer', String(a.leftForCallback), String(b.leftForCallback)],
    ['service level', pct(a.serviceLevel), pct(b.serviceLevel)],
    ['abandon rate', pct(a.abandonRate), pct(b.abandonRate)],
    ['ASA', sec(a.asaSeconds), sec(b.asaSeconds)],
    ['longest wait', sec(a.maxWaitSeconds), sec(b.maxWaitSeconds)],
    ['most waiting at once', String(a.plan?.maxWaiting ?? '–'), String(b.plan?.maxWaiting ?? '–')],
    ['plan activations', acts(a), `${acts(b)} (declared, not acted on)`],
    ['minutes at level 1+ / 2', minutes(a.plan), minutes(b.plan)],
    ['callbacks requested', cb(a, (x) => x.requested), cb(b, (x) => x.requested)],
    ['callbacks placed', cb(a, (x) => x.placed), cb(b, (x) => x.placed)],
    ['deadline met', cb(a, (x) => x.deadlineMet), cb(b, (x) => x.deadlineMet)],
    ['deadline missed', cb(a, (x) => x.deadlineMissed), cb(b, (x) => x.deadlineMissed)],
    ['occupancy', pct(a.occupancy), pct(b.occupancy)],
  ];
  const w0 = rows.reduce((w, x) => Math.max(w, x[0].length), 0) + 2;
  const w1 = rows.reduce((w, x) => Math.max(w, x[1].length), 0) + 3;
  const lines = [`scenario ${c.scenario}, seed ${c.seed}: the same callers with the peak plan and without`, ''];
  for (const [k, x, y] of rows) lines.push(`${k.padEnd(w0)}${x.padEnd(w1)}${y}`.trimEnd());
  if (a.plan) lines.push('', 'with plan:', ...planLines(a.plan).map((l) => `  ${l}`));
  if (b.plan) lines.push('without plan:', ...planLines(b.plan).map((l) => `  ${l}`));
  return lines.join('\n');
}

function minutes(p: PlanFigures | undefined): string {
  return p ? `${(p.secondsAtLevel1 / 60).toFixed(0)} / ${(p.secondsAtLevel2 / 60).toFixed(0)}` : '–';
}
