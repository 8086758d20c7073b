import { HotlineError } from '../core/errors.js';

export type CallErrorCode =
  | 'SEAT_UNREACHABLE' // the agent has no live registration
  | 'SEAT_REJECTED' // the seat answered the INVITE with a failure (busy, declined)
  | 'SEAT_CANCELLED' // we cancelled the ringing INVITE (answer timer, caller gone)
  | 'CALL_ENDED' // an operation on a call that already ran its cleanup
  | 'FEATURE_CODE_UNKNOWN'
  | 'AGENT_STATE_REJECTED'; // the agent-state store refused a transition

export class CallError extends HotlineError {
  declare readonly code: CallErrorCode;
  constructor(code: CallErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}
