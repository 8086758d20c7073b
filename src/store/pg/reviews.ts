import { InvalidInputError } from '../../core/errors.js';
import { ReviewError } from '../../reviews/errors.js';
import { isDissatisfied, ratedAt, reviewDueAt, type ReviewPolicy } from '../../reviews/rules.js';
import type { WorkflowWebhookEvent } from '../../webhooks/events.js';
import type { CallRecord, CallRecordInsertHook } from './call-records.js';
import type { Db, Queryable } from './db.js';
import { requireInt } from './validate.js';

/** open: waiting for the lead, within its deadline; overdue: still open past it (flagged by the sweep); closed. */
export const REVIEW_STATES = ['open', 'overdue', 'closed'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface ReviewTask {
  id: string;
  state: ReviewState;
  callId: string;
  /** The agent who served the call, its team at the time, and who must review (null: the supervisors' pool). */
  agentId: string | null;
  teamId: string | null;
  assigneeAgentId: string | null;
  rating: number;
  callerNumber: string | null;
  queueId: string | null;
  flowId: string | null;
  /** The call's recording (RECORDINGS_DIR path), when the queue records. */
  recordingPath: string | null;
  ratedAt: number;
  dueAt: number;
  overdueAt: number | null;
  listenedAt: number | null;
  agentAtFault: boolean | null;
  note: string | null;
  closedAt: number | null;
  closedBy: string | null;
  apologyCallbackId: string | null;
  createdAt: number;
}

/** Where review events go: WebhookRepository.emit, in the transaction that changes the task. */
export interface ReviewEventSink {
  emit(c: Queryable, events: readonly WorkflowWebhookEvent[], nowMs: number): Promise<void>;
}

interface ReviewRow {
  id: string;
  call_id: string;
  agent_id: string | null;
  team_id: string | null;
  assignee_agent_id: string | null;
  rating: number;
  caller_number: string | null;
  queue_id: string | null;
  flow_id: string | null;
  recording_path: string | null;
  rated_at: Date;
  due_at: Date;
  status: 'open' | 'closed';
  overdue_at: Date | null;
  listened_at: Date | null;
  agent_at_fault: boolean | null;
  note: string | null;
  closed_at: Date | null;
  closed_by: string | null;
  apology_callback_id: string | null;
  created_at: Date;
}

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

export const toReview = (r: ReviewRow): ReviewTask => ({
  id: String(r.id),
  state: r.status === 'closed' ? 'closed' : r.overdue_at !== null ? 'overdue' : 'open',
  callId: r.call_id,
  agentId: r.agent_id,
  teamId: r.team_id,
  assigneeAgentId: r.assignee_agent_id,
  rating: r.rating,
  callerNumber: r.caller_number,
  queueId: r.queue_id,
  flowId: r.flow_id,
  recordingPath: r.recording_path,
  ratedAt: r.rated_at.getTime(),
  dueAt: r.due_at.getTime(),
  overdueAt: ms(r.overdue_at),
  listenedAt: ms(r.listened_at),
  agentAtFault: r.agent_at_fault,
  note: r.note,
  closedAt: ms(r.closed_at),
  closedBy: r.closed_by,
  apologyCallbackId: r.apology_callback_id === null ? null : String(r.apology_callback_id),
  createdAt: r.created_at.getTime(),
});

/** What a webhook receiver gets: the task with ISO times. */
const eventData = (t: ReviewTask): Record<string, unknown> => {
  const iso = (v: number | null) => (v === null ? null : new Date(v).toISOString());
  return { ...t, ratedAt: iso(t.ratedAt), dueAt: iso(t.dueAt), overdueAt: iso(t.overdueAt), listenedAt: iso(t.listenedAt), closedAt: iso(t.closedAt), createdAt: iso(t.createdAt) };
};

const STATE_SQL: Record<ReviewState, string> = {
  open: "status = 'open' AND overdue_at IS NULL",
  overdue: "status = 'open' AND overdue_at IS NOT NULL",
  closed: "status = 'closed'",
};

export interface ReviewOutcome {
  listenedAt?: number | undefined;
  agentAtFault: boolean;
  note: string;
  /** Who recorded it (the token's name, or `agent:<id>`). */
  closedBy: string;
}

/**
 * Review tasks in PostgreSQL (standard §6). Created with the call record (recordHook), flagged overdue by a sweep any
 * live instance runs (a conditional UPDATE: once, whichever instance gets there, and not again after a restart),
 * closed once with the lead's outcome. Times come from the caller's clock.
 */
export class ReviewRepository {
  constructor(
    private readonly db: Db,
    private readonly events: ReviewEventSink,
  ) {}

  /**
   * The CallRecordRepository hook: a dissatisfied rating becomes a task for the agent's team lead (the supervisors'
   * pool when the agent has no team or the team no lead), due `policy.dueMs` after the rating. Runs in the record's
   * INSERT transaction, only when that INSERT inserted; ON CONFLICT (call_id) is the second guard.
   */
  recordHook(policy: () => ReviewPolicy, now: () => number): CallRecordInsertHook {
    return async (c, record) => {
      await this.createFor(c, record, policy(), now());
    };
  }

  /** Create the task for `record` when its rating is dissatisfied; returns it (undefined: no task, or one existed). */
  async createFor(c: Queryable, record: CallRecord, policy: ReviewPolicy, nowMs: number): Promise<ReviewTask | undefined> {
    if (!isDissatisfied(record.surveyRating, policy)) return undefined;
    const rated = ratedAt(record, nowMs);
    const agentId = record.agentId ?? record.firstAgentId ?? null;
    const r = await c.query<ReviewRow>(
      `INSERT INTO review_tasks (call_id, agent_id, team_id, assignee_agent_id, rating, caller_number, queue_id, flow_id,
                                 recording_path, rated_at, due_at, created_at)
       SELECT $1, $2, t.id, t.lead_agent_id, $3, $4, $5, $6, $7, $8, $9, $10
         FROM (SELECT 1) one
         LEFT JOIN agents a ON a.id = $2
         LEFT JOIN teams t ON t.id = a.team_id
       ON CONFLICT (call_id) DO NOTHING
       RETURNING *`,
      [record.callId, agentId, record.surveyRating, record.callerNumber ?? null, record.queueId ?? null, record.flowId ?? null,
        record.recordingPath ?? null, new Date(rated), new Date(reviewDueAt(rated, policy)), new Date(nowMs)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const task = toReview(row);
    await this.events.emit(c, [{ id: `review.created:${task.id}`, type: 'review.created', data: eventData(task) }], nowMs);
    return task;
  }

  async get(id: string): Promise<ReviewTask | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const r = await this.db.query<ReviewRow>('get review', 'SELECT * FROM review_tasks WHERE id = $1', [id]);
    return r.rows[0] ? toReview(r.rows[0]) : undefined;
  }

  async getByCall(callId: string): Promise<ReviewTask | undefined> {
    const r = await this.db.query<ReviewRow>('get review by call', 'SELECT * FROM review_tasks WHERE call_id = $1', [callId]);
    return r.rows[0] ? toReview(r.rows[0]) : undefined;
  }

  /**
   * Tasks by state and assignee, soonest deadline first. `assignee`: an agent id, or null for the supervisors' pool
   * (tasks nobody leads); undefined: everyone's.
   */
  async list(f: { state?: ReviewState | undefined; assignee?: string | null | undefined; limit?: number; offset?: number } = {}): Promise<ReviewTask[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.state !== undefined) {
      if (!REVIEW_STATES.includes(f.state)) throw new InvalidInputError('status', `must be one of ${REVIEW_STATES.join(', ')}`);
      where.push(STATE_SQL[f.state]);
    }
    if (f.assignee === null) where.push('assignee_agent_id IS NULL');
    else if (f.assignee !== undefined) {
      params.push(f.assignee);
      where.push(`assignee_agent_id = $${params.length}`);
    }
    params.push(requireInt('limit', f.limit ?? 100, 1, 1000), requireInt('offset', f.offset ?? 0, 0));
    const r = await this.db.query<ReviewRow>(
      'list reviews',
      `SELECT * FROM review_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY due_at, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return r.rows.map(toReview);
  }

  /** Open tasks past their deadline and flagged (the gauge, the wallboard alert). */
  async overdueCount(): Promise<number> {
    const r = await this.db.query<{ n: string }>('count overdue reviews', `SELECT count(*) AS n FROM review_tasks WHERE ${STATE_SQL.overdue}`);
    return Number(r.rows[0]?.n ?? 0);
  }

  /**
   * Flag open tasks whose deadline has passed by `nowMs`, each exactly once: the UPDATE re-checks `overdue_at IS NULL`
   * on the row it locked, so two instances sweeping together, or one sweeping again after a restart, flag nothing
   * twice; the `review.overdue` webhook is queued in the same transaction (and its stable id dedupes it once more).
   */
  async sweepOverdue(nowMs: number, limit = 500): Promise<ReviewTask[]> {
    const now = new Date(nowMs);
    return this.db.tx('sweep overdue reviews', async (c) => {
      const r = await c.query<ReviewRow>(
        `UPDATE review_tasks SET overdue_at = $1
          WHERE id IN (SELECT id FROM review_tasks
                        WHERE status = 'open' AND overdue_at IS NULL AND due_at < $1
                        ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
            AND status = 'open' AND overdue_at IS NULL
          RETURNING *`,
        [now, requireInt('limit', limit, 1, 10_000)],
      );
      const tasks = r.rows.map(toReview).sort((a, b) => a.dueAt - b.dueAt);
      await this.events.emit(c, tasks.map((t) => ({ id: `review.overdue:${t.id}`, type: 'review.overdue' as const, data: eventData(t) })), nowMs);
      return tasks;
    });
  }

  /**
   * Record the lead's outcome and close the task, once. The task's row is locked for the whole step, so two closes
   * at the same time are one close and one REVIEW_ALREADY_CLOSED. `apology` runs (agent at fault) while the lock is
   * held and must be idempotent by task (the service creates the callback under a call id derived from the task), so
   * a close that fails after it and is retried finds the same callback instead of making a second.
   */
  async close(id: string, outcome: ReviewOutcome, nowMs: number, apology: (task: ReviewTask) => Promise<string | null>): Promise<ReviewTask> {
    const note = outcome.note;
    if (typeof note !== 'string' || note.length > 2000) throw new InvalidInputError('note', 'must be text of at most 2000 characters');
    if (typeof outcome.agentAtFault !== 'boolean') throw new InvalidInputError('agentAtFault', 'must be true or false');
    return this.db.tx('close review', async (c) => {
      if (!/^\d{1,18}$/.test(id)) throw unknownReview(id);
      const cur = await c.query<ReviewRow>('SELECT * FROM review_tasks WHERE id = $1 FOR UPDATE', [id]);
      const row = cur.rows[0];
      if (!row) throw unknownReview(id);
      if (row.status === 'closed') {
        throw new ReviewError('REVIEW_ALREADY_CLOSED', `review ${id} was closed at ${row.closed_at!.toISOString()} by ${row.closed_by ?? '?'}`, { reviewId: id });
      }
      const callbackId = outcome.agentAtFault ? await apology(toReview(row)) : null;
      const r = await c.query<ReviewRow>(
        `UPDATE review_tasks SET status = 'closed', closed_at = $2, closed_by = $3, listened_at = $4, agent_at_fault = $5,
                note = $6, apology_callback_id = $7
          WHERE id = $1 RETURNING *`,
        [id, new Date(nowMs), outcome.closedBy, outcome.listenedAt === undefined ? null : new Date(outcome.listenedAt), outcome.agentAtFault, note, callbackId],
      );
      const task = toReview(r.rows[0]!);
      await this.events.emit(c, [{ id: `review.closed:${task.id}`, type: 'review.closed', data: eventData(task) }], nowMs);
      return task;
    });
  }
}

const unknownReview = (id: string) => new ReviewError('REVIEW_UNKNOWN', `no review task ${JSON.stringify(id)}`, { reviewId: id });
