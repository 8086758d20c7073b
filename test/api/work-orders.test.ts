import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { DEFAULT_CATEGORIES, parseCategories } from '../../src/workflow/work-order-rules.js';
import { ProviderRepository } from '../../src/workflow/providers.js';
import { calendarFrom, WorkOrderService } from '../../src/workflow/work-orders.js';
import { answeredCall, deliveries } from '../workflow/support.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

// The work-order API over real PostgreSQL and Redis (live calls), on the virtual clock: who may file for which call,
// 400s naming the field, dispatch and acceptance by a provider token, the escalation flag and gauge, complaints.
let w: ApiWorld;
let svc: WorkOrderService;
let providers: ProviderRepository;
let providerToken: string;
const MIN = 60_000;

beforeAll(async () => {
  // The world builds its database first; the routes reach the service through this late binding.
  const late = {
    create: (...a: Parameters<WorkOrderService['create']>) => svc.create(...a),
    get: (...a: Parameters<WorkOrderService['get']>) => svc.get(...a),
    list: (...a: Parameters<WorkOrderService['list']>) => svc.list(...a),
    dispatch: (...a: Parameters<WorkOrderService['dispatch']>) => svc.dispatch(...a),
    accept: (...a: Parameters<WorkOrderService['accept']>) => svc.accept(...a),
    answer: (...a: Parameters<WorkOrderService['answer']>) => svc.answer(...a),
    close: (...a: Parameters<WorkOrderService['close']>) => svc.close(...a),
    complaintRate: (...a: Parameters<WorkOrderService['complaintRate']>) => svc.complaintRate(...a),
    categories: () => svc.categories(),
  };
  const lateProviders = {
    create: (...a: Parameters<ProviderRepository['create']>) => providers.create(...a),
    list: () => providers.list(),
    get: (id: string) => providers.get(id),
    update: (...a: Parameters<ProviderRepository['update']>) => providers.update(...a),
    delete: (id: string) => providers.delete(id),
  };
  w = await apiWorld('api_work_orders', { workOrders: { service: late, providers: lateProviders } });
  const webhooks = new WebhookRepository(w.tdb.db);
  await webhooks.create({ url: 'http://127.0.0.1:9/hooks', events: ['work_order.created', 'work_order.escalated', 'complaint.overdue'] });
  svc = new WorkOrderService({
    db: w.tdb.db,
    webhooks,
    clock: w.clock,
    logger: silentLogger,
    categories: parseCategories(DEFAULT_CATEGORIES),
    acceptWithinMs: 30 * MIN,
    calendar: () => calendarFrom(w.flows, 'hotline'),
    liveCalls: w.store,
  });
  providers = new ProviderRepository(w.tdb.db);
  w.metrics.setPipelineSources({ workOrders: () => svc.gauges() });
  await answeredCall(w.tdb.db, 'rec-a1', 'a1', w.clock.now() - 10 * MIN);
  await answeredCall(w.tdb.db, 'rec-a2', 'a2', w.clock.now() - 10 * MIN);
});
afterAll(async () => {
  await w?.close();
});

const post = (url: string, token: string, payload?: Record<string, unknown>) =>
  w.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });
const get = (url: string, token: string) => w.app.inject({ method: 'GET', url, headers: bearer(token) });
const repair = (callId: string) => ({ callId, category: 'repair', callerName: 'Zhang San', address: '1 Chang An Ave', contactNumber: '13800000001', need: 'no water since the morning' });

describe('POST /api/work-orders', () => {
  it('an agent files for a call it handled; the order is complete or a 400 names the missing field', async () => {
    const created = await post('/api/work-orders', w.token.agent, { ...repair('rec-a1'), priority: 'high' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ callId: 'rec-a1', category: 'repair', priority: 'high', status: 'open', ownerAgentId: 'a1', createdBy: 'agent:a1', escalated: false, answerDueAt: null });
    expect(await deliveries(w.tdb.db, 'work_order.created')).toHaveLength(1);

    const cases: [Record<string, unknown>, string][] = [
      [{ ...repair('rec-a1'), address: undefined }, 'body.address'],
      [{ ...repair('rec-a1'), address: '  ' }, 'body.address'],
      [{ ...repair('rec-a1'), need: undefined }, 'body.need'],
      [{ ...repair('rec-a1'), category: 'complaint', callerName: undefined }, 'body.callerName'],
      [{ ...repair('rec-a1'), category: 'weather' }, 'body.category'],
      [{ ...repair('rec-a1'), priority: 'asap' }, 'body.priority'],
      [{ ...repair('rec-a1'), contactNumber: 'call me' }, 'body.contactNumber'],
      [{ ...repair('rec-a1'), callId: undefined }, 'body.callId'],
      [repair('no-such-call'), 'body.callId'],
    ];
    for (const [payload, field] of cases) {
      const r = await post('/api/work-orders', w.token.agent, payload);
      expect([r.statusCode, r.json().code, r.json().field], field).toEqual([400, 'INVALID_INPUT', field]);
      expect(r.json().message).toContain(field);
    }
  });

  it('an agent may not file for another agent\'s call; a supervisor files for any call, owned by its first agent', async () => {
    const r = await post('/api/work-orders', w.token.agent, repair('rec-a2'));
    expect([r.statusCode, r.json().code]).toEqual([403, 'FORBIDDEN']);
    const s = await post('/api/work-orders', w.token.supervisor, repair('rec-a2'));
    expect(s.statusCode).toBe(201);
    expect(s.json()).toMatchObject({ ownerAgentId: 'a2', createdBy: 'supervisor:floor' });
  });

  it('accepts a call still live in the ACD (no record yet) for the agent on it', async () => {
    await w.store.loginAgent({ id: 'a2', name: 'Wang Wei', skills: [{ skill: 'general', level: 2, primary: true }] });
    await w.store.setReady('a2');
    await w.store.enqueue({ callId: 'live-a2', queueId: 'general', callerNumber: '13800000009', priority: 0, ownerInstance: 'elsewhere' });
    expect(await w.store.call('live-a2')).toMatchObject({ agentId: 'a2' });
    expect((await post('/api/work-orders', w.token.agent, repair('live-a2'))).statusCode).toBe(403);
    const r = await post('/api/work-orders', w.token.agent2, { callId: 'live-a2', category: 'consultation', callerName: 'Zhao', contactNumber: '+8613800000009', need: 'opening hours of the tax office' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ callId: 'live-a2', ownerAgentId: 'a2', address: null });
  });
});

describe('providers, dispatch, acceptance, escalation', () => {
  it('supervisors manage providers; agents may not', async () => {
    const c = await post('/api/providers', w.token.supervisor, { id: 'water', name: 'City Water', contact: '010-12345678', webhookUrl: 'https://water.example/hooks' });
    expect(c.statusCode).toBe(201);
    expect((await post('/api/providers', w.token.supervisor, { id: 'bad id', name: 'x' })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.id' });
    expect((await post('/api/providers', w.token.agent, { id: 'power', name: 'Grid' })).statusCode).toBe(403);
    expect((await post('/api/providers', w.token.admin, { id: 'power', name: 'Grid' })).statusCode).toBe(201);
    const put = await w.app.inject({ method: 'PUT', url: '/api/providers/power', headers: bearer(w.token.supervisor), payload: { name: 'State Grid', contact: '95598' } });
    expect(put.json()).toEqual({ id: 'power', name: 'State Grid', contact: '95598', webhookUrl: null, active: true });
    expect((await get('/api/providers', w.token.supervisor)).json().map((p: { id: string }) => p.id)).toEqual(['power', 'water']);
    expect((await get('/api/providers/nope', w.token.supervisor)).statusCode).toBe(404);
    providerToken = (await w.tokens.create({ name: 'City Water', role: 'provider', providerId: 'water' })).token;
    expect((await get('/api/whoami', providerToken)).json()).toEqual({ name: 'City Water', role: 'provider', providerId: 'water' });
    // A provider token reaches nothing else.
    expect((await get('/api/calls', providerToken)).statusCode).toBe(403);
    expect((await get('/api/providers', providerToken)).statusCode).toBe(403);
  });

  it('the owner dispatches; the provider accepts its own; one not accepted at 30:00 is flagged, listed and counted', async () => {
    const a = (await post('/api/work-orders', w.token.agent, repair('rec-a1'))).json<{ id: string }>();
    const b = (await post('/api/work-orders', w.token.agent, repair('rec-a1'))).json<{ id: string }>();
    expect((await post(`/api/work-orders/${a.id}/dispatch`, w.token.agent, { provider: 'nope' })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.provider' });
    expect((await post(`/api/work-orders/${a.id}/dispatch`, w.token.agent2, { provider: 'water' })).statusCode).toBe(404);
    const d = await post(`/api/work-orders/${a.id}/dispatch`, w.token.agent, { provider: 'water' });
    expect(d.json()).toMatchObject({ status: 'dispatched', providerId: 'water', dispatchedBy: 'agent:a1', escalateAt: w.clock.now() + 30 * MIN });
    expect((await post(`/api/work-orders/${b.id}/dispatch`, w.token.supervisor, { provider: 'power' })).statusCode).toBe(200);

    // The provider sees and accepts what is dispatched to it, and nothing else.
    expect((await get('/api/work-orders', providerToken)).json().map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await post(`/api/work-orders/${b.id}/accept`, providerToken)).statusCode).toBe(404);
    expect((await post(`/api/work-orders/${a.id}/accept`, w.token.agent)).statusCode).toBe(403);
    w.clock.advance(10 * MIN);
    const acc = await post(`/api/work-orders/${a.id}/accept`, providerToken);
    expect(acc.json()).toMatchObject({ status: 'accepted', acceptedBy: 'provider:water', acceptedAt: w.clock.now() });
    expect((await post(`/api/work-orders/${a.id}/accept`, providerToken)).json()).toMatchObject({ code: 'WORK_ORDER_BAD_STATE' });

    w.clock.advance(20 * MIN);
    const swept = await svc.sweep();
    expect(swept.escalated.map((x) => x.id)).toEqual([b.id]);
    expect((await get('/api/work-orders?escalated=true', w.token.supervisor)).json().map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await get(`/api/work-orders/${b.id}`, w.token.agent)).json()).toMatchObject({ escalated: true, escalatedAt: w.clock.now() });
    expect((await get('/api/work-orders?escalated=maybe', w.token.supervisor)).json()).toMatchObject({ field: 'querystring.escalated' });
    const metrics = await w.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^hotline_work_orders_escalated 1$/m);
    expect(metrics.body).toMatch(/^hotline_complaints_overdue 0$/m);
    // A supervisor records the acceptance on the provider's behalf: the gauge drops.
    expect((await post(`/api/work-orders/${b.id}/accept`, w.token.supervisor)).json()).toMatchObject({ status: 'accepted', acceptedBy: 'supervisor:floor', escalated: true });
    expect((await w.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^hotline_work_orders_escalated 0$/m);
    expect(await deliveries(w.tdb.db, 'work_order.escalated')).toHaveLength(1);
  });
});

describe('complaints', () => {
  it('answered and closed with the caller satisfied; the filters and the complaint rate', async () => {
    const c = await post('/api/work-orders', w.token.agent, { callId: 'rec-a1', category: 'complaint', callerName: 'Wang', contactNumber: '13900000002', need: 'waited 20 minutes' });
    expect(c.statusCode).toBe(201);
    const id = c.json<{ id: string; answerDueAt: number }>().id;
    // 2026-12-07 16:00 Shanghai (a Monday) + 1 working day: Tuesday's close, winter hours.
    expect(new Date(c.json<{ answerDueAt: number }>().answerDueAt).toISOString()).toBe('2026-12-08T09:30:00.000Z');
    expect((await get('/api/work-orders?category=complaint&status=open', w.token.supervisor)).json().map((x: { id: string }) => x.id)).toEqual([id]);

    expect((await post(`/api/work-orders/${id}/close`, w.token.supervisor, { callerSatisfied: true })).json()).toMatchObject({ code: 'WORK_ORDER_BAD_STATE' });
    expect((await post(`/api/work-orders/${id}/answer`, w.token.supervisor, {})).json()).toMatchObject({ field: 'body.answer' });
    expect((await post(`/api/work-orders/${id}/answer`, w.token.agent2, { answer: 'x' })).statusCode).toBe(404);
    expect((await post(`/api/work-orders/${id}/answer`, w.token.supervisor, { answer: 'Team lead called back' })).json()).toMatchObject({ status: 'answered' });
    expect((await post(`/api/work-orders/${id}/close`, w.token.supervisor, {})).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.callerSatisfied' });
    expect((await post(`/api/work-orders/${id}/close`, w.token.supervisor, { callerSatisfied: false })).statusCode).toBe(409);
    const closed = await post(`/api/work-orders/${id}/close`, w.token.agent, { callerSatisfied: true, resolution: 'apologised' });
    expect(closed.json()).toMatchObject({ status: 'closed', callerSatisfied: true, closedBy: 'agent:a1' });
    expect((await get(`/api/work-orders?agent=a1&category=complaint&status=closed`, w.token.supervisor)).json()).toHaveLength(1);
    expect((await get('/api/work-orders/999999', w.token.supervisor)).json()).toMatchObject({ code: 'WORK_ORDER_UNKNOWN' });
    expect((await get('/api/work-orders/abc', w.token.supervisor)).statusCode).toBe(404);

    const day = Date.parse('2026-12-06T16:00:00Z'); // 2026-12-07 00:00 in Shanghai
    const rate = await get(`/api/work-orders/complaint-rate?from=${day}&to=${day + 86_400_000}`, w.token.supervisor);
    expect(rate.statusCode).toBe(200);
    // Two call records that day (rec-a1, rec-a2); the live call has none yet.
    expect(rate.json()).toEqual({ target: 0.001, days: [{ dayStart: day, calls: 2, complaints: 1, rate: 0.5 }], total: { calls: 2, complaints: 1, rate: 0.5, met: false } });
    expect((await get(`/api/work-orders/complaint-rate?from=${day}&to=${day}`, w.token.supervisor)).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'query.to' });
    expect((await get(`/api/work-orders/complaint-rate?from=${day}&to=${day + 1}`, w.token.agent)).statusCode).toBe(403);
  });

  it('lists the categories with their required fields, and documents the routes', async () => {
    expect((await get('/api/work-orders/categories', w.token.agent)).json()).toContainEqual({ id: 'repair', requires: ['callerName', 'contactNumber', 'need', 'address'] });
    const doc = (await w.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/work-orders', '/api/work-orders/{id}/accept', '/api/work-orders/complaint-rate', '/api/providers/{id}']));
  });
});
