/**
 * What the Erlang engine predicts for a scenario, printed beside the simulated figures. For one queue with a
 * constant arrival rate and a fixed staff it is the textbook model of the run (Erlang C, or Erlang A when callers
 * have patience), exact when talk times are exponential and nothing else (breaks, missed calls, ringing) gets in
 * the way. For anything richer it is a pooled approximation: all calls and all staffed agents as one queue, which
 * ignores skills, so it is an optimistic bound on waiting, not a forecast.
 */
import { erlangAMetricsUnchecked, erlangCMetricsUnchecked, type ErlangAMetrics, type QueueMetrics } from '../erlang/index.js';
import { expectedArrivals, type Scenario } from './scenario.js';

export interface ErlangPrediction {
  basis: 'single-queue' | 'pooled-approximation';
  model: 'erlang-c' | 'erlang-a';
  trafficErlangs: number;
  agents: number;
  ahtSeconds: number;
  patienceSeconds: number | null;
  targetTimeSeconds: number;
  probWait: number;
  serviceLevel: number;
  serviceLevelExcludingAbandoned: number;
  asaSeconds: number | null;
  occupancy: number;
  abandonRate: number;
  /** Why the model may differ from the simulation (non-exponential talk time, breaks, …); empty when it should not. */
  caveats: string[];
}

export function erlangPrediction(sc: Scenario): ErlangPrediction | null {
  const from = sc.warmupSec;
  const to = sc.horizonSec;
  const span = to - from;
  if (!(span > 0)) return null;
  const caveats: string[] = [];
  // One line per reason, naming every queue or group it applies to.
  const notes = new Map<string, { kind: string; names: string[] }>();
  const note = (why: string, kind: 'queue' | 'group', name: string): void => {
    const n = notes.get(why);
    if (n) n.names.push(name);
    else notes.set(why, { kind, names: [name] });
  };

  let calls = 0;
  let work = 0;
  let patienceWeighted = 0;
  let withPatience = 0;
  for (const q of sc.queues) {
    const n = expectedArrivals(q, from, to);
    calls += n;
    work += n * (q.handle.meanSec + q.def.wrapUpSec);
    if (q.patienceSec !== null) {
      patienceWeighted += n * q.patienceSec;
      withPatience += n;
    }
    if (q.handle.distribution !== 'exponential') note(`${q.handle.distribution} talk times (Erlang assumes exponential)`, 'queue', q.def.id);
    if (q.def.wrapUpSec > 0) note('fixed wrap-up counted in the handle time', 'queue', q.def.id);
    if (q.arrivals.length > 1) note('arrival rate changes during the run (the model uses the mean)', 'queue', q.def.id);
  }
  if (calls <= 0) return null;
  const aht = work / calls;
  const traffic = work / span;
  const agents = staffedAgents(sc, from, to);
  if (!(agents > 0)) return null;
  const single = sc.queues.length === 1;
  if (!single) caveats.push('several queues pooled into one, skills ignored: an optimistic bound');
  if (withPatience > 0 && withPatience < calls) caveats.push('some queues have no patience: Erlang C for all');
  if (sc.agents.some((g) => g.supervisor)) caveats.push('supervisor groups left out of the staff (they take calls only at peak plan level 2)');
  if (sc.callbacks) caveats.push('callbacks (outbound work) not in the model');
  for (const g of sc.agents) {
    if (g.supervisor) continue;
    if (g.ronaProbability > 0) note('missed calls (RONA) not in the model', 'group', g.name);
    if (g.answerAfterSec > 0) note('ringing before pick-up not in the model', 'group', g.name);
    if (g.breaks.length > 0 || g.shifts.some((s) => s.startSec > from || s.endSec < to)) note('shifts and breaks averaged into a mean staff', 'group', g.name);
  }
  for (const [why, n] of notes) caveats.push(`${n.kind}${n.names.length > 1 ? 's' : ''} ${n.names.join(', ')}: ${why}`);
  const patience = withPatience === calls ? patienceWeighted / calls : null;
  const targets = new Set(sc.queues.map((q) => q.def.serviceLevel.seconds));
  const targetTime = sc.queues[0]!.def.serviceLevel.seconds;
  if (targets.size > 1) caveats.push(`queues have different target times; ${targetTime} s used`);

  const m: QueueMetrics | ErlangAMetrics =
    patience !== null ? erlangAMetricsUnchecked(traffic, aht, agents, patience, targetTime) : erlangCMetricsUnchecked(traffic, aht, agents, targetTime);
  const a = m.model === 'erlang-a' ? (m as ErlangAMetrics) : undefined;
  return {
    basis: single ? 'single-queue' : 'pooled-approximation',
    model: m.model,
    trafficErlangs: traffic,
    agents,
    ahtSeconds: aht,
    patienceSeconds: patience,
    targetTimeSeconds: targetTime,
    probWait: m.probWait,
    serviceLevel: m.serviceLevel,
    serviceLevelExcludingAbandoned: a ? a.serviceLevelExcludingAbandoned : m.serviceLevel,
    asaSeconds: m.asaSeconds,
    occupancy: m.occupancy,
    abandonRate: a ? a.abandonRate : 0,
    caveats,
  };
}

/** Time-average number of agents logged in and not on a scheduled break over [from, to). Breaks are placed
 * exactly as the engine places them (spread over the group). Supervisor groups are not staff (peak plan only). */
export function staffedAgents(sc: Scenario, from: number, to: number): number {
  let agentSec = 0;
  const overlap = (a: number, b: number): number => Math.max(0, Math.min(b, to) - Math.max(a, from));
  for (const g of sc.agents) {
    if (g.supervisor) continue;
    for (const s of g.shifts) {
      agentSec += g.count * overlap(s.startSec, s.endSec);
      for (const b of g.breaks) {
        for (let i = 0; i < g.count; i++) {
          const start = s.startSec + b.afterSec + (g.count > 1 ? (b.spreadSec * i) / (g.count - 1) : 0);
          if (start < s.endSec) agentSec -= overlap(start, Math.min(start + b.durationSec, s.endSec));
        }
      }
    }
  }
  return agentSec / (to - from);
}
