import { HotlineError, InvalidInputError } from '../../core/errors.js';
import type { WorkflowWebhookEvent } from '../../webhooks/events.js';
import type { Db, Queryable } from './db.js';
import { requireInt, requireText, requireTime } from './validate.js';

export const CALLBACK_STATUSES = ['pending', 'in-progress', 'done', 'failed', 'cancelled'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/** Where a callback task came from (migration 20261207151000000). */
export const CALLBACK_SOURCES = ['ivr', 'abandoned', 'api', 'review', 'returning'] as const;
export type CallbackSource = (typeof CALLBACK_SOURCES)[number];

/** How one dial ended: the customer's side, or `agent-missed` when the agent's seat did not answer the offer. */
export const ATTEMPT_OUTCOMES = ['answered', 'busy', 'no-answer', 'failed', 'agent-missed'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface NewCallback {
  /** The call that asked for it: one callback per call, so a repeated request is a no-op. */
  callId?: string;
  requestedNumber: string;
  queueId?: string;
  /** The agent who served this caller before (first-contact responsibility, "be called back by A"). */
  preferredAgentId?: string;
  note?: string;
  requestedAt: number;
  /** The DEADLINE: the task is overdue after it (working days on the hotline calendar, see src/callbacks/deadline.ts). */
  dueAt: number;
  /** Why: after-hours, long-wait, desk-closed, return-visit, complaint, abandoned, apology... (sets the deadline). */
  reason?: string;
  source?: CallbackSource;
  /** First dial not before this (default: requestedAt; the service passes the next opening of the line). */
  nextAttemptAt?: number;
}

export interface Callback {
  id: string;
  callId: string | null;
  requestedNumber: string;
  queueId: string | null;
  preferredAgentId: string | null;
  status: CallbackStatus;
  /** Dials that reached the customer's side (agent-missed offers are not counted). */
  attempts: number;
  requestedAt: number;
  /** The deadline. */
  dueAt: number;
  reason: string | null;
  source: CallbackSource;
  note: string | null;
  nextAttemptAt: number;
  /** When a sweep flagged it past its deadline (undefined: not flagged). */
  overdueAt: number | null;
  outcome: string | null;
  lastAttemptAt: number | null;
  agentId: string | null;
  completedAt: number | null;
}

export interface CallbackRow {
  id: string;
  call_id: string | null;
  requested_number: string;
  queue_id: string | null;
  preferred_agent_id: string | null;
  status: CallbackStatus;
  attempts: number;
  requested_at: Date;
  due_at: Date;
  reason: string | null;
  source: CallbackSource;
  note: string | null;
  next_attempt_at: Date;
  overdue_at: Date | null;
  outcome: string | null;
  last_attempt_at: Date | null;
  agent_id: string | null;
  completed_at: Date | null;
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

export const fromRow = (r: CallbackRow): Callback => ({
  id: String(r.id),
  callId: r.call_id,
  requestedNumber: r.requested_number,
  queueId: r.queue_id,
  preferredAgentId: r.preferred_agent_id,
  status: r.status,
  attempts: r.attempts,
  requestedAt: r.requested_at.getTime(),
  dueAt: r.due_at.getTime(),
  reason: r.reason,
  source: r.source,
  note: r.note,
  nextAttemptAt: r.next_attempt_at.getTime(),
  overdueAt: ms(r.overdue_at),
  outcome: r.outcome,
  lastAttemptAt: ms(r.last_attempt_at),
  agentId: r.agent_id,
  completedAt: ms(r.completed_at),
});

export interface Attempt {
  at: number;
  agentId: string | null;
  callId: string | null;
  outcome: AttemptOutcome;
}

export interface CallbackFilter {
  status?: CallbackStatus;
  queueId?: string;
  source?: CallbackSource;
  /** true: open tasks past their deadline (flagged or not yet swept); false: the others. */
  overdue?: boolean;
}

/** Where workflow webhooks are queued in the same transaction as the row (WebhookRepository implements it). */
export interface WebhookEmitter {
  emit(c: Queryable, events: readonly WorkflowWebhookEvent[], nowMs: number): Promise<void>;
}

/** What happens to a task after a dial: another try later, or finished. */
export type AfterAttempt = { status: 'pending'; nextAttemptAt: number } | { status: 'done' | 'failed' };

const NUMBER_RE = /^\+?[0-9]{3,20}$/;

export class CallbackError extends HotlineError {}

const publicView = (c: Callback): Record<string, unknown> => ({
  id: c.id,
  number: c.requestedNumber,
  queueId: c.queueId,
  reason: c.reason,
  source: c.source,
  status: c.status,
  attempts: c.attempts,
  dueAt: new Date(c.dueAt).toISOString(),
});

export class CallbackRepository {
  constructor(
    private readonly db: Db,
    private readonly hooks?: WebhookEmitter,
  ) {}

  /** Returns the callback's id (the existing one when this call id already asked). */
  async create(cb: NewCallback): Promise<string> {
    if (typeof cb.requestedNumber !== 'string' || !NUMBER_RE.test(cb.requestedNumber)) {
      throw new InvalidInputError('requestedNumber', 'must be a phone number of 3 to 20 digits, optionally with a leading +');
    }
    const requestedAt = requireTime('requestedAt', cb.requestedAt);
    const dueAt = requireTime('dueAt', cb.dueAt);
    const nextAt = cb.nextAttemptAt === undefined ? requestedAt : requireTime('nextAttemptAt', cb.nextAttemptAt);
    const source = cb.source ?? 'ivr';
    if (!CALLBACK_SOURCES.includes(source)) throw new InvalidInputError('source', `must be one of ${CALLBACK_SOURCES.join(', ')}`);
    const reason = cb.reason === undefined ? null : requireText('reason', cb.reason, 100);
    const params = [cb.callId ?? null, cb.requestedNumber, cb.queueId ?? null, cb.preferredAgentId ?? null, cb.note ?? null, requestedAt, dueAt, reason, source, nextAt];
    return this.db.tx('create callback', async (c) => {
      const r = await c.query<CallbackRow & { inserted: boolean }>(
        `WITH ins AS (
           INSERT INTO callbacks (call_id, requested_number, queue_id, preferred_agent_id, note, requested_at, due_at, reason, source, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (call_id) DO NOTHING RETURNING *, true AS inserted)
         SELECT * FROM ins UNION ALL SELECT *, false AS inserted FROM callbacks WHERE call_id = $1 LIMIT 1`,
        params,
      );
      const row = r.rows[0]!;
      if (row.inserted && this.hooks) {
        const created = fromRow(row);
        await this.hooks.emit(c, [{ id: `callback.created:${created.id}`, type: 'callback.created', data: publicView(created) }], requestedAt.getTime());
      }
      return String(row.id);
    });
  }

  async get(id: string): Promise<Callback | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const r = await this.db.query<CallbackRow>('get callback', 'SELECT * FROM callbacks WHERE id = $1', [id]);
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  async attempts(id: string): Promise<Attempt[]> {
    const r = await this.db.query<{ at: Date; agent_id: string | null; call_id: string | null; outcome: AttemptOutcome }>(
      'callback attempts',
      'SELECT at, agent_id, call_id, outcome FROM callback_attempts WHERE callback_id = $1 ORDER BY at, id',
      [id],
    );
    return r.rows.map((a) => ({ at: a.at.getTime(), agentId: a.agent_id, callId: a.call_id, outcome: a.outcome }));
  }

  /** Tasks by deadline (oldest first). `overdue` compares the deadline with `nowMs`, so a task not swept yet counts. */
  async list(filter: CallbackFilter, page: { limit: number; offset: number }, nowMs: number): Promise<Callback[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.queueId) add('queue_id = ?', filter.queueId);
    if (filter.source) add('source = ?', filter.source);
    if (filter.overdue !== undefined) {
      params.push(new Date(nowMs));
      const open = `status IN ('pending', 'in-progress') AND due_at < $${params.length}`;
      where.push(filter.overdue ? `(${open})` : `NOT (${open})`);
    }
    params.push(requireInt('limit', page.limit, 1, 1000), requireInt('offset', page.offset, 0));
    const r = await this.db.query<CallbackRow>(
      'list callbacks',
      `SELECT * FROM callbacks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY due_at, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return r.rows.map(fromRow);
  }

  /** Cancel an open task. CALLBACK_UNKNOWN / CALLBACK_FINISHED otherwise. A dial under way ends on its own; its result no longer revives the task. */
  async cancel(id: string, atMs: number): Promise<Callback> {
    const at = requireTime('at', atMs);
    const r = await this.db.query<CallbackRow>(
      'cancel callback',
      `UPDATE callbacks SET status = 'cancelled', completed_at = $2, claimed_by = NULL, claimed_at = NULL
        WHERE id = $1 AND status IN ('pending', 'in-progress') RETURNING *`,
      [id, at],
    );
    if (r.rows[0]) return fromRow(r.rows[0]);
    const now = await this.get(id);
    if (!now) throw new CallbackError('CALLBACK_UNKNOWN', `no callback ${id}`, { id });
    throw new CallbackError('CALLBACK_FINISHED', `callback ${id} is ${now.status} already`, { id, status: now.status });
  }

  /**
   * Claim up to `limit` tasks whose next dial is due, for `instanceId`. A claim older than `leaseMs` is expired (its
   * instance died or hung): the task is claimed again. SKIP LOCKED: instances never wait on each other, never share.
   */
  async claimNext(nowMs: number, instanceId: string, limit: number, leaseMs: number): Promise<Callback[]> {
    requireInt('limit', limit, 1, 1000);
    const r = await this.db.query<CallbackRow>(
      'claim next callbacks',
      `UPDATE callbacks SET status = 'in-progress', claimed_by = $2, claimed_at = $1
        WHERE id IN (SELECT id FROM callbacks
                      WHERE (status = 'pending' AND next_attempt_at <= $1)
                         OR (status = 'in-progress' AND claimed_at <= $1::timestamptz - make_interval(secs => $4::double precision / 1000))
                      ORDER BY next_attempt_at, id FOR UPDATE SKIP LOCKED LIMIT $3)
        RETURNING *`,
      [new Date(nowMs), requireText('instanceId', instanceId), limit, requireInt('leaseMs', leaseMs, 1)],
    );
    return r.rows.map(fromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || Number(a.id) - Number(b.id));
  }

  /** Keep this instance's claims alive while their calls run (a claim is a lease). Returns the ids still held. */
  async renewClaims(ids: readonly string[], instanceId: string, nowMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const r = await this.db.query<{ id: string }>(
      'renew callback claims',
      `UPDATE callbacks SET claimed_at = $3 WHERE id = ANY($1::bigint[]) AND status = 'in-progress' AND claimed_by = $2 RETURNING id`,
      [ids, instanceId, new Date(nowMs)],
    );
    return r.rows.map((x) => String(x.id));
  }

  /** Give a claimed task back untouched (no agent free, gate closed): no attempt is counted. */
  async release(id: string, instanceId: string, nextAttemptAt: number): Promise<void> {
    await this.db.query(
      'release callback',
      `UPDATE callbacks SET status = 'pending', claimed_by = NULL, claimed_at = NULL, next_attempt_at = $3
        WHERE id = $1 AND status = 'in-progress' AND claimed_by = $2`,
      [id, instanceId, requireTime('nextAttemptAt', nextAttemptAt)],
    );
  }

  /**
   * Record one dial and what follows, with its webhooks, in one transaction. Only the claim's holder may (a task
   * cancelled, or re-claimed after this instance's lease ran out, is left alone): false then.
   */
  async recordAttempt(id: string, instanceId: string, attempt: Attempt, next: AfterAttempt): Promise<boolean> {
    if (!ATTEMPT_OUTCOMES.includes(attempt.outcome)) throw new InvalidInputError('outcome', `must be one of ${ATTEMPT_OUTCOMES.join(', ')}`);
    const at = requireTime('at', attempt.at);
    return this.db.tx('record callback attempt', async (c) => {
      const r = await c.query<CallbackRow>(
        `UPDATE callbacks SET status = $3::text, outcome = $4::text, last_attempt_at = $5::timestamptz, agent_id = COALESCE($6::text, agent_id),
                attempts = attempts + CASE WHEN $4::text = 'agent-missed' THEN 0 ELSE 1 END,
                next_attempt_at = COALESCE($7::timestamptz, next_attempt_at),
                completed_at = CASE WHEN $3::text IN ('done', 'failed') THEN $5::timestamptz ELSE NULL END,
                claimed_by = NULL, claimed_at = NULL
          WHERE id = $1 AND status = 'in-progress' AND claimed_by = $2 RETURNING *`,
        [id, instanceId, next.status, attempt.outcome, at, attempt.agentId, next.status === 'pending' ? new Date(next.nextAttemptAt) : null],
      );
      const row = r.rows[0];
      if (!row) return false;
      const ins = await c.query<{ id: string }>(
        'INSERT INTO callback_attempts (callback_id, at, agent_id, call_id, outcome) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [id, at, attempt.agentId, attempt.callId, attempt.outcome],
      );
      if (this.hooks) {
        const cb = fromRow(row);
        const events: WorkflowWebhookEvent[] = [
          { id: `callback.attempted:${id}:${ins.rows[0]!.id}`, type: 'callback.attempted', data: { ...publicView(cb), agentId: attempt.agentId, callId: attempt.callId, outcome: attempt.outcome, at: at.toISOString() } },
        ];
        if (next.status !== 'pending') events.push({ id: `callback.completed:${id}`, type: 'callback.completed', data: { ...publicView(cb), outcome: attempt.outcome } });
        await this.hooks.emit(c, events, at.getTime());
      }
      return true;
    });
  }

  /**
   * Flag open tasks past their deadline, each once (overdue_at set in the same statement that finds it; SKIP LOCKED
   * so two sweeping instances split the work), with one callback.overdue webhook each in the same transaction.
   */
  async flagOverdue(nowMs: number, limit = 500): Promise<Callback[]> {
    const now = new Date(nowMs);
    return this.db.tx('flag overdue callbacks', async (c) => {
      const r = await c.query<CallbackRow>(
        `UPDATE callbacks SET overdue_at = $1
          WHERE id IN (SELECT id FROM callbacks WHERE overdue_at IS NULL AND status IN ('pending', 'in-progress') AND due_at < $1
                        ORDER BY due_at, id FOR UPDATE SKIP LOCKED LIMIT $2)
          RETURNING *`,
        [now, limit],
      );
      const flagged = r.rows.map(fromRow);
      if (this.hooks && flagged.length > 0) {
        await this.hooks.emit(c, flagged.map((cb) => ({ id: `callback.overdue:${cb.id}`, type: 'callback.overdue' as const, data: { ...publicView(cb), overdueAt: now.toISOString() } })), nowMs);
      }
      return flagged;
    });
  }

  /** Open tasks past their deadline now (the gauge hotline_callbacks_overdue). */
  async countOverdue(nowMs: number): Promise<number> {
    const r = await this.db.query<{ n: string }>(
      'count overdue callbacks',
      `SELECT count(*) AS n FROM callbacks WHERE status IN ('pending', 'in-progress') AND due_at < $1`,
      [new Date(nowMs)],
    );
    return Number(r.rows[0]!.n);
  }
}
