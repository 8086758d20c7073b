import { HotlineError } from '../core/errors.js';

/**
 * Media failures. Every media operation ends either in its result or in one of these, never in a promise that
 * stays pending: under load FreeSWITCH can leave a `playback` unanswered, and a call waiting on it forever would
 * hold its caller, its agent and a slot of MAX_CONCURRENT_CALLS.
 */
export type MediaErrorCode =
  | 'MEDIA_TIMEOUT' // the operation did not finish within its time limit
  | 'MEDIA_GONE' // the endpoint was released or hung up (by either side) while the operation ran
  | 'MEDIA_FILE_NOT_FOUND' // FreeSWITCH could not open a prompt
  | 'MEDIA_FAILED' // FreeSWITCH refused or the event socket failed
  | 'MEDIA_UNAVAILABLE'; // no media server connected

export class MediaError extends HotlineError {
  declare readonly code: MediaErrorCode;
  readonly op: string;
  constructor(code: MediaErrorCode, op: string, message: string, options?: { cause?: unknown }) {
    super(code, `${op}: ${message}`, { op }, options);
    this.op = op;
  }
}

/**
 * Told of every media operation that failed, with its code (MEDIA_TIMEOUT for time-outs). A port, so metrics can
 * count them without src/media knowing the metrics library. Must not throw.
 */
export interface MediaObserver {
  error(code: MediaErrorCode, op: string): void;
}

export function isMediaError(e: unknown, code?: MediaErrorCode): e is MediaError {
  return e instanceof MediaError && (code === undefined || e.code === code);
}
