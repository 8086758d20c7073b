import type { AttemptOutcome } from '../store/pg/callbacks.js';

/**
 * What the callback dispatcher needs from the world, as ports. main.ts wires the adapters: the peak plan's gate, a
 * Redis set of seat leases, the ACD (callback queues), and the SIP/media dialer (src/call/callback-call.ts).
 */

/** Whether callbacks may take seats now (the peak plan closes it at level ≥ 1, caps seats on a planned peak). */
export interface CallbackGate {
  callbacksAllowed(): Promise<{ allowed: boolean; maxSeats: number }>;
}

/** The default gate: always open, CALLBACK_MAX_SEATS seats. main.ts replaces it with the peak plan's. */
export function configGate(maxSeats: number): CallbackGate {
  return { callbacksAllowed: () => Promise.resolve({ allowed: maxSeats > 0, maxSeats }) };
}

/**
 * CALLBACK_MAX_SEATS under a further limit (the peak plan: closed at level ≥ 1, 2 seats during a campaign): the
 * smaller count wins, and callbacks are allowed only when both allow them.
 */
export function limitedGate(maxSeats: number, limit: CallbackGate): CallbackGate {
  return {
    callbacksAllowed: async () => {
      const l = await limit.callbacksAllowed();
      const seats = Math.min(maxSeats, l.maxSeats);
      return { allowed: l.allowed && seats > 0, maxSeats: seats };
    },
  };
}

/**
 * "At most N seats on callbacks at once", across instances: one lease per running callback, expiring by itself
 * when its instance dies (deadline as data: a Redis sorted set scored by lease end).
 */
export interface SeatSlots {
  /** Take a slot for `taskId` until `untilMs` if fewer than `max` live slots are held (atomic). */
  acquire(taskId: string, max: number, nowMs: number, untilMs: number): Promise<boolean>;
  renew(taskId: string, untilMs: number): Promise<void>;
  release(taskId: string): Promise<void>;
}

/** An agent the ACD matched and reserved for one callback call. */
export interface ReservedAgent {
  readonly agentId: string;
  /** Wrap-up after the call, from the callback queue's definition. */
  readonly wrapUpSec: number;
  ringing(): Promise<void>;
  answered(): Promise<void>;
  /** The seat did not answer: redirect on no answer (the agent goes not-ready(missed)), then the callback leaves. */
  missed(): Promise<void>;
  /** Leave the ACD: frees a reserved agent, or starts wrap-up after a talk. Idempotent. */
  leave(by: 'agent' | 'caller' | 'operator'): Promise<void>;
}

/** Picks and reserves an agent for a callback (the ACD's atomic match on the task's callback queue). */
export interface CallbackRouting {
  /** Undefined when no eligible agent was free within `withinMs` (the task is not counted as attempted). */
  /**
   * `preferredAgentId`: offer to that agent only (the caller asked to be called back by the agent who served them,
   * or a lead's apology is owed by that agent); anyone when that agent is logged out or unreachable. Without it,
   * anyone, whatever the queue's sticky rule.
   */
  reserve(req: { callId: string; queueId: string; number: string; preferredAgentId?: string }, withinMs: number): Promise<ReservedAgent | undefined>;
}

export interface OutboundResult {
  outcome: AttemptOutcome;
  agentAnsweredAt?: number;
  customerAnsweredAt?: number;
  endedAt: number;
  endedBy: 'agent' | 'caller' | 'system';
  /** Why a dial failed (SIP status, error code), for the call record. */
  failure?: string;
}

/** Places one callback call: the agent's seat first, then the customer through the trunk, bridged. */
export interface CallbackCaller {
  place(req: { callId: string; agentId: string; number: string }, hooks: { agentAnswered(): Promise<void> }): Promise<OutboundResult>;
}
