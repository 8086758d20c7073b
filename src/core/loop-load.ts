import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * This process's event-loop utilisation (the share of wall time the loop spent running callbacks rather than
 * waiting for I/O), read every `intervalMs` over the interval just ended. Admission control sheds on it
 * (src/call/admission.ts): once the loop is saturated, every SIP message waits behind the backlog, refusals included.
 * The timer is unref'd: it never keeps the process alive.
 */
export class EventLoopLoad {
  private last: EventLoopUtilization | undefined;
  private value: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 500) {}

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

  /** Utilisation over the last interval (0..1); undefined before the first interval has passed. */
  busy(): number | undefined {
    return this.value;
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    this.value = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
  }
}
