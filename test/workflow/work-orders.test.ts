import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import type { Calendar } from '../../src/ivr/calendar.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { ProviderRepository } from '../../src/workflow/providers.js';
import type { Actor } from '../../src/workflow/work-orders.js';
import { hotlineFlow, shanghai } from '../ivr/support.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { answeredCall, deliveries, workOrderService } from './support.js';

// Work orders and complaints on the real PostgreSQL and a virtual clock: the deadlines are rows, swept by any
// instance; each fires once (standard §3: a dispatched order not accepted in 30 minutes is chased; §6: a complaint
// is answered within 1 working day).
let t: TestDb;
let calendar: Calendar;
const supervisor: Actor = { role: 'supervisor', name: 'floor', agentId: null };
const agent: Actor = { role: 'agent', name: 'Li Na', agentId: 'a1' };
const MIN = 60_000;
/** Move the virtual clock forward to `at` (timers due on the way fire). */
const goTo = (clock: VirtualClock, at: number): void => clock.advance(at - clock.now());

beforeAll(async () => {
  t = await createTestDb('work_orders');
  calendar = (await hotlineFlow()).calendar!;
  await new ProviderRepository(t.db).create('water', { name: 'City Water', contact: '010-1234' });
  await new ProviderRepository(t.db).create('power', { name: 'Grid', contact: null });
  // One subscription to every event: each webhook the service queues becomes one delivery row.
  await new WebhookRepository(t.db).create({ url: 'http://127.0.0.1:9/hooks', events: [] });
});
afterAll(async () => {
  await t?.drop();
});
beforeEach(async () => {
  await t.db.query('reset', 'TRUNCATE work_orders, webhook_deliveries, call_records');
});

const repair = (callId: string) => ({ callId, category: 'repair', callerName: 'Zhang San', address: '1 Chang An Ave', contactNumber: '13800000001', need: 'no water since the morning' });

describe('escalation (督办) of a work order not accepted within 30 minutes', () => {
  it('not accepted at 30:00 → escalated once, even with the instance restarted at 29:59', async () => {
    const clock = new VirtualClock(Date.parse('2026-12-07T02:00:00Z'));
    await answeredCall(t.db, 'c-restart', 'a1', clock.now() - 5 * MIN);
    const before = workOrderService(t.db, clock);
    const wo = await before.create(agent, repair('c-restart'));
    await before.dispatch(supervisor, wo.id, 'water');

    clock.advance(29 * MIN + 59_000);
    expect(await before.sweep()).toEqual({ escalated: [], overdue: [] });
    // The instance restarts at 29:59: nothing of the deadline lived in it. A fresh service on the same database.
    const after = workOrderService(t.db, clock);
    clock.advance(1_000);
    const swept = await after.sweep();
    expect(swept.escalated.map((x) => [x.id, x.escalated, x.escalatedAt])).toEqual([[wo.id, true, clock.now()]]);
    // Swept again by the new instance, or by an old one still around: nothing more.
    clock.advance(5_000);
    expect((await after.sweep()).escalated).toEqual([]);
    expect((await before.sweep()).escalated).toEqual([]);

    const hooks = await deliveries(t.db, 'work_order.escalated');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.payload.data).toMatchObject({ id: wo.id, providerId: 'water', escalated: true, ownerAgentId: 'a1' });
    const seen = await after.get(supervisor, wo.id);
    expect(seen).toMatchObject({ status: 'dispatched', escalated: true, escalateAt: seen.dispatchedAt! + 30 * MIN });
    expect(await after.gauges()).toMatchObject({ escalated: 1 });

    // Accepted late: the flag stays as history, the gauge counts only those still waiting.
    await after.accept(supervisor, wo.id);
    expect(await after.gauges()).toMatchObject({ escalated: 0 });
    expect(await deliveries(t.db, 'work_order.accepted')).toHaveLength(1);
  });

  it('two instances sweeping at the same moment escalate each order exactly once', async () => {
    const clock = new VirtualClock(Date.parse('2026-12-07T02:00:00Z'));
    const a = workOrderService(t.db, clock);
    const b = workOrderService(t.db, clock);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      await answeredCall(t.db, `c-race-${i}`, 'a1', clock.now());
      const wo = await a.create(supervisor, repair(`c-race-${i}`));
      await b.dispatch(supervisor, wo.id, i % 2 ? 'water' : 'power');
      ids.push(wo.id);
    }
    clock.advance(30 * MIN);
    const runs = await Promise.all([a.sweep(), b.sweep(), a.sweep(), b.sweep()]);
    const escalated = runs.flatMap((r) => r.escalated.map((x) => x.id));
    expect(escalated.sort()).toEqual([...ids].sort());
    expect(await deliveries(t.db, 'work_order.escalated')).toHaveLength(25);
  });

  it('accepted in time: never escalated; a re-dispatch starts a new 30 minutes and can be chased again', async () => {
    const clock = new VirtualClock(Date.parse('2026-12-07T02:00:00Z'));
    const s = workOrderService(t.db, clock);
    await answeredCall(t.db, 'c-ok', 'a1', clock.now());
    await answeredCall(t.db, 'c-again', 'a1', clock.now());
    const ok = await s.create(agent, repair('c-ok'));
    const again = await s.create(agent, repair('c-again'));
    await s.dispatch(agent, ok.id, 'water');
    await s.dispatch(agent, again.id, 'water');
    clock.advance(29 * MIN);
    await s.accept({ role: 'provider', name: 'City Water', agentId: null, providerId: 'water' }, ok.id);
    clock.advance(1 * MIN);
    expect((await s.sweep()).escalated.map((x) => x.id)).toEqual([again.id]);
    // Chased: sent to another provider, whose 30 minutes start now.
    const moved = await s.dispatch(supervisor, again.id, 'power');
    expect(moved).toMatchObject({ providerId: 'power', escalated: false, escalateAt: clock.now() + 30 * MIN });
    clock.advance(30 * MIN - 1);
    expect((await s.sweep()).escalated).toEqual([]);
    clock.advance(1);
    expect((await s.sweep()).escalated.map((x) => x.id)).toEqual([again.id]);
    expect((await deliveries(t.db, 'work_order.escalated')).map((d) => d.event_id)).toEqual([`work_order.escalated:${again.id}:1`, `work_order.escalated:${again.id}:2`]);
    // A provider accepts only orders dispatched to it (another's is unknown to it).
    await expect(s.accept({ role: 'provider', name: 'City Water', agentId: null, providerId: 'water' }, again.id)).rejects.toMatchObject({ code: 'WORK_ORDER_UNKNOWN' });
  });
});

describe('complaints: answered within 1 working day on the hotline calendar, tracked until the caller is satisfied', () => {
  it('a complaint the day before National Day is due at the close of 10-09 (the holiday week skipped); overdue once', async () => {
    const clock = new VirtualClock(shanghai('2026-09-30', '16:50'));
    const s = workOrderService(t.db, clock, calendar);
    await answeredCall(t.db, 'c-complaint', 'a1', clock.now() - MIN);
    const c = await s.create(agent, { callId: 'c-complaint', category: 'complaint', callerName: 'Wang', contactNumber: '+8613900000002', need: 'rude answer on my last call' });
    expect(new Date(c.answerDueAt!).toISOString()).toBe(new Date(shanghai('2026-10-09', '17:30')).toISOString());
    expect(c).toMatchObject({ status: 'open', ownerAgentId: 'a1', overdue: false });

    goTo(clock, shanghai('2026-10-09', '17:29'));
    expect((await s.sweep()).overdue).toEqual([]);
    goTo(clock, shanghai('2026-10-09', '17:30'));
    const restarted = workOrderService(t.db, clock, calendar);
    expect((await Promise.all([s.sweep(), restarted.sweep()])).flatMap((r) => r.overdue.map((x) => x.id))).toEqual([c.id]);
    clock.advance(MIN);
    expect((await s.sweep()).overdue).toEqual([]);
    expect(await deliveries(t.db, 'complaint.overdue')).toHaveLength(1);
    expect((await s.list(supervisor, { overdue: true })).map((x) => x.id)).toEqual([c.id]);
    expect(await s.gauges()).toMatchObject({ overdueComplaints: 1 });

    // Closing needs an answer first, then a satisfied caller.
    await expect(s.close(supervisor, c.id, { callerSatisfied: true })).rejects.toMatchObject({ code: 'WORK_ORDER_BAD_STATE' });
    const answered = await s.answer(supervisor, c.id, 'Team lead called back and apologised');
    expect(answered).toMatchObject({ status: 'answered', answeredBy: 'supervisor:floor' });
    await expect(s.close(supervisor, c.id, {})).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'body.callerSatisfied' });
    await expect(s.close(supervisor, c.id, { callerSatisfied: false })).rejects.toMatchObject({ code: 'COMPLAINT_NOT_SATISFIED' });
    clock.advance(MIN);
    const closed = await s.close(agent, c.id, { callerSatisfied: true, resolution: 'apology accepted' });
    expect(closed).toMatchObject({ status: 'closed', closedBy: 'agent:a1', callerSatisfied: true, closedAt: clock.now() });
    expect(await deliveries(t.db, 'work_order.closed')).toHaveLength(1);
    await expect(s.answer(supervisor, c.id, 'again')).rejects.toMatchObject({ code: 'WORK_ORDER_BAD_STATE' });
  });

  it('answered in time: never overdue', async () => {
    const clock = new VirtualClock(shanghai('2026-10-09', '16:00'));
    const s = workOrderService(t.db, clock, calendar);
    await answeredCall(t.db, 'c-quick', 'a1', clock.now());
    const c = await s.create(supervisor, { callId: 'c-quick', category: 'complaint', callerName: 'Li', contactNumber: '13900000003', need: 'wrong bill' });
    // Friday 10-09 + 1 working day: the make-up Saturday 10-10.
    expect(new Date(c.answerDueAt!).toISOString()).toBe(new Date(shanghai('2026-10-10', '17:30')).toISOString());
    // Filed by a supervisor: the call's first agent owns it (first-contact responsibility).
    expect(c.ownerAgentId).toBe('a1');
    goTo(clock, shanghai('2026-10-10', '10:00'));
    await s.answer(supervisor, c.id, 'refund issued');
    goTo(clock, shanghai('2026-10-12', '10:00'));
    expect((await s.sweep()).overdue).toEqual([]);
  });

  it('the complaint rate per day against the 0.1% target', async () => {
    const day = shanghai('2026-12-07', '00:00');
    const clock = new VirtualClock(day + 10 * 60 * MIN);
    const s = workOrderService(t.db, clock, calendar);
    await t.db.query(
      'a thousand calls',
      `INSERT INTO call_records (call_id, arrival_at, disposition)
       SELECT 'r-' || i, $1::timestamptz + make_interval(secs => i), 'ivr-completed' FROM generate_series(0, 999) AS i`,
      [new Date(day + 9 * 60 * MIN)],
    );
    await answeredCall(t.db, 'r-next-day', 'a1', day + 33 * 60 * MIN);
    await s.create(supervisor, { callId: 'r-1', category: 'complaint', callerName: 'A', contactNumber: '13900000004', need: 'x' });
    goTo(clock, day + 34 * 60 * MIN);
    await s.create(supervisor, { callId: 'r-next-day', category: 'complaint', callerName: 'B', contactNumber: '13900000005', need: 'y' });
    const rate = await s.complaintRate(day, day + 2 * 24 * 60 * MIN);
    expect(rate.days).toEqual([
      { dayStart: day, calls: 1000, complaints: 1, rate: 0.001 },
      { dayStart: day + 24 * 60 * MIN, calls: 1, complaints: 1, rate: 1 },
    ]);
    expect(rate.total).toEqual({ calls: 1001, complaints: 2, rate: 2 / 1001, met: false });
    expect(rate.target).toBe(0.001);
  });
});

describe('creating a work order', () => {
  it('needs a call that exists: a record, or a live call (its record comes only at its end); an agent only its own calls', async () => {
    const clock = new VirtualClock(Date.parse('2026-12-07T02:00:00Z'));
    const s = workOrderService(t.db, clock, calendar, { call: (id) => (id === 'live-1' ? { agentId: 'a1' } : null) });
    await answeredCall(t.db, 'c-a2', 'a2', clock.now());
    await expect(s.create(agent, repair('ghost'))).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'body.callId' });
    await expect(s.create(agent, repair('c-a2'))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const live = await s.create(agent, repair('live-1'));
    expect(live).toMatchObject({ callId: 'live-1', ownerAgentId: 'a1', createdBy: 'agent:a1', answerDueAt: null, priority: 'normal' });
    expect(await deliveries(t.db, 'work_order.created')).toHaveLength(1);
    // Another agent neither sees it nor lists it.
    const other: Actor = { role: 'agent', name: 'Wang Wei', agentId: 'a2' };
    await expect(s.get(other, live.id)).rejects.toMatchObject({ code: 'WORK_ORDER_UNKNOWN' });
    expect(await s.list(other, {})).toEqual([]);
    expect((await s.list(agent, { callId: 'live-1' })).map((x) => x.id)).toEqual([live.id]);
  });
});
