import { isAcdError } from '../acd/errors.js';
import { HotlineError } from '../core/errors.js';
import { isMediaError } from '../media/errors.js';

export type CallErrorCode =
  | 'SEAT_UNREACHABLE' // the agent has no live registration
  | 'SEAT_REJECTED' // the seat answered the INVITE with a failure (busy, declined)
  | 'SEAT_CANCELLED' // we cancelled the ringing INVITE (answer timer, caller gone)
  | 'CUSTOMER_BUSY' // a callback's customer (through the trunk) was busy or declined
  | 'CUSTOMER_NO_ANSWER' // ... did not answer (rang out, unavailable)
  | 'CUSTOMER_FAILED' // ... the trunk refused or failed the call
  | 'CUSTOMER_CANCELLED' // we cancelled the INVITE (ring time up, agent gone)
  | 'CALL_ENDED' // an operation on a call that already ran its cleanup
  | 'FEATURE_CODE_UNKNOWN'
  | 'AGENT_STATE_REJECTED'; // the agent-state store refused a transition

export class CallError extends HotlineError {
  declare readonly code: CallErrorCode;
  constructor(code: CallErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

export function isCallError(e: unknown, code?: CallErrorCode): e is CallError {
  return e instanceof CallError && (code === undefined || e.code === code);
}

/**
 * Whose failure a seat leg that did not come up is (hotline standard: redirect on no answer is the agent's miss).
 * 'seat': the seat itself said no — it answered the INVITE with a SIP failure (busy, declined) or has no live
 * registration; the call is redirected and the agent goes not-ready(missed), as when it rings out.
 * 'ours': everything else — our media endpoint's set-up failed or timed out (overload), the ACD store failed, the
 * SIP stack failed without a response from the seat: the agent did nothing wrong, so the offer is given back (the
 * call to the head of its queue) and the agent stays ready.
 */
export function seatFailureOwner(err: unknown): 'seat' | 'ours' {
  if (isMediaError(err) || isAcdError(err)) return 'ours';
  if (isCallError(err, 'SEAT_UNREACHABLE')) return 'seat';
  if (isCallError(err, 'SEAT_REJECTED')) return typeof err.details?.status === 'number' ? 'seat' : 'ours';
  return 'ours';
}
