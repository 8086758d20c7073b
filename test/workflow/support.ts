import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Calendar } from '../../src/ivr/calendar.js';
import type { Db } from '../../src/store/pg/db.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { DEFAULT_CATEGORIES, parseCategories } from '../../src/workflow/work-order-rules.js';
import { WorkOrderService, type LiveCallLookup } from '../../src/workflow/work-orders.js';

/** A service as main.ts builds it, on the test's database and clock (a "restart" is simply another one). */
export function workOrderService(db: Db, clock: VirtualClock, calendar?: Calendar, liveCalls: LiveCallLookup = { call: () => null }): WorkOrderService {
  return new WorkOrderService({
    db,
    webhooks: new WebhookRepository(db),
    clock,
    logger: silentLogger,
    categories: parseCategories(DEFAULT_CATEGORIES),
    acceptWithinMs: 30 * 60_000,
    calendar: () => calendar,
    liveCalls,
  });
}

/** An answered call's record, as the session writes it. */
export async function answeredCall(db: Db, callId: string, agentId: string, atMs: number): Promise<void> {
  await db.query(
    'test call record',
    `INSERT INTO call_records (call_id, caller_number, queue_id, agent_id, first_agent_id, arrival_at, enqueue_at, answer_at, hangup_at, disposition)
     VALUES ($1, '13800000000', 'general', $2, $2, $3, $3, $3, $3, 'answered')`,
    [callId, agentId, new Date(atMs)],
  );
}

/** Webhook deliveries queued, by event type (one subscription to every event is made by the test). */
export async function deliveries(db: Db, type: string): Promise<{ event_id: string; payload: { data: Record<string, unknown> } }[]> {
  const r = await db.query<{ event_id: string; payload: { data: Record<string, unknown> } }>('test deliveries', 'SELECT event_id, payload FROM webhook_deliveries WHERE event_type = $1 ORDER BY id', [type]);
  return r.rows;
}
