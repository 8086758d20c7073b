import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClaimedDelivery, WebhookRepository } from './repository.js';
import { signatureHeader } from './signature.js';

/** What the metrics see of deliveries (src/api/metrics.ts implements it; webhooks/ does not know prom-client). */
export interface WebhookObserver {
  /** One attempt's outcome: delivered, failed (will retry) or dead (no attempts left). */
  attempt(outcome: 'delivered' | 'failed' | 'dead'): void;
}

/** The HTTP POST, as a port: Node's fetch (undici) in production. */
export type PostFn = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; body?: { cancel(): Promise<void> } | null }>;

export interface WebhookDispatcherOptions {
  repo: Pick<WebhookRepository, 'claim' | 'delivered' | 'failed' | 'prune'>;
  clock: Clock;
  logger: Logger;
  /** Names this instance's leases. */
  instanceId: string;
  post?: PostFn;
  /** Per request (default 5 s): a receiver that hangs is cut off and the attempt counts as failed. */
  timeoutMs?: number;
  /** How long a claim is held (default timeout + 10 s); after it another instance may take the delivery. */
  leaseMs?: number;
  /** Attempts before a delivery becomes a dead letter (default 8). */
  maxAttempts?: number;
  /** Back-off after the first failure (default 1 s), doubling per attempt up to maxDelayMs (default 1 h). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Requests in flight at most, from this instance (default 8). */
  concurrency?: number;
  /** How often to look for due deliveries (default 1 s). */
  pollMs?: number;
  /** Jitter source in [0, 1) (tests pass a fixed one). */
  random?: () => number;
  observer?: WebhookObserver;
  /** Delivered rows are kept this long (default 7 days), then pruned (at most every 10 minutes). */
  keepDeliveredMs?: number;
}

/**
 * Delivers the webhook queue (PostgreSQL): claims due deliveries with a lease, POSTs each signed body with a time
 * limit, and records the outcome: delivered, retry later (exponential back-off with jitter), or dead letter. It runs
 * beside the calls, never in their path: the ACD event writer only inserts queue rows.
 */
export class WebhookDispatcher {
  private readonly inflight = new Set<Promise<void>>();
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly post: PostFn;
  private nextPruneAt = 0;

  constructor(private readonly opts: WebhookDispatcherOptions) {
    this.post = opts.post ?? ((url, init) => fetch(url, init));
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 5_000;
  }

  /** The delay before attempt `attempt + 1`: base·2^(attempt−1), capped, then scaled by a jitter in [0.5, 1). */
  backoffMs(attempt: number): number {
    const raw = Math.min(this.opts.maxDelayMs ?? 3_600_000, (this.opts.baseDelayMs ?? 1_000) * 2 ** Math.max(0, attempt - 1));
    return Math.round(raw * (0.5 + 0.5 * (this.opts.random ?? Math.random)()));
  }

  /** Claim what is due (up to the free concurrency) and start delivering it; resolves with the number started. */
  async pump(): Promise<number> {
    const free = (this.opts.concurrency ?? 8) - this.inflight.size;
    const now = this.opts.clock.now();
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 600_000;
      await this.opts.repo.prune(now - (this.opts.keepDeliveredMs ?? 7 * 86_400_000));
    }
    const claimed = await this.opts.repo.claim(this.opts.instanceId, now, this.opts.leaseMs ?? this.timeoutMs + 10_000, free);
    for (const d of claimed) {
      const p = this.deliver(d).catch((err: unknown) => {
        // PostgreSQL away while recording the outcome: the lease expires and the delivery is tried again.
        this.opts.logger.warn({ err, delivery: d.id }, 'webhook outcome not recorded');
      });
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
    return claimed.length;
  }

  /** Resolves when the deliveries in flight have finished. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stop claiming; deliveries in flight finish (each bounded by the request time limit). */
  async stop(): Promise<void> {
    this.running = false;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.pump().then(
        () => this.schedule(this.opts.pollMs ?? 1_000),
        (err: unknown) => {
          this.opts.logger.warn({ err }, 'webhook queue not read; trying again');
          this.schedule(5 * (this.opts.pollMs ?? 1_000));
        },
      );
    }, ms);
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const { clock } = this.opts;
    const body = JSON.stringify(d.payload);
    const controller = new AbortController();
    // On the injected clock, so a virtual-clock test decides when a hanging receiver is cut off.
    const timer = clock.setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    let error: string | undefined;
    try {
      const res = await this.post(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'hotline-acd-webhooks/1',
          'x-hotline-event': d.eventType,
          'x-hotline-delivery': d.id,
          'x-hotline-attempt': String(d.attempt),
          'x-hotline-signature': signatureHeader(d.secret, Math.floor(clock.now() / 1000), body),
        },
        body,
        signal: controller.signal,
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
    } catch (e) {
      error = controller.signal.aborted ? `timeout: no answer within ${this.timeoutMs} ms` : errorText(e);
    } finally {
      clock.clearTimeout(timer);
    }
    const now = clock.now();
    if (error === undefined) {
      await this.opts.repo.delivered(d.id, now);
      this.opts.observer?.attempt('delivered');
      return;
    }
    const last = d.attempt >= (this.opts.maxAttempts ?? 8);
    const outcome = await this.opts.repo.failed({ id: d.id, holder: this.opts.instanceId, attempt: d.attempt, error, nowMs: now, retryAtMs: last ? undefined : now + this.backoffMs(d.attempt) });
    if (outcome === undefined) return;
    this.opts.observer?.attempt(outcome === 'dead' ? 'dead' : 'failed');
    if (outcome === 'dead') this.opts.logger.warn({ delivery: d.id, url: d.url, attempts: d.attempt, error }, 'webhook delivery dead-lettered');
  }
}

function errorText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const base = e instanceof Error ? e.message : String(e);
  return cause?.code ? `${base} (${cause.code})` : base;
}
