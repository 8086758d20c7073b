import type { Redis } from 'ioredis';
import type { QueueDefinition } from '../acd/model.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AcdEventSource } from '../store/pg/acd-events.js';
import { KpiCounter } from './counter.js';
import { RedisLiveKpis } from './live.js';

export { KpiCounter } from './counter.js';
export { RedisLiveKpis } from './live.js';
export type { LiveKpis, LiveKpiSource, LiveQueueKpis, LiveAgent } from './types.js';

export interface LiveKpiWiring {
  redis: Redis;
  hotlineId: string;
  clock: Clock;
  /** The ACD's event stream (RedisAcdStore). */
  events: AcdEventSource;
  queues: () => readonly QueueDefinition[];
  windowSec: number;
  names?: () => Promise<ReadonlyMap<string, string>>;
  logger: Logger;
  /** A reading this young is served again (default 1 s): the API, every wallboard and /metrics cost one read a second. */
  maxAgeMs?: number;
}

/** The counter (start it; it owns a timer) and the source the API, the wallboard and /metrics read. */
export function createLiveKpis(w: LiveKpiWiring): { counter: KpiCounter; source: RedisLiveKpis } {
  const counter = new KpiCounter({
    redis: w.redis,
    hotlineId: w.hotlineId,
    source: w.events,
    targetSec: (q) => w.queues().find((d) => d.id === q)?.serviceLevel.seconds,
    clock: w.clock,
    logger: w.logger,
  });
  const source = new RedisLiveKpis({ redis: w.redis, hotlineId: w.hotlineId, clock: w.clock, queues: w.queues, windowSec: w.windowSec, maxAgeMs: w.maxAgeMs ?? 1_000, ...(w.names ? { names: w.names } : {}) });
  return { counter, source };
}
