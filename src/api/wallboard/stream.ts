import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { LiveKpis, LiveKpiSource, LiveQueueKpis } from '../../kpi/types.js';

/** What one client connection needs: a Node writable (the raw HTTP response). */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** One point of the wallboard's history charts, per queue ('*' for the whole hotline). */
export interface KpiSamplePoint {
  waiting: number;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  required: number | null;
  loggedIn: number;
  ready: number;
}

export interface KpiSample {
  at: number;
  queues: Record<string, KpiSamplePoint>;
}

export interface KpiStreamOptions {
  source: LiveKpiSource;
  logger: Logger;
  /** How often connected clients get a `kpis` event (default 1 s). */
  everyMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** History: one sample this often (default 30 s), kept this long (default 4 h). */
  historyEveryMs?: number;
  historyKeepMs?: number;
  /** A client whose socket has not drained for this long is disconnected (default 30 s); EventSource reconnects. */
  stuckMs?: number;
  /** Wall time for the stream's own pacing (the figures carry the source's `at`); default the clock's, else Date.now. */
  now?: () => number;
  /** Timers of the pacing (default: Node's, unref'd); tests pass a VirtualClock. */
  clock?: Clock;
  /**
   * "The figures changed" (the KPI counter's ChangeSignal): clients get a frame at once rather than at the next
   * period, at most one such push per `changeMinMs` (default 200 ms) however often it fires.
   */
  changes?: { subscribe(listener: () => void): () => void };
  changeMinMs?: number;
}

const point = (q: LiveQueueKpis): KpiSamplePoint => ({
  waiting: q.waiting,
  offered: q.offered,
  answered: q.answered,
  abandoned: q.abandoned,
  serviceLevel: q.serviceLevel,
  required: q.staffing.required,
  loggedIn: q.staffing.loggedIn,
  ready: q.staffing.ready,
});

export const sampleOf = (k: LiveKpis): KpiSample => ({
  at: k.at,
  queues: Object.fromEntries([['*', point(k.hotline)], ...k.queues.map((q) => [q.queueId, point(q)] as const)]),
});

/**
 * One client of the stream. Every frame is the whole picture, so a client that cannot keep up loses nothing by
 * skipping frames: while its socket is full (write() said false) the newest frame waits in `pending` (overwriting
 * the older one) until 'drain', so a slow client costs one frame of memory and never delays the others.
 */
class SseClient {
  private blockedSince: number | null = null;
  private pending: string | null = null;
  private readonly onDrain = () => {
    this.blockedSince = null;
    const p = this.pending;
    this.pending = null;
    if (p !== null) this.send(p, this.lastNow);
  };
  private lastNow = 0;
  dropped = 0;

  constructor(readonly sink: SseSink) {}

  /**
   * False when the client has been stuck too long and should be dropped. A `skippable` frame (a heartbeat) is not
   * kept for a blocked client: its socket is full, so it needs no keep-alive, and the pending picture must stay.
   */
  send(frame: string, now: number, stuckMs = Infinity, skippable = false): boolean {
    this.lastNow = now;
    if (this.blockedSince !== null) {
      if (!skippable) {
        if (this.pending !== null) this.dropped++;
        this.pending = frame;
      }
      return now - this.blockedSince < stuckMs;
    }
    if (!this.sink.write(frame)) {
      this.blockedSince = now;
      this.sink.once('drain', this.onDrain);
    }
    return true;
  }

  close(): void {
    this.sink.removeListener('drain', this.onDrain);
    this.sink.end();
  }
}

export const sseFrame = (event: string, data: unknown, id?: number): string =>
  `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/**
 * The wallboard's live feed: ONE reader of the LiveKpiSource for all connected clients (the figures are taken and
 * serialised once per second however many walls are open, so 50 browsers cost 50 socket writes, not 50 reads), and
 * the ring buffer of samples the history charts start from. The stream owns its timer; each client is owned by its
 * HTTP connection, which unsubscribes on close.
 */
export class KpiStream {
  private readonly clients = new Set<SseClient>();
  private readonly samples: KpiSample[] = [];
  private readonly everyMs: number;
  private readonly heartbeatMs: number;
  readonly historyEveryMs: number;
  readonly historyKeepMs: number;
  private readonly stuckMs: number;
  private readonly now: () => number;
  private timer: { cancel(): void } | null = null;
  /** When the next tick is due and the next periodic frame: a fixed cadence from start, not from the last read. */
  private nextTickAt = 0;
  private nextFrameAt = 0;
  private inflight: Promise<void> | null = null;
  private again = false;
  private pushWanted = false;
  private latestFrame: string | null = null;
  private lastBeatAt = 0;
  private lastSampleAt = -Infinity;
  private failing = false;
  private closed = false;
  private busy = 0;
  private readonly changeMinMs: number;
  private unsubscribeChanges: (() => void) | null = null;
  private changeTimer: { cancel(): void } | null = null;
  private lastChangeAt = -Infinity;

  constructor(private readonly opts: KpiStreamOptions) {
    this.everyMs = opts.everyMs ?? 1_000;
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.historyEveryMs = opts.historyEveryMs ?? 30_000;
    this.historyKeepMs = opts.historyKeepMs ?? 4 * 3_600_000;
    this.stuckMs = opts.stuckMs ?? 30_000;
    this.now = opts.now ?? (opts.clock ? () => opts.clock!.now() : Date.now);
    this.changeMinMs = opts.changeMinMs ?? 200;
  }

  /** Starts the pacing timer (idempotent). The first reading is taken at once so history starts at start-up. */
  start(): void {
    if (this.timer || this.closed) return;
    this.nextTickAt = this.now() + this.periodMs;
    this.nextFrameAt = this.now() + this.everyMs;
    this.timer = this.after(this.periodMs, () => this.tick());
    this.unsubscribeChanges = this.opts.changes?.subscribe(() => this.changed()) ?? null;
    this.refresh();
  }

  private get periodMs(): number {
    return Math.min(this.everyMs, this.historyEveryMs);
  }

  /** One timer on the injected clock, or Node's unref'd (an idle stream must not keep the process alive). */
  private after(ms: number, fn: () => void): { cancel(): void } {
    const clock = this.opts.clock;
    if (clock) {
      const h: TimerHandle = clock.setTimeout(fn, ms);
      return { cancel: () => clock.clearTimeout(h) };
    }
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Frames skipped for slow clients since start (coalesced: they got a newer one instead). */
  get coalesced(): number {
    let n = 0;
    for (const c of this.clients) n += c.dropped;
    return n;
  }

  /** Event-loop time spent serialising and writing frames since start (ms): the stream's own cost. */
  get busyMs(): number {
    return this.busy;
  }

  history(): KpiSample[] {
    return [...this.samples];
  }

  /**
   * A new client: it gets the latest figures at once, then every refresh. The returned function is the only way
   * to let go of it (the HTTP connection's 'close' calls it); calling it twice is harmless.
   */
  subscribe(sink: SseSink): () => void {
    const client = new SseClient(sink);
    this.clients.add(client);
    client.send(': connected\nretry: 2000\n\n', this.now());
    // The newest picture at once; the next comes with the timer (50 screens reconnecting cause no burst of reads).
    if (this.latestFrame !== null) client.send(this.latestFrame, this.now());
    else this.refresh();
    return () => {
      if (this.clients.delete(client)) client.close();
    };
  }

  /** Something changed (an ACD event): refresh now rather than at the next second. Overlapping calls coalesce. */
  nudge(): void {
    this.refresh();
  }

  /**
   * The change signal fired: push now if the last change push is `changeMinMs` old, else once at the end of that
   * interval (the changes in between ride on it). Only when someone is watching: history keeps its own pace.
   */
  private changed(): void {
    if (this.closed || this.changeTimer || this.clients.size === 0) return;
    const wait = this.lastChangeAt + this.changeMinMs - this.now();
    const push = () => {
      this.changeTimer = null;
      this.lastChangeAt = this.now();
      this.refresh();
    };
    if (wait <= 0) push();
    else this.changeTimer = this.after(wait, push);
  }

  /** Resolves once no reading is in flight (tests and the bench wait on it). */
  async settled(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  /** Stops the timer and ends every client's response (so the HTTP server can close). */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.changeTimer?.cancel();
    this.changeTimer = null;
    this.unsubscribeChanges?.();
    this.unsubscribeChanges = null;
    for (const c of this.clients) c.close();
    this.clients.clear();
    await this.inflight;
  }

  /**
   * The periodic frame goes out on every period whatever else was pushed (a change push does not move it, and a
   * slow read does not push it to the next period); the timer is re-armed on the fixed cadence, not after the work.
   */
  private tick(): void {
    if (this.closed) return;
    const now = this.now();
    this.nextTickAt += this.periodMs;
    // Asleep or blocked past several periods: carry on from now rather than firing the missed ticks in a burst.
    if (this.nextTickAt <= now) this.nextTickAt = now + this.periodMs;
    this.timer = this.after(this.nextTickAt - now, () => this.tick());
    // Half a period of tolerance: a timer may fire a hair before its due time by the wall clock.
    const frameDue = now >= this.nextFrameAt - this.periodMs / 2;
    if (frameDue) {
      this.nextFrameAt += this.everyMs;
      if (this.nextFrameAt <= now) this.nextFrameAt = now + this.everyMs;
    }
    if (this.clients.size > 0 && frameDue) this.refresh();
    else if (now - this.lastSampleAt >= this.historyEveryMs - 50) this.refresh(false);
    if (this.clients.size > 0 && now - this.lastBeatAt >= this.heartbeatMs) {
      this.lastBeatAt = now;
      this.broadcast(`: heartbeat ${now}\n\n`, true);
    }
  }

  /**
   * One reading at a time: a request during a reading asks for one more after it, never a second in parallel.
   * `push` false: a history sample only, the clients keep the pace of the period and the change signal.
   */
  private refresh(push = true): void {
    if (this.closed) return;
    if (push) this.pushWanted = true;
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = this.read().finally(() => {
      this.inflight = null;
      if (this.again) {
        this.again = false;
        this.refresh(false);
      }
    });
  }

  private async read(): Promise<void> {
    const push = this.pushWanted;
    this.pushWanted = false;
    // History is paced by when readings begin (on the timer's cadence), so a slow read does not skip a sample.
    const startedAt = this.now();
    let k: LiveKpis;
    try {
      // A push shows the figures as they are now (not the reading the API reuses); a history sample may be reused.
      k = await this.opts.source.live(push ? { fresh: true } : {});
    } catch (err) {
      if (!this.failing) this.opts.logger.warn({ err }, 'wallboard: live KPIs unavailable; clients are told the figures are stale');
      this.failing = true;
      if (push) this.broadcast(sseFrame('stale', { message: err instanceof Error ? err.message : String(err) }));
      return;
    }
    if (this.failing) this.opts.logger.info({}, 'wallboard: live KPIs available again');
    this.failing = false;
    // Paced by wall time (the source's clock may be virtual in tests); stamped with the figures' own `at`.
    if (startedAt - this.lastSampleAt >= this.historyEveryMs - 50) {
      this.lastSampleAt = startedAt;
      this.samples.push(sampleOf(k));
      const keep = Math.ceil(this.historyKeepMs / this.historyEveryMs);
      if (this.samples.length > keep) this.samples.splice(0, this.samples.length - keep);
    }
    if (this.closed || !push) return;
    const t0 = performance.now();
    this.latestFrame = sseFrame('kpis', k, k.at);
    this.broadcast(this.latestFrame);
    this.busy += performance.now() - t0;
  }

  private broadcast(frame: string, skippable = false): void {
    const now = this.now();
    for (const c of this.clients) {
      if (!c.send(frame, now, this.stuckMs, skippable)) {
        this.opts.logger.warn({ stuckMs: this.stuckMs }, 'wallboard: a client has not read its stream for too long; disconnected');
        this.clients.delete(c);
        c.close();
      }
    }
  }
}
