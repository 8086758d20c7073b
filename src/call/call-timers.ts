import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * The in-process timers of one call (the answer timer, the silent script's time limit, store retries). They are
 * shortcuts only: cleanup clears every one of them, so no timer of a call outlives the call.
 */
export class CallTimers {
  private readonly live = new Set<TimerHandle>();

  constructor(private readonly clock: Clock) {}

  set(ms: number, fn: () => void): TimerHandle {
    const h = this.clock.setTimeout(() => {
      this.live.delete(h);
      fn();
    }, ms);
    this.live.add(h);
    return h;
  }

  clear(h: TimerHandle | undefined): void {
    if (!h) return;
    this.clock.clearTimeout(h);
    this.live.delete(h);
  }

  /** Resolves after `ms`, or at once when cleanup clears the call's timers first. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const h = this.set(ms, () => {
        this.sleepers.delete(h);
        resolve();
      });
      this.sleepers.set(h, resolve);
    });
  }

  private readonly sleepers = new Map<TimerHandle, () => void>();

  /** Cleanup: no timer of the call survives it (sleepers wake so nothing waits on a cleared timer). */
  clearAll(): void {
    for (const h of this.live) this.clock.clearTimeout(h);
    this.live.clear();
    const wake = [...this.sleepers.values()];
    this.sleepers.clear();
    for (const w of wake) w();
  }

  get size(): number {
    return this.live.size;
  }
}
