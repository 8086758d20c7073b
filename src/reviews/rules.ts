/**
 * The satisfaction-review rules of standard §6, pure (no store, no clock of their own: times come in as epoch ms from
 * the caller's Clock, so they run on the virtual clock in tests). "A dissatisfied rating: the team lead listens to the
 * recording within 2 hours and, where the agent was at fault, apologises to the caller."
 */

export interface ReviewPolicy {
  /**
   * Stored survey ratings that mean "dissatisfied". The rating is the digit the caller pressed, so this follows the
   * flow's survey prompt: the shipped one says "1 satisfied, 2 average, 3 dissatisfied" → [3].
   */
  dissatisfied: readonly number[];
  /** How long the lead has, from the rating (wall-clock, not working time): 2 hours by the standard. */
  dueMs: number;
}

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = Object.freeze({ dissatisfied: Object.freeze([3]), dueMs: 2 * 3_600_000 });

export function isDissatisfied(rating: number | undefined, policy: ReviewPolicy): boolean {
  return rating !== undefined && policy.dissatisfied.includes(rating);
}

/**
 * When the rating was given: the survey is the last thing on the call, so the call's end; a record without an end
 * (never the case for a rated call, but records are facts from elsewhere too) falls back to when it is stored.
 */
export function ratedAt(record: { hangupAt?: number | undefined }, storedAtMs: number): number {
  return record.hangupAt ?? storedAtMs;
}

/** The lead's deadline: "dissatisfied at 16:50 → review due 18:50". */
export function reviewDueAt(ratedAtMs: number, policy: ReviewPolicy): number {
  return ratedAtMs + policy.dueMs;
}

/** Overdue once the deadline has passed with the task still open (due at 18:50 exactly is not yet overdue). */
export function isOverdue(task: { dueAt: number; closedAt?: number | null | undefined }, nowMs: number): boolean {
  return (task.closedAt === undefined || task.closedAt === null) && nowMs > task.dueAt;
}

/**
 * `REVIEW_DISSATISFIED_RATINGS` ("3", "1,2") as a rating list: digits 0..9 (a survey rates with one key), at least one.
 * Throws RangeError with the offending item; the config schema turns it into one clear line.
 */
export function parseRatings(spec: string): number[] {
  const items = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new RangeError('needs at least one rating digit, e.g. 3 or 1,2');
  return [...new Set(items.map((s) => {
    if (!/^[0-9]$/.test(s)) throw new RangeError(`"${s}" is not a rating digit 0-9`);
    return Number(s);
  }))].sort((a, b) => a - b);
}
