import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * This process's event-loop utilisation (the share of wall time the loop spent running callbacks rather than
 * waiting for I/O), read every `intervalMs` and smoothed (exponential average, `smoothing` of each new reading).
 * Admission control sheds on it (src/call/admission.ts): once the loop is saturated, every SIP message waits behind
 * the backlog, refusals included. Smoothed because single half-second readings spike (a burst of INVITEs, JIT, GC):
 * on the load bench the raw reading shed 4 % of the calls at 20 calls/s that the app carried without the signal,
 * while a real overload keeps the loop busy for seconds, which the average still reaches within about 1.5 s.
 * The timer is unref'd: it never keeps the process alive.
 */
export class EventLoopLoad {
  private last: EventLoopUtilization | undefined;
  private value: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs = 500,
    private readonly smoothing = 0.4,
  ) {}

  start(): void {
    if (this.timer) return;
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Smoothed utilisation (0..1); undefined before the first interval has passed. */
  busy(): number | undefined {
    return this.value;
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const reading = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    this.value = smooth(this.value, reading, this.smoothing);
  }
}

/** One step of the exponential average: the first reading as it is, then `alpha` of each new one. */
export function smooth(previous: number | undefined, reading: number, alpha: number): number {
  return previous === undefined ? reading : previous + alpha * (reading - previous);
}
