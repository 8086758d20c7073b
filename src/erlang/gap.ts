import { queueMetrics } from './metrics.js';
import type { QueueMetrics } from './types.js';
import { requiredAgents } from './staffing.js';
import type { StaffingInput } from './staffing.js';
import { requireNonNegative } from './validate.js';

export interface StaffingGap {
  /** Smallest whole number of agents meeting every target for the current load. */
  readonly requiredAgents: number;
  readonly liveAgents: number;
  /** requiredAgents − liveAgents: positive = short-staffed by that many, negative = that many to spare. */
  readonly shortBy: number;
  /** What the live staffing gives right now (null when nobody is logged in). */
  readonly live: QueueMetrics | null;
}

/**
 * How far live staffing is from the target, for supervisors and the wallboard: the requirement for the
 * current load beside the service the logged-in agents can give. Erlang A when a patience is given.
 */
export function staffingGap(input: StaffingInput & { readonly liveAgents: number }): StaffingGap {
  const live = requireNonNegative('liveAgents', input.liveAgents);
  const required = requiredAgents(input);
  return {
    requiredAgents: required,
    liveAgents: live,
    shortBy: required - live,
    live:
      live > 0
        ? queueMetrics({
            trafficErlangs: input.trafficErlangs,
            ahtSeconds: input.ahtSeconds,
            agents: live,
            ...(input.targetTimeSeconds !== undefined ? { targetTimeSeconds: input.targetTimeSeconds } : {}),
            ...(input.patienceSeconds !== undefined ? { patienceSeconds: input.patienceSeconds } : {}),
          })
        : null,
  };
}
