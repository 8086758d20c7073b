/**
 * Callback tasks in the simulator (standard §3), modelled purely: a task is made when a caller asks for one
 * (hung up after a long wait, or accepted the offer while waiting), waits in deadline order, is placed by an idle
 * agent and occupies them for its talk time. The engine decides when agents may place them; this book keeps the
 * tasks and counts what became of them.
 */

export interface CallbackTask {
  /** The queue the caller called: agents who serve it place the callback. */
  queueId: string;
  via: 'abandoned' | 'offered';
  requestedAt: number;
  /** Completed by then (virtual ms) to meet the deadline. */
  deadline: number;
  talkSec: number;
  /** −1 until placed / done. */
  placedAt: number;
  doneAt: number;
}

export interface CallbackFigures {
  requested: number;
  /** Of which from callers who hung up after a long wait / who accepted the offer while waiting. */
  fromAbandoned: number;
  fromOffer: number;
  placed: number;
  completed: number;
  /** Completed (the call over) no later than the deadline. */
  deadlineMet: number;
  /** Completed after the deadline, or not completed though the deadline passed before the run ended. */
  deadlineMissed: number;
  /** Not completed when the run ended, deadline still ahead. */
  open: number;
  /** Mean time from request to placement of placed callbacks (seconds; null: none placed). */
  meanDelaySec: number | null;
}

export class CallbackBook {
  /** Agents on a callback now. */
  active = 0;
  private readonly all: CallbackTask[] = [];
  /** Waiting to be placed, earliest deadline first (ties: first requested). */
  private waiting: CallbackTask[] = [];

  request(t: CallbackTask): void {
    this.all.push(t);
    // Deadlines are a fixed delay after the request or one end of day: nearly always appended at the end.
    let i = this.waiting.length;
    while (i > 0 && this.waiting[i - 1]!.deadline > t.deadline) i--;
    this.waiting.splice(i, 0, t);
  }

  pending(): number {
    return this.waiting.length;
  }

  /** The most urgent task for one of `queues`, removed from the waiting list (undefined: none). */
  take(queues: readonly string[]): CallbackTask | undefined {
    const i = this.waiting.findIndex((t) => queues.includes(t.queueId));
    if (i < 0) return undefined;
    return this.waiting.splice(i, 1)[0];
  }

  figures(endMs: number): CallbackFigures {
    let placed = 0;
    let completed = 0;
    let met = 0;
    let missed = 0;
    let open = 0;
    let delay = 0;
    for (const t of this.all) {
      if (t.placedAt >= 0) {
        placed++;
        delay += t.placedAt - t.requestedAt;
      }
      if (t.doneAt >= 0) completed++;
      if (t.doneAt >= 0 && t.doneAt <= t.deadline) met++;
      else if (t.deadline < endMs || t.doneAt >= 0) missed++;
      else open++;
    }
    return {
      requested: this.all.length,
      fromAbandoned: this.all.filter((t) => t.via === 'abandoned').length,
      fromOffer: this.all.filter((t) => t.via === 'offered').length,
      placed,
      completed,
      deadlineMet: met,
      deadlineMissed: missed,
      open,
      meanDelaySec: placed > 0 ? delay / placed / 1000 : null,
    };
  }
}
