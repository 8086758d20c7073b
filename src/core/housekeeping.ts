import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';

/**
 * The server's periodic chores (lease renewal, the ACD's tick and reap). Each chore runs, then waits its period
 * again, so a slow run never overlaps the next. close() cancels the waits and awaits the runs under way; a run that
 * ends after close() does not re-arm, so nothing touches Redis once close() has resolved (issue 9 item 2).
 */
export class Housekeeping {
  private readonly timers = new Set<TimerHandle>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Run `fn` every `ms` (after the previous run has finished); a failure is logged and the chore carries on. */
  every(name: string, ms: number, fn: () => Promise<unknown>): void {
    if (this.closed) throw new Error(`housekeeping closed: cannot start ${name}`);
    const arm = (): void => {
      if (this.closed) return;
      const h = this.clock.setTimeout(() => {
        this.timers.delete(h);
        if (this.closed) return;
        const run = fn()
          .then(
            () => undefined,
            (err: unknown) => this.log.warn({ err, chore: name }, 'housekeeping failed'),
          )
          .finally(() => {
            this.running.delete(run);
            arm();
          });
        this.running.add(run);
      }, ms);
      this.timers.add(h);
    };
    arm();
  }

  /** Stop every chore; resolves once the runs under way have finished. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
