/** Shared shapes of the Erlang engine's inputs and outputs (all times in seconds, fractions in 0..1). */

/** Offered load of one queue in one interval. */
export interface Load {
  /** Offered traffic A = calls × AHT / interval length (Erlangs). */
  readonly trafficErlangs: number;
  /** Average handle time (talk + hold + after-call work). */
  readonly ahtSeconds: number;
}

/** What a staffing level must achieve; a missing optional target is simply not applied. */
export interface Targets {
  /** Fraction of callers answered within `targetTimeSeconds` (default 0.8; 0 switches it off). */
  readonly serviceLevel?: number;
  /** The "Y" of an X/Y service level (default 20 s). */
  readonly targetTimeSeconds?: number;
  /** Highest acceptable average speed of answer. */
  readonly asaSeconds?: number;
  /** Highest acceptable agent occupancy (e.g. 0.85 against burn-out). */
  readonly maxOccupancy?: number;
}

export const DEFAULT_SERVICE_LEVEL = 0.8;
export const DEFAULT_TARGET_TIME_SECONDS = 20;

/** Queue performance with a given number of agents. */
export interface QueueMetrics {
  readonly model: 'erlang-c' | 'erlang-a';
  readonly agents: number;
  readonly trafficErlangs: number;
  /** Probability an arriving caller has to wait (all agents busy). */
  readonly probWait: number;
  /**
   * Fraction of all offered callers answered within the target time. With Erlang A, abandoned callers count
   * as failures here (the stricter, usual contact-centre definition).
   */
  readonly serviceLevel: number;
  /** Mean wait of answered callers; null when unbounded (Erlang C with agents ≤ traffic: the queue grows forever). */
  readonly asaSeconds: number | null;
  /** Fraction of agent time spent handling calls. */
  readonly occupancy: number;
}

/** Erlang A (M/M/n+M, Palm 1943) adds exponential caller patience. */
export interface ErlangAMetrics extends QueueMetrics {
  readonly model: 'erlang-a';
  /** Fraction of offered callers who hang up before being answered. */
  readonly abandonRate: number;
  /** Answered within the target time ÷ answered callers (abandoned callers left out of the count). */
  readonly serviceLevelExcludingAbandoned: number;
  /** Mean time in queue over all callers, answered and abandoned (Little's law: P(abandon) × mean patience). */
  readonly meanWaitAllSeconds: number;
}
