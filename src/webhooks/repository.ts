import { randomBytes } from 'node:crypto';
import type { AcdEventSink, StreamedAcdEvent } from '../store/pg/acd-events.js';
import type { Db, Queryable } from '../store/pg/db.js';
import { toWebhookEvent, type WorkflowWebhookEvent } from './events.js';

export interface Webhook {
  id: string;
  url: string;
  /** Event types delivered; empty means all. */
  events: string[];
  description: string | null;
  createdAt: string;
}

export interface DeadLetter {
  id: string;
  webhookId: string;
  url: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deadAt: string;
}

/** A delivery an instance has claimed (its lease runs until it reports the outcome or the lease expires). */
export interface ClaimedDelivery {
  id: string;
  url: string;
  secret: string;
  eventType: string;
  payload: unknown;
  /** Attempts including this one. */
  attempt: number;
}

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  created_at: Date;
}

const toWebhook = (r: WebhookRow): Webhook => ({ id: String(r.id), url: r.url, events: r.events, description: r.description, createdAt: r.created_at.toISOString() });

/**
 * Subscriptions and their delivery queue in PostgreSQL. The queue is the only state of delivery: due times and
 * leases are columns, so a delivery claimed by an instance that dies is claimed again by another once its lease
 * has expired. Times come from the caller's clock (tests run on a virtual clock).
 */
/** One delivery per (event, matching subscription), due at `dueMs`; an event already queued is skipped. */
async function queueDeliveries(c: Queryable, ids: string[], types: string[], bodies: string[], dueMs: number): Promise<void> {
  await c.query(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, next_attempt_at)
     SELECT w.id, e.id, e.type, e.body::jsonb, $4
       FROM unnest($1::text[], $2::text[], $3::text[]) AS e(id, type, body)
       JOIN webhooks w ON cardinality(w.events) = 0 OR e.type = ANY (w.events)
     ON CONFLICT (webhook_id, event_id) DO NOTHING`,
    [ids, types, bodies, new Date(dueMs)],
  );
}

export class WebhookRepository implements AcdEventSink {
  constructor(private readonly db: Db) {}

  /** A new subscription; the secret is returned here only (generated when not given). */
  async create(w: { url: string; events: readonly string[]; description?: string | undefined; secret?: string | undefined }): Promise<Webhook & { secret: string }> {
    const secret = w.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    const r = await this.db.query<WebhookRow>('create webhook', 'INSERT INTO webhooks (url, events, secret, description) VALUES ($1, $2, $3, $4) RETURNING *', [
      w.url,
      [...new Set(w.events)],
      secret,
      w.description ?? null,
    ]);
    return { ...toWebhook(r.rows[0]!), secret };
  }

  async list(): Promise<Webhook[]> {
    const r = await this.db.query<WebhookRow>('list webhooks', 'SELECT id, url, events, description, created_at FROM webhooks ORDER BY id');
    return r.rows.map(toWebhook);
  }

  /** Remove a subscription with its queue and dead letters; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.query('delete webhook', 'DELETE FROM webhooks WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * The intake: one delivery per (event, matching subscription), in the ACD event writer's transaction. One
   * statement per batch, and nothing but PostgreSQL: a slow receiver cannot reach the event stream or a call.
   */
  async persist(c: Queryable, events: readonly StreamedAcdEvent[], nowMs?: number): Promise<void> {
    const ids: string[] = [];
    const types: string[] = [];
    const bodies: string[] = [];
    for (const s of events) {
      const w = toWebhookEvent(s.event);
      if (!w) continue;
      const id = `${s.id}#${s.seq}`;
      ids.push(id);
      types.push(w.type);
      bodies.push(JSON.stringify({ id, type: w.type, data: w.data }));
    }
    if (ids.length === 0) return;
    // Due at once (the event's own time: the dispatcher's clock has passed it already).
    await queueDeliveries(c, ids, types, bodies, nowMs ?? events[0]!.event.at);
  }

  /**
   * Queue workflow events (peak plan, callbacks, reviews, work orders) for every matching subscription. Pass the
   * transaction that writes the workflow's row, so the delivery exists exactly when the change does; an event id
   * already queued is not queued again (a sweep that runs twice after a crash emits once).
   */
  async emit(c: Queryable, events: readonly WorkflowWebhookEvent[], nowMs: number): Promise<void> {
    if (events.length === 0) return;
    const ids = events.map((e) => e.id);
    const types = events.map((e) => e.type);
    const bodies = events.map((e) => JSON.stringify({ id: e.id, type: e.type, data: e.data }));
    await queueDeliveries(c, ids, types, bodies, nowMs);
  }

  /**
   * Claim up to `limit` due deliveries for `holder` until `leaseUntil` (SKIP LOCKED: instances never wait on each
   * other). Counts the attempt now, so an instance that dies mid-delivery has used one.
   */
  async claim(holder: string, nowMs: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const r = await this.db.query<{ id: string; url: string; secret: string; event_type: string; payload: unknown; attempts: number }>(
      'claim webhook deliveries',
      `UPDATE webhook_deliveries d SET lease_until = $2, leased_by = $3, attempts = d.attempts + 1
         FROM webhooks w
        WHERE w.id = d.webhook_id
          AND d.id IN (SELECT id FROM webhook_deliveries
                        WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                        ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, w.url, w.secret, d.event_type, d.payload, d.attempts`,
      [new Date(nowMs), new Date(nowMs + leaseMs), holder, limit],
    );
    return r.rows.map((x) => ({ id: String(x.id), url: x.url, secret: x.secret, eventType: x.event_type, payload: x.payload, attempt: x.attempts }));
  }

  /** Delivered: whoever holds the lease now, the receiver has it (a late success is kept, not dropped). */
  async delivered(id: string, nowMs: number): Promise<void> {
    await this.db.query('webhook delivered', `UPDATE webhook_deliveries SET status = 'delivered', finished_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1 AND status = 'pending'`, [id, new Date(nowMs)]);
  }

  /**
   * A failed attempt: retry at `retryAtMs`, or dead-letter when it was the last allowed. Only the holder of this
   * attempt's lease may record it (a stale failure must not undo another instance's later attempt).
   * Resolves with what became of the delivery, or undefined when the lease had passed to someone else.
   */
  async failed(d: { id: string; holder: string; attempt: number; error: string; nowMs: number; retryAtMs: number | undefined }): Promise<'retry' | 'dead' | undefined> {
    const dead = d.retryAtMs === undefined;
    const r = await this.db.query(
      'webhook failed',
      `UPDATE webhook_deliveries
          SET status = $5, next_attempt_at = COALESCE($6, next_attempt_at), lease_until = NULL, last_error = $4,
              finished_at = CASE WHEN $5 = 'dead' THEN $7::timestamptz END
        WHERE id = $1 AND leased_by = $2 AND attempts = $3 AND status = 'pending'`,
      [d.id, d.holder, d.attempt, d.error.slice(0, 500), dead ? 'dead' : 'pending', d.retryAtMs === undefined ? null : new Date(d.retryAtMs), new Date(d.nowMs)],
    );
    return (r.rowCount ?? 0) > 0 ? (dead ? 'dead' : 'retry') : undefined;
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const r = await this.db.query<{ id: string; webhook_id: string; url: string; event_id: string; event_type: string; attempts: number; last_error: string | null; created_at: Date; finished_at: Date }>(
      'list dead letters',
      `SELECT d.id, d.webhook_id, w.url, d.event_id, d.event_type, d.attempts, d.last_error, d.created_at, d.finished_at
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'dead' ORDER BY d.finished_at DESC, d.id DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => ({
      id: String(x.id),
      webhookId: String(x.webhook_id),
      url: x.url,
      eventId: x.event_id,
      eventType: x.event_type,
      attempts: x.attempts,
      lastError: x.last_error,
      createdAt: x.created_at.toISOString(),
      deadAt: x.finished_at.toISOString(),
    }));
  }

  /** Queue a dead letter again, with a fresh set of attempts; false when no dead letter has that id. */
  async resend(id: string, nowMs: number): Promise<boolean> {
    const r = await this.db.query(
      'resend dead letter',
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, lease_until = NULL, leased_by = NULL, finished_at = NULL
        WHERE id = $1 AND status = 'dead'`,
      [id, new Date(nowMs)],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Forget delivered rows finished before `beforeMs` (dead letters stay until re-sent or their webhook is deleted). */
  async prune(beforeMs: number, limit = 5_000): Promise<number> {
    const r = await this.db.query(
      'prune webhook deliveries',
      `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND finished_at < $1 LIMIT $2)`,
      [new Date(beforeMs), limit],
    );
    return r.rowCount ?? 0;
  }

  /** Deliveries by status (tests, and the pending gauge). */
  async counts(): Promise<Record<'pending' | 'delivered' | 'dead', number>> {
    const r = await this.db.query<{ status: 'pending' | 'delivered' | 'dead'; n: string }>('count deliveries', 'SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status');
    const out = { pending: 0, delivered: 0, dead: 0 };
    for (const x of r.rows) out[x.status] = Number(x.n);
    return out;
  }
}
