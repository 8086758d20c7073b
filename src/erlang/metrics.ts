import { erlangAMetrics } from './erlang-a.js';
import { erlangCMetrics } from './erlang-c.js';
import type { ErlangAMetrics, QueueMetrics } from './types.js';

export interface QueueMetricsInput {
  readonly trafficErlangs: number;
  readonly ahtSeconds: number;
  readonly agents: number;
  readonly targetTimeSeconds?: number;
  readonly patienceSeconds?: number;
}

/** Erlang A when a patience is given, else Erlang C. */
export function queueMetrics(input: QueueMetricsInput): QueueMetrics | ErlangAMetrics {
  if (input.patienceSeconds !== undefined) return erlangAMetrics({ ...input, patienceSeconds: input.patienceSeconds });
  return erlangCMetrics(input);
}
