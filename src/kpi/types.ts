import type { AgentState } from '../acd/model.js';

/**
 * The live KPI picture a supervisor and the wallboard read (issue 10): one contract between the figures (kept
 * incrementally from the ACD's events, src/kpi/) and their readers (the API, the wallboard's event stream, /metrics).
 * Definitions are those of hotline-standard.md §8 and of the PostgreSQL reports (src/store/pg/reports.ts), so a
 * closed interval's live figure equals the report's. Rates are fractions (0..1), null when nothing was counted.
 */
export interface LiveQueueKpis {
  /** The queue's id, or '*' for the whole hotline. */
  queueId: string;
  /** Callers waiting now, and how long the longest has waited (seconds; 0 with nobody waiting). */
  waiting: number;
  longestWaitSec: number;
  /** Counted over the sliding window `windowSec` ending `at` (calls counted when they entered the queue). */
  offered: number;
  answered: number;
  abandoned: number;
  answeredWithinTarget: number;
  /** answeredWithinTarget / offered, against the queue's own target (e.g. 0.8 in 20 s). */
  serviceLevel: number | null;
  target: { fraction: number; seconds: number };
  abandonRate: number | null;
  answerRate: number | null;
  /** Mean wait until answer, mean talk time, mean talk + after-call work (seconds). */
  asaSec: number | null;
  attSec: number | null;
  ahtSec: number | null;
  /**
   * Hotline: (on-call + wrap-up) / (ready + reserved + ringing + on-call + wrap-up) of all agents over the window.
   * A queue (agents serve several): handling time of its calls / (that + idle time of the agents serving it, an
   * agent's idle time counted in each queue it serves); see src/kpi/buckets.ts queueOccupancy. No PostgreSQL report
   * has a per-queue occupancy (the agents report has per-agent occupancy).
   */
  occupancy: number | null;
  avgRings: number | null;
  rona: number;
  silent: number;
  /** Erlang C on the window's arrival rate and AHT against the queue's target: agents needed vs present. */
  staffing: { required: number | null; loggedIn: number; ready: number };
}

export interface LiveAgent {
  agentId: string;
  name: string | null;
  state: AgentState;
  reason: string | null;
  /** When the agent entered this state (epoch ms): the wallboard shows time in state. */
  since: number;
  reachable: boolean;
}

export interface LiveKpis {
  /** When these figures were taken (epoch ms), and the sliding window they count over (seconds). */
  at: number;
  windowSec: number;
  hotline: LiveQueueKpis;
  queues: LiveQueueKpis[];
  agents: { byState: Partial<Record<AgentState, number>>; list: LiveAgent[] };
  /**
   * Alerts a wall screen shows: service level under target, longest wait over the queue's limit, the peak-load plan
   * active (queueId '*' or the queue whose own rule raised it); and, added by the API's wiring
   * (src/reviews/overdue-count.ts), satisfaction reviews past their deadline (queueId '*', `count`).
   */
  alerts: { queueId: string; kind: 'service-level' | 'longest-wait' | 'plan' | 'reviews-overdue'; message: string; count?: number }[];
  /** The peak-load plan (standard §5), when the server runs it: overall level, since when, the campaign running. */
  plan?: { level: 0 | 1 | 2; since: number | null; campaign: string | null };
}

/** The port the API and the wallboard read through; src/kpi/ implements it. */
export interface LiveKpiSource {
  live(opts?: LiveReadOptions): Promise<LiveKpis>;
}

export interface LiveReadOptions {
  /** Wait for a reading taken after the last change signal rather than the last one kept (the wallboard's pushes). */
  fresh?: boolean;
}
