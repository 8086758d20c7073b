import { HotlineError } from '../core/errors.js';

/**
 * Stable codes of the ACD. The call session and the API match on these, so a code never changes meaning.
 * STORE_UNAVAILABLE means the store (Redis) could not be reached: the operation did NOT happen, and the caller
 * still owns the call (e.g. keep the caller in the IVR with music and retry, or take a callback).
 * STORE_FAILED means the store answered with an error that is not an ACD rule (a script bug, a misconfigured
 * server): retrying will not help, log it loudly.
 */
export const ACD_ERROR_CODES = [
  'AGENT_BAD_TRANSITION',
  'AGENT_UNKNOWN',
  'AGENT_DUPLICATE_SKILL',
  'UNKNOWN_SKILL',
  'UNKNOWN_QUEUE',
  'CALL_UNKNOWN',
  'CALL_DUPLICATE',
  'CALL_BAD_STATE',
  'LEASE_EXPIRED',
  'STORE_UNAVAILABLE',
  'STORE_FAILED',
  'BAD_DEFINITION',
] as const;
export type AcdErrorCode = (typeof ACD_ERROR_CODES)[number];

export class AcdError extends HotlineError {
  declare readonly code: AcdErrorCode;
  constructor(code: AcdErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

export function isAcdError(e: unknown, code?: AcdErrorCode): e is AcdError {
  return e instanceof AcdError && (code === undefined || e.code === code);
}
