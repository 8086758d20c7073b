import type { Calendar } from '../ivr/calendar.js';
import { addWorkingDays, nextOpening } from '../ivr/working-days.js';
import type { AfterAttempt, AttemptOutcome } from '../store/pg/callbacks.js';

/**
 * The callback rules (hotline standard §3), pure: deadlines in working days on the hotline calendar, when to dial
 * first, and what follows each dial. No I/O; tested on fixed instants (test/callbacks/deadline.test.ts).
 */
export interface CallbackPolicy {
  /** Working days to the deadline per reason; `default` for any other reason. */
  deadlineDays: Readonly<Record<string, number>>;
  /** Dials that reach the customer's side before the task fails (agent-missed offers do not count). */
  maxAttempts: number;
  /** Gap between two dials of the same task (then moved to the next opening of the line). */
  retrySpacingMs: number;
}

/** The standard: return visits and complaints within 1 working day, after-hours requests within 5. */
export const DEFAULT_DEADLINE_DAYS: Readonly<Record<string, number>> = {
  'after-hours': 5,
  'long-wait': 1,
  'desk-closed': 1,
  'return-visit': 1,
  complaint: 1,
  abandoned: 1,
  apology: 1,
  default: 1,
};

/** `after-hours=5,long-wait=1`: overrides of the defaults (CALLBACK_DEADLINE_DAYS). */
export function parseDeadlineDays(spec: string): Record<string, number> {
  const out: Record<string, number> = { ...DEFAULT_DEADLINE_DAYS };
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9-]+)\s*=\s*(\d+)$/i.exec(item);
    const days = m ? Number(m[2]) : NaN;
    if (!m || !Number.isInteger(days) || days < 1 || days > 30) throw new RangeError(`"${item}" is not reason=days with days 1..30`);
    out[m[1]!] = days;
  }
  return out;
}

export function deadlineDays(policy: CallbackPolicy, reason: string | undefined): number {
  return policy.deadlineDays[reason ?? 'default'] ?? policy.deadlineDays.default ?? 1;
}

/** When a task asked for at `nowMs` is due (the deadline) and when it is dialled first (the line open). */
export function callbackTimes(cal: Calendar, policy: CallbackPolicy, reason: string | undefined, nowMs: number): { dueAt: number; nextAttemptAt: number } {
  return { dueAt: addWorkingDays(cal, nowMs, deadlineDays(policy, reason)), nextAttemptAt: nextOpening(cal, nowMs) };
}

/**
 * What follows a dial that ended with `outcome` at `nowMs`, the task having had `attemptsBefore` counted dials.
 * An agent's missed offer is the agent's, not the customer's: the task is offered again at once, uncounted.
 */
export function afterAttempt(cal: Calendar, policy: CallbackPolicy, outcome: AttemptOutcome, attemptsBefore: number, nowMs: number): AfterAttempt {
  if (outcome === 'answered') return { status: 'done' };
  if (outcome === 'agent-missed') return { status: 'pending', nextAttemptAt: nextOpening(cal, nowMs) };
  if (attemptsBefore + 1 >= policy.maxAttempts) return { status: 'failed' };
  return { status: 'pending', nextAttemptAt: nextOpening(cal, nowMs + policy.retrySpacingMs) };
}
