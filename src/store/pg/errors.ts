import { HotlineError } from '../../core/errors.js';

/**
 * Errors from the PostgreSQL store. Callers branch on `code`:
 * - PG_UNAVAILABLE: the server could not be reached or dropped the connection; the write may be retried later
 *   (call records go to the outage spool instead of being lost).
 * - UNKNOWN_AGENT / UNKNOWN_SKILL: the request names something that is not provisioned.
 * - DUPLICATE: a unique value (SIP username, employee number, agent id) is already taken.
 * - CONSTRAINT: the database refused a value its constraints forbid (the store validates first; this is the
 *   backstop and names the constraint).
 * - MIGRATION_FAILED: the schema could not be brought up to date at start-up.
 */
export type StoreErrorCode =
  | 'PG_UNAVAILABLE'
  | 'UNKNOWN_AGENT'
  | 'UNKNOWN_SKILL'
  | 'DUPLICATE'
  | 'CONSTRAINT'
  | 'MIGRATION_FAILED';

export class StoreError extends HotlineError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

// Socket-level failures from node's net layer and pg's own connection messages.
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = [/Connection terminated/i, /^timeout expired$/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /connect ECONNREFUSED/i, /Query read timeout/i];

/** True when `e` means "PostgreSQL is not reachable right now", as opposed to "PostgreSQL refused this query". */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NET_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01..57P03 (admin shutdown, crash shutdown, cannot connect now).
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  if (e instanceof AggregateError) return e.errors.some(isConnectionError);
  return CONNECTION_MESSAGES.some((re) => re.test(e.message));
}

/**
 * Translate a pg error into a StoreError where it has a meaning callers act on; anything else is re-thrown as is
 * (a bug in our SQL should keep its stack, not hide behind a friendly code).
 */
export function toStoreError(e: unknown, context: string): unknown {
  if (e instanceof StoreError) return e;
  if (isConnectionError(e)) {
    return new StoreError('PG_UNAVAILABLE', `PostgreSQL unavailable during ${context}: ${(e as Error).message}`, { context }, { cause: e });
  }
  const pgErr = e as { code?: unknown; constraint?: unknown; detail?: unknown; message?: unknown };
  if (pgErr.code === '23505') {
    return new StoreError('DUPLICATE', `${context}: ${String(pgErr.detail ?? pgErr.message)}`, { constraint: pgErr.constraint }, { cause: e });
  }
  if (pgErr.code === '23514' || pgErr.code === '23502' || pgErr.code === '23503' || pgErr.code === '22001' || pgErr.code === '22P02') {
    return new StoreError('CONSTRAINT', `${context}: ${String(pgErr.message)}`, { constraint: pgErr.constraint }, { cause: e });
  }
  return e;
}
