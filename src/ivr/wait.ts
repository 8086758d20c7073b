import { expectedWaitAtPosition } from '../erlang/index.js';
import type { WaitEstimator } from './channel.js';

/**
 * The Erlang engine behind queue announcements: a caller at position k with n agents serving the queue waits
 * about Σ 1/(n/AHT + i/patience) (src/erlang/wait.ts). The live numbers come from the ACD through `QueueLoad`.
 */
export interface QueueLoad {
  /** Agents logged in and serving the queue (busy or idle); 0 when nobody is. */
  agentsServing(queueId: string | undefined): number | Promise<number>;
  /** Recent average handling time; undefined until the queue has history. */
  ahtSeconds(queueId: string | undefined): number | undefined | Promise<number | undefined>;
  /** Mean patience of waiting callers, when known: callers ahead who give up shorten the wait. */
  patienceSeconds?(queueId: string | undefined): number | undefined | Promise<number | undefined>;
}

/** The standard's usual talk time (about 3 minutes) until a queue has its own history. */
export const DEFAULT_AHT_SECONDS = 180;

export function erlangWaitEstimator(load: QueueLoad, defaultAhtSeconds = DEFAULT_AHT_SECONDS): WaitEstimator {
  return {
    async expectedWaitSec(queueId, position) {
      const agents = await load.agentsServing(queueId);
      // Nobody to wait for: say the position only; the queue's no-agents rule decides what happens next.
      if (!(agents > 0) || !(position >= 1)) return undefined;
      const aht = (await load.ahtSeconds(queueId)) ?? defaultAhtSeconds;
      const patience = await load.patienceSeconds?.(queueId);
      return expectedWaitAtPosition({ position: Math.floor(position), agents, ahtSeconds: aht, ...(patience !== undefined && patience > 0 ? { patienceSeconds: patience } : {}) });
    },
  };
}
