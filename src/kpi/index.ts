import type { RedisClient } from '../store/redis/client.js';
import type { QueueDefinition } from '../acd/model.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AcdEventSource } from '../store/pg/acd-events.js';
import { ChangeSignal } from './changes.js';
import { KpiCounter } from './counter.js';
import { RedisLiveKpis } from './live.js';

export { ChangeSignal } from './changes.js';
export { KpiCounter } from './counter.js';
export { RedisLiveKpis } from './live.js';
export type { LiveKpis, LiveKpiSource, LiveQueueKpis, LiveAgent } from './types.js';

export interface LiveKpiWiring {
  redis: RedisClient;
  hotlineId: string;
  clock: Clock;
  /** The ACD's event stream (RedisAcdStore). */
  events: AcdEventSource;
  queues: () => readonly QueueDefinition[];
  windowSec: number;
  names?: () => Promise<ReadonlyMap<string, string>>;
  logger: Logger;
  /**
   * A reading this young is served again (default 1 s); an older one too while one background refresh runs, up to
   * 10x this age (RedisLiveKpis: stale-while-revalidate). The API and /metrics never wait on Redis but for a reading
   * that old; the wallboard's pushes ask for a fresh one.
   */
  maxAgeMs?: number;
  /** How often the counter looks for new events when idle (default 1 s): the floor of a change's push latency. */
  pollMs?: number;
}

/**
 * The counter (start it; it owns a timer), the source the API, the wallboard and /metrics read, and the signal
 * raised after each count (the source's reading is marked stale first: live({ fresh: true }) reads the new figures).
 */
export function createLiveKpis(w: LiveKpiWiring): { counter: KpiCounter; source: RedisLiveKpis; changes: ChangeSignal } {
  const changes = new ChangeSignal();
  const source = new RedisLiveKpis({ redis: w.redis, hotlineId: w.hotlineId, clock: w.clock, queues: w.queues, windowSec: w.windowSec, maxAgeMs: w.maxAgeMs ?? 1_000, logger: w.logger, ...(w.names ? { names: w.names } : {}) });
  const counter = new KpiCounter({
    redis: w.redis,
    hotlineId: w.hotlineId,
    source: w.events,
    targetSec: (q) => w.queues().find((d) => d.id === q)?.serviceLevel.seconds,
    clock: w.clock,
    logger: w.logger,
    ...(w.pollMs !== undefined ? { pollMs: w.pollMs } : {}),
    onCounted: () => {
      source.forget();
      changes.emit();
    },
  });
  return { counter, source, changes };
}
