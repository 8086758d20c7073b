import type { Clock } from '../core/clock.js';
import type { Calendar } from '../ivr/calendar.js';
import { addWorkingDays } from '../ivr/working-days.js';
import type { NewCallback } from '../store/pg/callbacks.js';
import type { ReviewOutcome, ReviewRepository, ReviewState, ReviewTask } from '../store/pg/reviews.js';

export interface ReviewServiceDeps {
  reviews: ReviewRepository;
  /** The apology callback goes where every callback goes (CallbackRepository.create). */
  callbacks: { create(cb: NewCallback): Promise<string> };
  /** The hotline calendar of a call's flow (working days for the apology's deadline); undefined: none known. */
  calendarFor: (flowId: string | null) => Calendar | undefined;
  clock: Clock;
}

/** "Within 1 working day" without any calendar loaded: a plain day, rather than no deadline. */
const DAY_MS = 86_400_000;

const PHONE_RE = /^\+?[0-9]{3,20}$/;

/**
 * Satisfaction reviews (standard §6): the one service the API and the housekeeping sweep call. Creation is not here:
 * it happens with the call record (ReviewRepository.recordHook), so it holds for every path that stores records.
 */
export class ReviewService {
  constructor(private readonly d: ReviewServiceDeps) {}

  list(f: { state?: ReviewState | undefined; assignee?: string | null | undefined; limit?: number; offset?: number }): Promise<ReviewTask[]> {
    return this.d.reviews.list(f);
  }

  get(id: string): Promise<ReviewTask | undefined> {
    return this.d.reviews.get(id);
  }

  overdueCount(): Promise<number> {
    return this.d.reviews.overdueCount();
  }

  /** The sweep every live instance runs (housekeeping): flags newly overdue tasks, each once. */
  sweep(): Promise<ReviewTask[]> {
    return this.d.reviews.sweepOverdue(this.d.clock.now());
  }

  /**
   * The lead's outcome. Agent at fault: an apology callback to the caller, by the agent who took the call, due within
   * 1 working day on the flow's calendar. Its call id is derived from the task (`review:<id>`), not the rated call's:
   * callbacks are unique per call id, and the rated call may already hold the caller's own callback request; the
   * derived id also makes a retried close find the callback it made the first time.
   */
  recordOutcome(id: string, outcome: ReviewOutcome): Promise<ReviewTask> {
    const now = this.d.clock.now();
    return this.d.reviews.close(id, outcome, now, async (task) => {
      // An anonymous caller cannot be called back: the outcome is still recorded, without a callback.
      if (task.callerNumber === null || !PHONE_RE.test(task.callerNumber)) return null;
      const cal = this.d.calendarFor(task.flowId);
      return this.d.callbacks.create({
        callId: `review:${task.id}`,
        requestedNumber: task.callerNumber,
        ...(task.queueId !== null ? { queueId: task.queueId } : {}),
        ...(task.agentId !== null ? { preferredAgentId: task.agentId } : {}),
        note: 'apology',
        reason: 'apology',
        source: 'review',
        requestedAt: now,
        dueAt: cal ? addWorkingDays(cal, now, 1) : now + DAY_MS,
      });
    });
  }
}
