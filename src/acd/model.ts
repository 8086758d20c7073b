/**
 * The ACD's shared vocabulary: agent states, skills, queue definitions and calls waiting. This is the contract
 * between the pure routing rules (src/acd), the Redis store (src/store/redis), PostgreSQL (src/store/pg), the IVR
 * (queue nodes name queues) and the call session (src/call). Pure types, no I/O.
 */

/** Agent states (DESIGN.md §3). Every transition is validated and time-stamped. */
export const AGENT_STATES = ['logged-out', 'not-ready', 'ready', 'reserved', 'ringing', 'on-call', 'wrap-up'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/**
 * Why an agent is not ready. `missed` is set by the answer timer (RONA); the others by the agent or supervisor.
 * `leave` (time off granted during the day) is refused while a planned peak (campaign) runs (§5).
 */
export const NOT_READY_REASONS = ['break', 'lunch', 'training', 'meeting', 'after-call', 'missed', 'other', 'leave'] as const;
export type NotReadyReason = (typeof NOT_READY_REASONS)[number];

/**
 * "Not ready after this call": what an agent holding a call (reserved, ringing, on-call) or in wrap-up asks to
 * become once the call and its wrap-up end, instead of being matched to the next waiting call.
 */
export type AfterCallRequest = NotReadyReason | 'logout';

/** Skill levels are 1 (basic) .. 5 (expert). */
export type SkillLevel = 1 | 2 | 3 | 4 | 5;

export interface AgentSkill {
  skill: string;
  level: SkillLevel;
  /** Primary skills take calls at once; secondary skills only once a queue's overflow stage allows them. */
  primary: boolean;
}

export interface AgentProfile {
  id: string;
  name: string;
  skills: AgentSkill[];
}

/** How to choose among eligible ready agents. */
export const ROUTING_POLICIES = ['longest-idle', 'highest-skill', 'least-talk-time', 'round-robin'] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

export interface SkillRequirement {
  skill: string;
  minLevel: SkillLevel;
}

/**
 * Overflow, by time waited in the queue: after `secondaryAfterSec` the call may also go to agents holding the
 * required skills as secondary skills; after `queueAfterSec` it may also go to agents eligible for `toQueue`.
 */
export interface OverflowRule {
  secondaryAfterSec?: number;
  toQueue?: string;
  queueAfterSec?: number;
}

export interface QueueDefinition {
  id: string;
  name: string;
  requiredSkills: SkillRequirement[];
  /** Queue priority: a higher number is served first when an agent is eligible for several queues. */
  priority: number;
  policy: RoutingPolicy;
  overflow: OverflowRule;
  /** Service-level target, e.g. 0.8 of calls answered within 20 s. */
  serviceLevel: { fraction: number; seconds: number };
  wrapUpSec: number;
  /** Rings before redirect-on-no-answer (the standard: 3). */
  answerRings: number;
  /** Seconds a returning caller is held for the agent who served them last before anyone may take the call. */
  stickyAgentSec: number;
  /** Longest a caller may wait before the flow's max-wait branch runs (0 = no limit). */
  maxWaitSec: number;
  /** Per-queue telephony options from queues.yaml; an option left out falls back to its environment list. */
  telephony?: QueueTelephony;
  /** Peak-plan thresholds of this queue's own (queues.yaml `peakPlan:`); without it only the hotline-wide rule
   * applies to it (src/acd/peak-plan.ts). Fields left out follow the hotline's PLAN_* settings. */
  peakPlan?: QueuePeakPlan;
}

/** A queue's peak-plan override, in queues.yaml's units. */
export interface QueuePeakPlan {
  level1?: number;
  level2?: number;
  clear1?: number;
  clear2?: number;
  sustainSec?: number;
  standDownSec?: number;
  dipSec?: number;
}

/** Silent-call script on the agent leg, late-answer apology whisper, recording, media release for the talk. */
export interface QueueTelephony {
  silentCall?: boolean;
  lateWhisper?: boolean;
  record?: boolean;
  /** Caller and agent talk directly, FreeSWITCH leaves the call until the caller needs the IVR again. */
  releaseMedia?: boolean;
}

/** A call asking to be queued. */
export interface CallRequest {
  callId: string;
  queueId: string;
  callerNumber: string;
  /** 0 normal; higher jumps ahead (VIP). */
  priority: number;
  /** The app instance that carries the call's media and SIP dialog: offers must reach it. */
  ownerInstance: string;
  /**
   * Whom the call is held for. Absent: the queue's sticky rule (the caller's last agent, for stickyAgentSec).
   * `{ agentId, sec }`: that agent only, for `sec` seconds, then anyone (a returning caller chose to wait for the
   * agent who served them); no hold if that agent is logged out or unreachable. `'none'`: no hold at all, whatever
   * the queue's sticky rule (the caller chose the next agent).
   */
  hold?: { agentId: string; sec: number } | 'none';
}

/** What a match produces: one call and one agent, reserved together under a lease. */
export interface Offer {
  callId: string;
  queueId: string;
  agentId: string;
  ownerInstance: string;
  /** Milliseconds the call had waited in queue when matched. */
  waitedMs: number;
  /** Which rule let this agent take the call. */
  via: 'primary' | 'secondary' | 'overflow-queue' | 'sticky';
}
