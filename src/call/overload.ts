import type { Clock } from '../core/clock.js';

export type MediaPressure = 'media-down' | 'media-backoff' | 'media-cpu';

export interface OverloadOptions {
  /** Refuse new calls while FreeSWITCH reports less idle CPU than this (percent, from its HEARTBEAT events). */
  minIdleCpu: number;
  /** After a call could not get its media (endpoint set-up failed or timed out), refuse new calls this long. */
  backoffMs: number;
}

/**
 * Sheds load before FreeSWITCH saturates. A fixed MAX_CONCURRENT_CALLS cannot know the machine: on a 2-core box
 * the media server saturated near 110 concurrent calls, and past that point endpoint set-up timed out and calls
 * hung. Two live signals say "full" sooner: the media server's own idle CPU, and a set-up that just failed.
 * Either one answers new callers 503 (with Retry-After) instead of taking calls that would not be served.
 */
export class OverloadGuard {
  private refuseUntil = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: OverloadOptions,
  ) {}

  /** A call's media set-up failed: the media server is likely saturated. */
  noteSetupFailure(): void {
    this.refuseUntil = Math.max(this.refuseUntil, this.clock.now() + this.opts.backoffMs);
  }

  /**
   * Why a new call must be refused now, or undefined to take it. `cpuIdle` is the idle CPU of the media server the
   * call would go to (undefined before its first heartbeat); `serversInService` how many media servers take calls
   * (none: every call would fail to get media, so it is refused before it is answered).
   */
  reason(cpuIdle: number | undefined, serversInService?: number): MediaPressure | undefined {
    if (serversInService === 0) return 'media-down';
    if (this.clock.now() < this.refuseUntil) return 'media-backoff';
    if (cpuIdle !== undefined && Number.isFinite(cpuIdle) && cpuIdle < this.opts.minIdleCpu) return 'media-cpu';
    return undefined;
  }
}
