import type { Clock } from '../core/clock.js';

export interface FailureLimiterOptions {
  /** Failures within `windowMs` that block an address. */
  maxFailures: number;
  windowMs: number;
  /** How long a blocked address stays blocked. */
  blockMs: number;
  /** Bound on addresses tracked, so a spoofed-source flood cannot grow memory without end. */
  maxTracked?: number;
}

interface Entry {
  failures: number[];
  blockedUntil: number;
}

/**
 * Repeated authentication failures from one address block it for a while (what fail2ban does for SIP servers).
 * Per instance and in memory: an attacker hitting several instances is blocked by each after the same count.
 */
export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: FailureLimiterOptions,
  ) {}

  isBlocked(address: string): boolean {
    const e = this.entries.get(address);
    if (!e) return false;
    if (e.blockedUntil > this.clock.now()) return true;
    if (e.blockedUntil !== 0) this.entries.delete(address);
    return false;
  }

  /** Count a failure; true when this failure blocks the address. */
  recordFailure(address: string): boolean {
    const now = this.clock.now();
    let e = this.entries.get(address);
    if (!e) {
      this.evictIfFull();
      e = { failures: [], blockedUntil: 0 };
      this.entries.set(address, e);
    }
    e.failures = e.failures.filter((t) => t > now - this.opts.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.opts.maxFailures) {
      e.blockedUntil = now + this.opts.blockMs;
      e.failures = [];
      return true;
    }
    return false;
  }

  recordSuccess(address: string): void {
    const e = this.entries.get(address);
    if (e && e.blockedUntil <= this.clock.now()) this.entries.delete(address);
  }

  private evictIfFull(): void {
    const max = this.opts.maxTracked ?? 100_000;
    if (this.entries.size < max) return;
    // Maps iterate in insertion order: drop the oldest tracked address.
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
