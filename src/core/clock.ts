/**
 * The clock port. Everything with a timer (answer timer, silence script, leases, flow timeouts, simulator) takes
 * a Clock, so tests and the simulator run on virtual time and production on the system clock.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch (virtual or real). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export class SystemClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A deterministic clock: timers fire only when `advance`/`runUntil` moves time. Timers due at the same instant fire
 * in the order they were set. A binary heap keeps it fast enough for the simulator's millions of events.
 */
export class VirtualClock implements Clock {
  private t: number;
  private heap: VirtualTimer[] = [];
  private cancelled = new Set<number>();
  private nextId = 1;
  private seq = 0;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.push({ id, at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.cancelled.add(handle.id);
  }

  /** Number of timers still scheduled (cancelled ones excluded). */
  pending(): number {
    let n = 0;
    for (const h of this.heap) if (!this.cancelled.has(h.id)) n++;
    return n;
  }

  /** Time of the next live timer, or undefined. */
  nextAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /** Move time forward by `ms`, firing every timer due on the way, in time order. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Fire timers due up to and including `until`, then set the clock to `until`. */
  runUntil(until: number): void {
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.at > until) break;
      this.pop();
      this.t = top.at;
      top.fn();
    }
    if (until > this.t) this.t = until;
  }

  /** Fire the next due timer, whenever it is. Returns false when none remain. */
  step(): boolean {
    this.dropCancelledTop();
    const top = this.heap[0];
    if (!top) return false;
    this.pop();
    this.t = Math.max(this.t, top.at);
    top.fn();
    return true;
  }

  /** Let microtasks (awaited promises) settle between timer firings; for async code under test. */
  async advanceAsync(ms: number): Promise<void> {
    const until = this.t + ms;
    await flushMicrotasks();
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.at > until) break;
      this.pop();
      this.t = top.at;
      top.fn();
      await flushMicrotasks();
    }
    if (until > this.t) this.t = until;
    await flushMicrotasks();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(this.heap[0]!.id);
      this.pop();
    }
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(x: VirtualTimer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Resolves after pending promise callbacks have run (several turns, for chains of awaits). */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
