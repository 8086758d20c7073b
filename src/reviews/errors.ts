import { HotlineError } from '../core/errors.js';

/**
 * Errors of teams and satisfaction reviews. Stable codes (the API maps them in src/api/errors.ts):
 * - UNKNOWN_TEAM: no team with that id (404).
 * - REVIEW_UNKNOWN: no review task with that id (404).
 * - REVIEW_ALREADY_CLOSED: the outcome was recorded before; a task is closed once (409).
 */
export type ReviewErrorCode = 'UNKNOWN_TEAM' | 'REVIEW_UNKNOWN' | 'REVIEW_ALREADY_CLOSED';

export class ReviewError extends HotlineError {
  declare readonly code: ReviewErrorCode;
  constructor(code: ReviewErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
