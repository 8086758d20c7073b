/**
 * What a simulation run may ask for. The engine keeps every call in the system in memory and walks every
 * event, so an arrival rate or a horizon far beyond any real hotline does not slow down gracefully: it runs out
 * of memory (1e12 calls per hour) or never ends (1e12 hours). Such a run is refused up front, in one line,
 * before anything is allocated.
 */
import { SimError } from './errors.js';
import { expectedArrivals, type Scenario } from './scenario.js';

/** A leap year of hours: longer than any planning horizon (scenario files stop at a month). */
export const MAX_SIM_HOURS = 366 * 24;
/** A year of hours at 360 calls an hour (about 3.2 M calls; some 30 s of engine time, a few hundred MB). */
export const MAX_SIM_CALLS = MAX_SIM_HOURS * 360;
/** Agents logged in at once across all groups (each is an object in the ACD store). */
export const MAX_SIM_AGENTS = 100_000;

/** Expected calls over the whole run (all queues, warm-up included). */
export function expectedCalls(sc: Scenario): number {
  return sc.queues.reduce((n, q) => n + expectedArrivals(q, 0, sc.horizonSec), 0);
}

/** Throws SIMULATION_TOO_LARGE when the run cannot finish in memory and in reasonable time. */
export function assertRunnable(sc: Scenario): void {
  const hours = sc.horizonSec / 3600;
  const drainHours = sc.maxDrainSec / 3600;
  const fmt = (v: number): string => (v >= 1e6 || !Number.isInteger(v) ? v.toPrecision(3) : String(v));
  if (!(hours <= MAX_SIM_HOURS)) {
    throw new SimError('SIMULATION_TOO_LARGE', `${fmt(hours)} hours is more than a simulation can run (at most ${MAX_SIM_HOURS}, a year)`);
  }
  if (!(drainHours <= MAX_SIM_HOURS)) {
    throw new SimError('SIMULATION_TOO_LARGE', `a drain of ${fmt(drainHours)} hours is more than a simulation can run (at most ${MAX_SIM_HOURS})`);
  }
  const calls = expectedCalls(sc);
  if (!(calls <= MAX_SIM_CALLS)) {
    throw new SimError(
      'SIMULATION_TOO_LARGE',
      `about ${fmt(Math.round(calls))} calls (calls per hour × hours) is more than a simulation can hold (at most ${MAX_SIM_CALLS}); lower the rate or the hours`,
    );
  }
  const agents = sc.agents.reduce((n, g) => n + g.count, 0);
  if (!(agents <= MAX_SIM_AGENTS)) {
    throw new SimError('SIMULATION_TOO_LARGE', `${fmt(agents)} agents is more than a simulation can hold (at most ${MAX_SIM_AGENTS})`);
  }
}
