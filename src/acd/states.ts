import { NOT_READY_REASONS, type AfterCallRequest, type AgentState, type NotReadyReason } from './model.js';
import { AcdError } from './errors.js';

/**
 * The agent state machine. A transition not in this table is a bug or a race lost by the caller, so it raises
 * AGENT_BAD_TRANSITION instead of being ignored: a silent no-op is how agents end up "in two states".
 */
export const AGENT_TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  'logged-out': ['not-ready'],
  // not-ready -> not-ready changes the reason (break -> lunch) and restamps the time.
  'not-ready': ['ready', 'not-ready', 'logged-out'],
  ready: ['reserved', 'not-ready', 'logged-out'],
  // reserved -> ready: the caller hung up before the phone rang, or the call's instance died.
  // reserved -> not-ready: redirect on no answer (missed).
  reserved: ['ringing', 'on-call', 'ready', 'not-ready'],
  ringing: ['on-call', 'ready', 'not-ready'],
  // on-call -> ready: no wrap-up configured, or the call's instance died.
  'on-call': ['wrap-up', 'ready'],
  'wrap-up': ['ready', 'not-ready', 'logged-out'],
};

export function canTransition(from: AgentState, to: AgentState): boolean {
  return AGENT_TRANSITIONS[from].includes(to);
}

export function assertTransition(agentId: string, from: AgentState, to: AgentState): void {
  if (!canTransition(from, to)) {
    throw new AcdError('AGENT_BAD_TRANSITION', `agent ${agentId}: cannot go from ${from} to ${to}`, { agentId, from, to });
  }
}

/** A state with the instant it was entered; occupancy and idle time are differences of these stamps. */
export interface AgentStateStamp {
  state: AgentState;
  reason?: NotReadyReason;
  since: number;
}

/** Pure transition: validates and returns the new stamp. */
export function transition(agentId: string, cur: AgentStateStamp, to: AgentState, at: number, reason?: NotReadyReason): AgentStateStamp {
  assertTransition(agentId, cur.state, to);
  return to === 'not-ready' ? { state: to, reason: reason ?? 'other', since: at } : { state: to, since: at };
}

/** States in which the agent holds a call: only the call's own events (answer, no-answer, hang-up) move it on. */
export const HOLDING_CALL: readonly AgentState[] = ['reserved', 'ringing', 'on-call'];

/** States in which an after-call request waits (for the call's end, then the wrap-up's) instead of applying now. */
export const AFTER_CALL_WAITS: readonly AgentState[] = ['reserved', 'ringing', 'on-call', 'wrap-up'];

export function validateAfterCall(next: AfterCallRequest): void {
  if (next !== 'logout' && !NOT_READY_REASONS.includes(next)) {
    throw new AcdError('BAD_DEFINITION', `unknown after-call request ${String(next)}`, { request: next });
  }
}

/** The state an after-call request leads to. */
export function afterCallTarget(next: AfterCallRequest): { to: 'not-ready'; reason: NotReadyReason } | { to: 'logged-out' } {
  return next === 'logout' ? { to: 'logged-out' } : { to: 'not-ready', reason: next };
}

/** A change the agent or a supervisor asks for (ready, not-ready, logout): refused while a call is held, even
 * where the table allows the same edge for a call event (reserved -> not-ready is redirect-on-no-answer only). */
export function assertAgentRequest(agentId: string, from: AgentState, to: AgentState): void {
  if (HOLDING_CALL.includes(from)) {
    throw new AcdError('AGENT_BAD_TRANSITION', `agent ${agentId}: cannot go from ${from} to ${to} while holding a call`, { agentId, from, to });
  }
  assertTransition(agentId, from, to);
}
