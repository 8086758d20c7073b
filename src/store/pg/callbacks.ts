import { InvalidInputError } from '../../core/errors.js';
import type { Db } from './db.js';
import { requireInt, requireText, requireTime } from './validate.js';

export const CALLBACK_STATUSES = ['pending', 'in-progress', 'done', 'failed', 'cancelled'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

export interface NewCallback {
  /** The call that asked for it: one callback per call, so a repeated request is a no-op. */
  callId?: string;
  requestedNumber: string;
  queueId?: string;
  /** The agent who served this caller before (first-contact responsibility, "be called back by A"). */
  preferredAgentId?: string;
  note?: string;
  requestedAt: number;
  dueAt: number;
}

export interface Callback {
  id: string;
  callId: string | null;
  requestedNumber: string;
  queueId: string | null;
  preferredAgentId: string | null;
  status: CallbackStatus;
  attempts: number;
  requestedAt: number;
  dueAt: number;
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
}

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
});

const NUMBER_RE = /^\+?[0-9]{3,20}$/;

export class CallbackRepository {
  constructor(private readonly db: Db) {}

  /** Returns the callback's id (the existing one when this call id already asked). */
  async create(cb: NewCallback): Promise<string> {
    if (typeof cb.requestedNumber !== 'string' || !NUMBER_RE.test(cb.requestedNumber)) {
      throw new InvalidInputError('requestedNumber', 'must be a phone number of 3 to 20 digits, optionally with a leading +');
    }
    const requestedAt = requireTime('requestedAt', cb.requestedAt);
    const dueAt = requireTime('dueAt', cb.dueAt);
    const params = [cb.callId ?? null, cb.requestedNumber, cb.queueId ?? null, cb.preferredAgentId ?? null, cb.note ?? null, requestedAt, dueAt];
    const r = await this.db.query<{ id: string }>(
      'create callback',
      `WITH ins AS (
         INSERT INTO callbacks (call_id, requested_number, queue_id, preferred_agent_id, note, requested_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_id) DO NOTHING RETURNING id)
       SELECT id FROM ins UNION ALL SELECT id FROM callbacks WHERE call_id = $1 LIMIT 1`,
      params,
    );
    return String(r.rows[0]!.id);
  }

  /**
   * Claim up to `limit` callbacks due by `nowMs` for `instanceId`. SKIP LOCKED lets several instances claim at the
   * same time without ever handing one callback to two of them.
   */
  async claimDue(nowMs: number, instanceId: string, limit: number): Promise<Callback[]> {
    requireInt('limit', limit, 1, 1000);
    const r = await this.db.query<CallbackRow>(
      'claim due callbacks',
      `UPDATE callbacks SET status = 'in-progress', claimed_by = $2, claimed_at = $1, attempts = attempts + 1
        WHERE id IN (SELECT id FROM callbacks WHERE status = 'pending' AND due_at <= $1
                      ORDER BY due_at, id FOR UPDATE SKIP LOCKED LIMIT $3)
        RETURNING *`,
      [new Date(nowMs), requireText('instanceId', instanceId), limit],
    );
    return r.rows.map(fromRow).sort((a, b) => a.dueAt - b.dueAt);
  }

  /** Finish a claimed callback; `pending` with a new due time puts it back for another attempt. */
  async finish(id: string, status: Exclude<CallbackStatus, 'in-progress'>, atMs: number, opts: { agentId?: string; retryAtMs?: number } = {}): Promise<void> {
    if (!CALLBACK_STATUSES.includes(status) || status === ('in-progress' as CallbackStatus)) {
      throw new InvalidInputError('status', 'must be pending, done, failed or cancelled');
    }
    const at = requireTime('at', atMs);
    const r = await this.db.query(
      'finish callback',
      `UPDATE callbacks SET status = $2::text, agent_id = COALESCE($4, agent_id),
              completed_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $3::timestamptz END,
              due_at = COALESCE($5::timestamptz, due_at), claimed_by = NULL, claimed_at = NULL
        WHERE id = $1`,
      [id, status, at, opts.agentId ?? null, opts.retryAtMs === undefined ? null : new Date(opts.retryAtMs)],
    );
    if (r.rowCount === 0) throw new InvalidInputError('id', `no callback ${id}`);
  }
}
