import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { DEFAULT_REVIEW_POLICY, isDissatisfied, isOverdue, parseRatings, ratedAt, reviewDueAt } from '../../src/reviews/rules.js';

const at = (local: string) => Date.parse(`${local}+08:00`);

describe('review rules (standard §6) on the virtual clock', () => {
  it('dissatisfied at 16:50 → review due 18:50', () => {
    const clock = new VirtualClock(at('2026-12-07T16:50:00'));
    const due = reviewDueAt(ratedAt({ hangupAt: clock.now() }, clock.now()), DEFAULT_REVIEW_POLICY);
    expect(new Date(due).toISOString()).toBe('2026-12-07T10:50:00.000Z'); // 18:50 in Beijing
    expect(due).toBe(at('2026-12-07T18:50:00'));
  });

  it('the deadline is wall-clock: a rating at 17:30 on a Friday is due 19:30 that evening, not on Monday', () => {
    expect(reviewDueAt(at('2026-12-11T17:30:00'), DEFAULT_REVIEW_POLICY)).toBe(at('2026-12-11T19:30:00'));
  });

  it('rated when the call ended (the survey is its last step); a record without an end: when stored', () => {
    expect(ratedAt({ hangupAt: 1_000 }, 5_000)).toBe(1_000);
    expect(ratedAt({}, 5_000)).toBe(5_000);
  });

  it('overdue only once the deadline has passed, and never once closed', () => {
    const clock = new VirtualClock(at('2026-12-07T16:50:00'));
    const task = { dueAt: reviewDueAt(clock.now(), DEFAULT_REVIEW_POLICY), closedAt: null };
    clock.advance(2 * 3_600_000 - 1);
    expect(isOverdue(task, clock.now())).toBe(false);
    clock.advance(1); // 18:50:00.000 exactly: due now, not yet late
    expect(isOverdue(task, clock.now())).toBe(false);
    clock.advance(1);
    expect(isOverdue(task, clock.now())).toBe(true);
    expect(isOverdue({ ...task, closedAt: clock.now() }, clock.now() + 1)).toBe(false);
  });

  it('"dissatisfied" follows the shipped survey (1 satisfied, 2 average, 3 dissatisfied) and is configurable', () => {
    expect([1, 2, 3].map((r) => isDissatisfied(r, DEFAULT_REVIEW_POLICY))).toEqual([false, false, true]);
    expect(isDissatisfied(undefined, DEFAULT_REVIEW_POLICY)).toBe(false);
    const fivePoint = { ...DEFAULT_REVIEW_POLICY, dissatisfied: parseRatings('1, 2') };
    expect([1, 2, 3, 4, 5].map((r) => isDissatisfied(r, fivePoint))).toEqual([true, true, false, false, false]);
  });

  it.each([[''], ['x'], ['10'], ['3,,a']])('REVIEW_DISSATISFIED_RATINGS %j is refused with one clear line', (spec) => {
    expect(() => parseRatings(spec)).toThrow(RangeError);
  });
});
