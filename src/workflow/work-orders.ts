import type { Clock } from '../core/clock.js';
import { HotlineError, InvalidInputError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Calendar } from '../ivr/calendar.js';
import { addWorkingDays } from '../ivr/working-days.js';
import type { Db, Queryable } from '../store/pg/db.js';
import type { WorkflowWebhookEvent } from '../webhooks/events.js';
import {
  assertAllowed,
  checkComplete,
  COMPLAINT,
  WorkOrderError,
  type Priority,
  type WorkOrderAction,
  type WorkOrderCategory,
  type WorkOrderStatus,
} from './work-order-rules.js';

/** Who asks: the API's principal, or the CLI (an admin). */
export interface Actor {
  role: 'admin' | 'supervisor' | 'agent' | 'provider';
  name: string;
  agentId: string | null;
  providerId?: string | null | undefined;
}

export interface NewWorkOrder {
  callId: string;
  category: string;
  priority?: Priority | undefined;
  callerName?: string | undefined;
  address?: string | undefined;
  contactNumber?: string | undefined;
  need?: string | undefined;
}

export interface WorkOrder {
  id: string;
  callId: string;
  category: string;
  priority: Priority;
  callerName: string | null;
  address: string | null;
  contactNumber: string | null;
  need: string;
  /** First-contact responsibility (§6): the agent who took the call owns the order until it is resolved. */
  ownerAgentId: string | null;
  createdBy: string;
  createdAt: number;
  status: WorkOrderStatus;
  providerId: string | null;
  dispatchedAt: number | null;
  dispatchedBy: string | null;
  /** When a dispatched order not yet accepted is chased (督办). */
  escalateAt: number | null;
  escalated: boolean;
  escalatedAt: number | null;
  acceptedAt: number | null;
  acceptedBy: string | null;
  /** Complaints only: the 1-working-day answer deadline on the hotline calendar. */
  answerDueAt: number | null;
  overdue: boolean;
  overdueAt: number | null;
  answeredAt: number | null;
  answeredBy: string | null;
  answer: string | null;
  closedAt: number | null;
  closedBy: string | null;
  callerSatisfied: boolean | null;
  resolution: string | null;
}

export interface WorkOrderFilter {
  status?: WorkOrderStatus | undefined;
  category?: string | undefined;
  overdue?: boolean | undefined;
  escalated?: boolean | undefined;
  agentId?: string | undefined;
  callId?: string | undefined;
  providerId?: string | undefined;
}

export interface ComplaintRateDay {
  dayStart: number;
  calls: number;
  complaints: number;
  /** complaints / calls; null on a day without calls. */
  rate: number | null;
}

export interface ComplaintRate {
  target: number;
  days: ComplaintRateDay[];
  total: { calls: number; complaints: number; rate: number | null; met: boolean | null };
}

/** The standard's complaint-rate target (§8): complaints / calls ≤ 0.1%. */
export const COMPLAINT_RATE_TARGET = 0.001;

/** What the service asks about a call still in progress (its record is written only when it ends). */
export interface LiveCallLookup {
  call(callId: string): { agentId?: string | undefined } | null | undefined | Promise<{ agentId?: string | undefined } | null | undefined>;
}

export interface WorkOrderServiceOptions {
  db: Db;
  /** WebhookRepository.emit: queued in the transaction that changes the row. */
  webhooks: { emit(c: Queryable, events: readonly WorkflowWebhookEvent[], nowMs: number): Promise<void> };
  clock: Clock;
  logger: Logger;
  categories: readonly WorkOrderCategory[];
  /** A dispatched order not accepted within this is escalated (standard §3: 30 minutes). */
  acceptWithinMs: number;
  /** The hotline calendar for complaint deadlines (the flow registry's, read per complaint so edits apply). */
  calendar: () => Calendar | undefined;
  liveCalls: LiveCallLookup;
}

interface Row {
  id: string;
  call_id: string;
  category: string;
  priority: Priority;
  caller_name: string | null;
  address: string | null;
  contact_number: string | null;
  need: string;
  owner_agent_id: string | null;
  created_by: string;
  created_at: Date;
  status: WorkOrderStatus;
  provider_id: string | null;
  dispatches: number;
  dispatched_at: Date | null;
  dispatched_by: string | null;
  escalate_at: Date | null;
  escalated_at: Date | null;
  accepted_at: Date | null;
  accepted_by: string | null;
  answer_due_at: Date | null;
  overdue_at: Date | null;
  answered_at: Date | null;
  answered_by: string | null;
  answer: string | null;
  closed_at: Date | null;
  closed_by: string | null;
  caller_satisfied: boolean | null;
  resolution: string | null;
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

const fromRow = (r: Row): WorkOrder => ({
  id: String(r.id),
  callId: r.call_id,
  category: r.category,
  priority: r.priority,
  callerName: r.caller_name,
  address: r.address,
  contactNumber: r.contact_number,
  need: r.need,
  ownerAgentId: r.owner_agent_id,
  createdBy: r.created_by,
  createdAt: r.created_at.getTime(),
  status: r.status,
  providerId: r.provider_id,
  dispatchedAt: ms(r.dispatched_at),
  dispatchedBy: r.dispatched_by,
  escalateAt: ms(r.escalate_at),
  escalated: r.escalated_at !== null,
  escalatedAt: ms(r.escalated_at),
  acceptedAt: ms(r.accepted_at),
  acceptedBy: r.accepted_by,
  answerDueAt: ms(r.answer_due_at),
  overdue: r.overdue_at !== null,
  overdueAt: ms(r.overdue_at),
  answeredAt: ms(r.answered_at),
  answeredBy: r.answered_by,
  answer: r.answer,
  closedAt: ms(r.closed_at),
  closedBy: r.closed_by,
  callerSatisfied: r.caller_satisfied,
  resolution: r.resolution,
});

/** What a webhook receiver gets: the order with ISO times would double the schema; epoch ms as the API has them. */
const eventData = (o: WorkOrder): Record<string, unknown> => ({ ...o });

const NUMBER_RE = /^\+?[0-9]{3,20}$/;
const who = (a: Actor): string => `${a.role}:${a.agentId ?? a.providerId ?? a.name}`;
const isStaff = (a: Actor): boolean => a.role === 'admin' || a.role === 'supervisor';

/**
 * Work orders and complaints: one service for the API and the CLI. Every change is one transaction that also
 * queues its webhook; deadlines (escalate_at, answer_due_at) are columns that `sweep()` acts on from any instance.
 */
export class WorkOrderService {
  constructor(private readonly o: WorkOrderServiceOptions) {}

  categories(): readonly WorkOrderCategory[] {
    return this.o.categories;
  }

  async create(actor: Actor, input: NewWorkOrder): Promise<WorkOrder> {
    if (actor.role === 'provider') throw new WorkOrderError('FORBIDDEN', 'a provider token does not create work orders');
    const trimmed = {
      callerName: input.callerName?.trim(),
      address: input.address?.trim(),
      contactNumber: input.contactNumber?.trim(),
      need: input.need?.trim(),
    };
    checkComplete(this.o.categories, input.category, trimmed);
    if (trimmed.contactNumber && !NUMBER_RE.test(trimmed.contactNumber)) {
      throw new InvalidInputError('body.contactNumber', 'a phone number of 3 to 20 digits, optionally with a leading +');
    }
    const owner = await this.callOwner(actor, input.callId);
    const now = this.o.clock.now();
    const due = input.category === COMPLAINT ? this.answerDue(now) : null;
    return this.o.db.tx('create work order', async (c) => {
      const r = await c.query<Row>(
        `INSERT INTO work_orders (call_id, category, priority, caller_name, address, contact_number, need, owner_agent_id, created_by, created_at, answer_due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
        [input.callId, input.category, input.priority ?? 'normal', trimmed.callerName || null, trimmed.address || null, trimmed.contactNumber || null, trimmed.need, owner, who(actor), new Date(now), due === null ? null : new Date(due)],
      );
      const wo = fromRow(r.rows[0]!);
      await this.o.webhooks.emit(c, [{ id: `work_order.created:${wo.id}`, type: 'work_order.created', data: eventData(wo) }], now);
      this.o.logger.info({ event: 'work_order.created', workOrderId: wo.id, callId: wo.callId, category: wo.category, owner }, 'work order created');
      return wo;
    });
  }

  async get(actor: Actor, id: string): Promise<WorkOrder> {
    const r = await this.o.db.query<Row>('get work order', 'SELECT * FROM work_orders WHERE id = $1', [numericId(id)]);
    const row = r.rows[0];
    if (!row || !this.visible(actor, row)) throw unknown(id);
    return fromRow(row);
  }

  /** Newest first. An agent sees the orders it owns; a provider those dispatched to it. */
  async list(actor: Actor, f: WorkOrderFilter, page: { limit: number; offset: number } = { limit: 100, offset: 0 }): Promise<WorkOrder[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (actor.role === 'agent') add('owner_agent_id = ?', actor.agentId);
    if (actor.role === 'provider') add('provider_id = ?', actor.providerId);
    if (f.status) add('status = ?', f.status);
    if (f.category) add('category = ?', f.category);
    if (f.agentId) add('owner_agent_id = ?', f.agentId);
    if (f.callId) add('call_id = ?', f.callId);
    if (f.providerId) add('provider_id = ?', f.providerId);
    if (f.overdue !== undefined) where.push(f.overdue ? 'overdue_at IS NOT NULL' : 'overdue_at IS NULL');
    if (f.escalated !== undefined) where.push(f.escalated ? 'escalated_at IS NOT NULL' : 'escalated_at IS NULL');
    params.push(page.limit, page.offset);
    const r = await this.o.db.query<Row>(
      'list work orders',
      `SELECT * FROM work_orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return r.rows.map(fromRow);
  }

  /** Assign to a provider; the acceptance clock starts now. Again while not accepted: a new provider, a new clock. */
  async dispatch(actor: Actor, id: string, providerId: string): Promise<WorkOrder> {
    return this.change(actor, id, 'dispatch', async (c, row, now) => {
      const p = await c.query<{ active: boolean }>('SELECT active FROM providers WHERE id = $1', [providerId]);
      if (!p.rows[0]?.active) throw new InvalidInputError('body.provider', `no active provider ${JSON.stringify(providerId)}`);
      const r = await c.query<Row>(
        `UPDATE work_orders SET status = 'dispatched', provider_id = $2, dispatches = dispatches + 1, dispatched_at = $3, dispatched_by = $4,
                escalate_at = $5, escalated_at = NULL
          WHERE id = $1 RETURNING *`,
        [row.id, providerId, new Date(now), who(actor), new Date(now + this.o.acceptWithinMs)],
      );
      return { row: r.rows[0]!, events: [] };
    });
  }

  async accept(actor: Actor, id: string): Promise<WorkOrder> {
    return this.change(actor, id, 'accept', async (c, row, now) => {
      const r = await c.query<Row>(`UPDATE work_orders SET status = 'accepted', accepted_at = $2, accepted_by = $3 WHERE id = $1 RETURNING *`, [row.id, new Date(now), who(actor)]);
      const wo = fromRow(r.rows[0]!);
      return { row: r.rows[0]!, events: [{ id: `work_order.accepted:${wo.id}:${row.dispatches}`, type: 'work_order.accepted', data: eventData(wo) }] };
    });
  }

  /** The caller was given an answer (a complaint's call-back by the team lead, §6). Again: the newest answer is kept, the first time stays. */
  async answer(actor: Actor, id: string, text: string): Promise<WorkOrder> {
    if (text.trim() === '') throw new InvalidInputError('body.answer', 'must not be blank');
    return this.change(actor, id, 'answer', async (c, row, now) => {
      const r = await c.query<Row>(
        `UPDATE work_orders SET status = 'answered', answered_at = COALESCE(answered_at, $2), answered_by = $3, answer = $4 WHERE id = $1 RETURNING *`,
        [row.id, new Date(now), who(actor), text.trim()],
      );
      return { row: r.rows[0]!, events: [] };
    });
  }

  async close(actor: Actor, id: string, opts: { callerSatisfied?: boolean | undefined; resolution?: string | undefined }): Promise<WorkOrder> {
    return this.change(
      actor,
      id,
      'close',
      async (c, row, now) => {
        const r = await c.query<Row>(
          `UPDATE work_orders SET status = 'closed', closed_at = $2, closed_by = $3, caller_satisfied = $4, resolution = $5 WHERE id = $1 RETURNING *`,
          [row.id, new Date(now), who(actor), opts.callerSatisfied ?? null, opts.resolution?.trim() || null],
        );
        const wo = fromRow(r.rows[0]!);
        return { row: r.rows[0]!, events: [{ id: `work_order.closed:${wo.id}`, type: 'work_order.closed', data: eventData(wo) }] };
      },
      opts,
    );
  }

  /**
   * The deadlines, from any instance: dispatched orders not accepted by escalate_at are escalated, complaints not
   * answered by answer_due_at are flagged overdue. Each is one conditional UPDATE whose RETURNING rows get their
   * webhook in the same transaction: a second sweeper (or this one after a restart) finds nothing left to flag.
   */
  async sweep(limit = 500): Promise<{ escalated: WorkOrder[]; overdue: WorkOrder[] }> {
    const now = this.o.clock.now();
    const escalated = await this.o.db.tx('escalate work orders', async (c) => {
      const r = await c.query<Row>(
        `UPDATE work_orders SET escalated_at = $1
          WHERE id IN (SELECT id FROM work_orders
                        WHERE escalated_at IS NULL AND accepted_at IS NULL AND closed_at IS NULL AND escalate_at <= $1
                        ORDER BY escalate_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            AND escalated_at IS NULL
          RETURNING *`,
        [new Date(now), limit],
      );
      const rows = r.rows.map((x) => ({ wo: fromRow(x), n: x.dispatches }));
      await this.o.webhooks.emit(c, rows.map(({ wo, n }) => ({ id: `work_order.escalated:${wo.id}:${n}`, type: 'work_order.escalated' as const, data: eventData(wo) })), now);
      return rows.map((x) => x.wo);
    });
    for (const wo of escalated) {
      this.o.logger.warn({ event: 'work_order.escalated', workOrderId: wo.id, providerId: wo.providerId, dispatchedAt: wo.dispatchedAt, ownerAgentId: wo.ownerAgentId }, 'work order not accepted in time: escalated (督办)');
    }
    const overdue = await this.o.db.tx('flag overdue complaints', async (c) => {
      const r = await c.query<Row>(
        `UPDATE work_orders SET overdue_at = $1
          WHERE id IN (SELECT id FROM work_orders
                        WHERE overdue_at IS NULL AND answered_at IS NULL AND closed_at IS NULL AND answer_due_at <= $1
                        ORDER BY answer_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            AND overdue_at IS NULL
          RETURNING *`,
        [new Date(now), limit],
      );
      const rows = r.rows.map(fromRow);
      await this.o.webhooks.emit(c, rows.map((wo) => ({ id: `complaint.overdue:${wo.id}`, type: 'complaint.overdue' as const, data: eventData(wo) })), now);
      return rows;
    });
    for (const wo of overdue) {
      this.o.logger.warn({ event: 'complaint.overdue', workOrderId: wo.id, answerDueAt: wo.answerDueAt, ownerAgentId: wo.ownerAgentId }, 'complaint not answered within 1 working day');
    }
    return { escalated, overdue };
  }

  /** For the gauges: escalated orders still not accepted, overdue complaints still unanswered, open orders. */
  async gauges(): Promise<{ escalated: number; overdueComplaints: number; open: number }> {
    const r = await this.o.db.query<{ escalated: number; overdue: number; open: number }>(
      'work order gauges',
      `SELECT count(*) FILTER (WHERE escalated_at IS NOT NULL AND accepted_at IS NULL)::int AS escalated,
              count(*) FILTER (WHERE overdue_at IS NOT NULL AND answered_at IS NULL)::int AS overdue,
              count(*)::int AS open
         FROM work_orders WHERE closed_at IS NULL`,
    );
    const x = r.rows[0]!;
    return { escalated: x.escalated, overdueComplaints: x.overdue, open: x.open };
  }

  /**
   * The complaint rate (§8: complaints / calls, target ≤ 0.1%) per day of 24 h starting at `fromMs` (pass a local
   * midnight), over [fromMs, toMs): calls by arrival, complaints by creation.
   */
  async complaintRate(fromMs: number, toMs: number): Promise<ComplaintRate> {
    if (toMs <= fromMs) throw new InvalidInputError('query.to', 'must be after from');
    if (toMs - fromMs > 366 * 86_400_000) throw new InvalidInputError('query.to', 'at most 366 days after from');
    const r = await this.o.db.query<{ d: Date; calls: number; complaints: number }>(
      'complaint rate',
      `WITH days AS (SELECT generate_series($1::timestamptz, $2::timestamptz - interval '1 millisecond', interval '24 hours') AS d)
       SELECT d,
              (SELECT count(*) FROM call_records WHERE arrival_at >= d AND arrival_at < LEAST(d + interval '24 hours', $2))::int AS calls,
              (SELECT count(*) FROM work_orders WHERE category = 'complaint' AND created_at >= d AND created_at < LEAST(d + interval '24 hours', $2))::int AS complaints
         FROM days ORDER BY d`,
      [new Date(fromMs), new Date(toMs)],
    );
    const days = r.rows.map((x) => ({ dayStart: x.d.getTime(), calls: x.calls, complaints: x.complaints, rate: x.calls > 0 ? x.complaints / x.calls : null }));
    const calls = days.reduce((s, d) => s + d.calls, 0);
    const complaints = days.reduce((s, d) => s + d.complaints, 0);
    const rate = calls > 0 ? complaints / calls : null;
    return { target: COMPLAINT_RATE_TARGET, days, total: { calls, complaints, rate, met: rate === null ? null : rate <= COMPLAINT_RATE_TARGET } };
  }

  /** The complaint's answer deadline: 1 working day on the hotline calendar (24 h without one, and said so). */
  private answerDue(now: number): number {
    const cal = this.o.calendar();
    if (cal) {
      try {
        return addWorkingDays(cal, now, 1);
      } catch (err) {
        this.o.logger.warn({ err, calendar: cal.id }, 'complaint deadline: the calendar has no working day; due in 24 h');
        return now + 86_400_000;
      }
    }
    this.o.logger.warn({}, 'complaint deadline: no hotline calendar loaded; due in 24 h');
    return now + 86_400_000;
  }

  /**
   * The call must exist: a call record, or a call live in the ACD (its record is written only at its end). An agent
   * token may file only for calls it handled (the record's agent or first agent) or is handling. Resolves with the
   * owner: the agent filing it, or else the call's first agent (first-contact responsibility).
   */
  private async callOwner(actor: Actor, callId: string): Promise<string | null> {
    const r = await this.o.db.query<{ agent_id: string | null; first_agent_id: string | null }>('find call for work order', 'SELECT agent_id, first_agent_id FROM call_records WHERE call_id = $1', [callId]);
    const rec = r.rows[0];
    const live = rec ? undefined : await this.o.liveCalls.call(callId);
    if (!rec && !live) throw new InvalidInputError('body.callId', `no call ${JSON.stringify(callId)} (neither a call record nor a live call)`);
    const agents = rec ? [rec.first_agent_id, rec.agent_id] : [live?.agentId ?? null];
    if (actor.role === 'agent') {
      if (!agents.includes(actor.agentId)) throw new WorkOrderError('FORBIDDEN', `agent ${actor.agentId ?? '?'} did not handle call ${callId}`);
      return actor.agentId;
    }
    return agents.find((a) => a !== null) ?? null;
  }

  private visible(actor: Actor, row: Row): boolean {
    if (isStaff(actor)) return true;
    if (actor.role === 'agent') return row.owner_agent_id !== null && row.owner_agent_id === actor.agentId;
    return row.provider_id !== null && row.provider_id === actor.providerId;
  }

  /** Who may do what beyond seeing it: staff everything; the owning agent all but accept; the provider only accept. */
  private mayAct(actor: Actor, action: WorkOrderAction): boolean {
    if (isStaff(actor)) return true;
    if (actor.role === 'provider') return action === 'accept';
    return action !== 'accept';
  }

  /** Lock the row, check the rule, apply, queue the webhooks: one transaction. */
  private async change(
    actor: Actor,
    id: string,
    action: WorkOrderAction,
    apply: (c: Queryable, row: Row, now: number) => Promise<{ row: Row; events: WorkflowWebhookEvent[] }>,
    opts: { callerSatisfied?: boolean | undefined } = {},
  ): Promise<WorkOrder> {
    const n = numericId(id);
    const now = this.o.clock.now();
    const out = await this.o.db.tx(`${action} work order`, async (c) => {
      const r = await c.query<Row>('SELECT * FROM work_orders WHERE id = $1 FOR UPDATE', [n]);
      const row = r.rows[0];
      if (!row || !this.visible(actor, row)) throw unknown(id);
      if (!this.mayAct(actor, action)) throw new WorkOrderError('FORBIDDEN', `a ${actor.role} token may not ${action} work order ${id}`);
      assertAllowed({ id: String(row.id), category: row.category, status: row.status, answeredAt: ms(row.answered_at) }, action, opts);
      const done = await apply(c, row, now);
      await this.o.webhooks.emit(c, done.events, now);
      return fromRow(done.row);
    });
    this.o.logger.info({ event: `work_order.${action}`, workOrderId: out.id, by: who(actor), status: out.status }, `work order ${action}`);
    return out;
  }
}

function numericId(id: string): string {
  if (!/^[1-9][0-9]{0,17}$/.test(id)) throw unknown(id);
  return id;
}

function unknown(id: string): HotlineError {
  return new WorkOrderError('WORK_ORDER_UNKNOWN', `no work order ${JSON.stringify(id)}`, { id });
}

/** The calendar `id` from the live flow set (every flow carries the directory's calendars). */
export function calendarFrom(flows: { flows(): readonly { calendars: ReadonlyMap<string, Calendar> }[] }, id: string): Calendar | undefined {
  for (const f of flows.flows()) {
    const c = f.calendars.get(id);
    if (c) return c;
  }
  return undefined;
}
