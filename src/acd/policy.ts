import type { RoutingPolicy } from './model.js';

/**
 * Routing policies as ONE ordering number per ready agent and queue (lower is chosen first; ties go to the lower
 * agent id, as in a Redis sorted set). A single number is what lets the Redis script pick the best agent with one
 * ZRANGE instead of loading every candidate.
 */
export interface PolicyInputs {
  /** When the agent last became ready (ms). */
  readySince: number;
  /** Talk time accumulated since login (ms). */
  talkMs: number;
  /** Sum of skill levels relevant to the queue. */
  skillScore: number;
  /** Round-robin stamp: the queue's offer counter when this agent last got one of its calls (0 = never). */
  rr: number;
}

// Above any epoch-ms timestamp until the year 2109, and skillScore * SKILL_BAND stays below 2^53 for scores <= 2000.
const SKILL_BAND = 2 ** 42;

export function readyScore(policy: RoutingPolicy, x: PolicyInputs): number {
  switch (policy) {
    case 'longest-idle':
      return x.readySince;
    case 'highest-skill':
      return -x.skillScore * SKILL_BAND + x.readySince;
    case 'least-talk-time':
      return x.talkMs;
    case 'round-robin':
      return x.rr;
  }
}
