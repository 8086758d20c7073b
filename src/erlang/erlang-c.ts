import { erlangCFromInverseB, inverseErlangBReal } from './erlang-b.js';
import type { QueueMetrics } from './types.js';
import { DEFAULT_TARGET_TIME_SECONDS } from './types.js';
import { requireNonNegative, requirePositive, requireTraffic } from './validate.js';

export interface ErlangCInput {
  readonly trafficErlangs: number;
  readonly ahtSeconds: number;
  /** Whole or fractional number of agents (> 0). */
  readonly agents: number;
  readonly targetTimeSeconds?: number;
}

/**
 * Erlang C (M/M/n, FCFS, infinite patience) with the textbook closed forms, all derived from C:
 *   P(wait > t) = C·e^{−(n−A)·t/AHT},  SL(t) = 1 − P(wait > t),  ASA = C·AHT/(n − A),  occupancy = A/n.
 * C comes from the stable Erlang B recursion (see erlang-b.ts), never from factorials.
 */
export function erlangCMetrics(input: ErlangCInput): QueueMetrics {
  const a = requireTraffic('trafficErlangs', input.trafficErlangs);
  const aht = requirePositive('ahtSeconds', input.ahtSeconds);
  const n = requirePositive('agents', input.agents);
  const t = requireNonNegative('targetTimeSeconds', input.targetTimeSeconds ?? DEFAULT_TARGET_TIME_SECONDS);
  return erlangCMetricsUnchecked(a, aht, n, t);
}

/** As erlangCMetrics, for callers that validated already (hot paths, the simulator). */
export function erlangCMetricsUnchecked(a: number, aht: number, n: number, t: number): QueueMetrics {
  if (a === 0) {
    return { model: 'erlang-c', agents: n, trafficErlangs: 0, probWait: 0, serviceLevel: 1, asaSeconds: 0, occupancy: 0 };
  }
  if (n <= a) {
    return { model: 'erlang-c', agents: n, trafficErlangs: a, probWait: 1, serviceLevel: 0, asaSeconds: null, occupancy: 1 };
  }
  const c = erlangCFromInverseB(n, a, inverseErlangBReal(n, a));
  return {
    model: 'erlang-c',
    agents: n,
    trafficErlangs: a,
    probWait: c,
    serviceLevel: 1 - c * Math.exp((-(n - a) * t) / aht),
    asaSeconds: (c * aht) / (n - a),
    occupancy: a / n,
  };
}
