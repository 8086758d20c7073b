import { decorateLive } from '../kpi/decorate.js';
import type { LiveKpiSource } from '../kpi/types.js';

/**
 * The number of overdue reviews, read for the wallboard (every second, for all screens), /api/kpis/live and /metrics:
 * one PostgreSQL count per `maxAgeMs` however many readers. A failed read keeps the last known figure, so a database
 * hiccup neither blanks the wall's alert nor breaks the live KPIs, which do not depend on PostgreSQL otherwise.
 */
export class OverdueReviews {
  private value: number | undefined;
  private readAt = -Infinity;
  private pending: Promise<number | undefined> | undefined;

  constructor(
    private readonly count: () => Promise<number>,
    private readonly now: () => number,
    private readonly maxAgeMs = 5_000,
  ) {}

  /** The figure, at most `maxAgeMs` old; undefined while it has never been read. */
  read(): Promise<number | undefined> {
    if (this.now() - this.readAt < this.maxAgeMs) return Promise.resolve(this.value);
    this.pending ??= this.count().then(
      (n) => {
        this.value = n;
        this.readAt = this.now();
        return n;
      },
      () => this.value,
    ).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget the cached figure (the sweep just flagged some: show them at once). */
  invalidate(): void {
    this.readAt = -Infinity;
  }
}

/** The live KPIs with an alert for overdue reviews: what the wallboard shows and GET /api/kpis/live answers. */
export function withReviewAlerts(source: LiveKpiSource, overdue: OverdueReviews): LiveKpiSource {
  return decorateLive(source, () => overdue.read(), (k, n) => {
    if (!n) return k;
    const message = `${n} satisfaction review${n === 1 ? '' : 's'} overdue (team lead past the 2-hour deadline)`;
    return { ...k, alerts: [...k.alerts, { queueId: '*', kind: 'reviews-overdue', message, count: n }] };
  });
}
