import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_RULE } from '../../src/acd/peak-plan.js';
import { AgentService } from '../../src/call/agent-service.js';
import { silentLogger } from '../../src/core/logger.js';
import { applyPlanEffects } from '../../src/plan/effects.js';
import { PlanEvaluator } from '../../src/plan/evaluator.js';
import { withPlan } from '../../src/plan/kpis.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

const RULE = { ...DEFAULT_PLAN_RULE, sustainMs: 60_000, standDownMs: 20_000, dipMs: 5_000 };

describe('peak-load plan through the API, the service and the seats', () => {
  let w: ApiWorld;
  let evaluator: PlanEvaluator;
  let service: AgentService;
  let calls = 0;
  beforeAll(async () => {
    w = await apiWorld('plan', { withPlan: true });
    await w.agents.create({ id: 's1', sipUsername: '8101', name: 'Zhao Lei', password: 'secret-8101', realm: 'hotline.test', role: 'supervisor', skills: [] });
    await new WebhookRepository(w.tdb.db).create({ url: 'http://127.0.0.1:9/hook', events: ['plan.activated', 'plan.stood_down'] });
    const plan = w.plan!;
    // The one service class the API and the seats use, with the same gate.
    service = new AgentService(w.store, { profile: async (id) => { const a = await w.agents.get(id); return a ? { id: a.id, name: a.name, skills: a.skills } : undefined; } }, { plan: plan.gate });
    evaluator = new PlanEvaluator({
      store: plan.store,
      clock: w.clock,
      log: silentLogger,
      instance: 'test',
      rules: () => ({ hotline: RULE, queues: {} }),
      queueIds: () => (w.flows.queues() ?? []).map((q) => q.id),
      effects: (t, overall) =>
        applyPlanEffects(
          {
            service,
            agents: async () => (await w.store.snapshot()).agents,
            supervisors: () => plan.records.supervisors(),
            drafted: { add: (ids) => plan.store.addDrafted(ids), list: () => plan.store.drafted(), remove: (ids) => plan.store.removeDrafted(ids) },
            log: silentLogger,
          },
          t,
          overall,
        ),
      record: (t, extra, now) => plan.records.record(t, extra, now),
    });
  });
  afterAll(async () => w.close());

  const get = (url: string, token = w.token.supervisor) => w.app.inject({ method: 'GET', url, headers: bearer(token) });
  const post = (url: string, body: unknown, token = w.token.supervisor) => w.app.inject({ method: 'POST', url, headers: bearer(token), payload: body as object });
  async function waiting(n: number): Promise<void> {
    const snap = await w.store.snapshot();
    const now = snap.calls.filter((c) => c.state === 'waiting');
    for (let i = now.length; i < n; i++) await w.store.enqueue({ callId: `pc${calls++}`, queueId: 'general', callerNumber: '1', priority: 0, ownerInstance: 'here' });
    for (const c of now.slice(n)) await w.store.abandon(c.callId);
  }
  async function run(seconds: number): Promise<void> {
    for (let s = 0; s < seconds; s++) {
      await evaluator.tick();
      w.clock.advance(1000);
    }
  }

  it('level 0: nothing active, callbacks unrestricted, breaks allowed', async () => {
    const r = await get('/api/plan');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ level: 0, since: null, scopes: {}, campaign: null, drafted: [], callbacks: { allowed: true, maxSeats: null } });
    expect((await post('/api/agents/a2/not-ready', { reason: 'break' })).json()).toMatchObject({ state: 'not-ready', reason: 'break' });
    await service.login('s1');
  });

  it('level 1 after 9 waiting sustained: breaks refused (API, after-call, feature code), agents on break asked back, webhook, history, metrics', async () => {
    await waiting(9);
    const start = w.clock.now();
    await run(61);
    const st = (await get('/api/plan')).json();
    expect(st).toMatchObject({ level: 1, since: new Date(start + 60_000).toISOString(), scopes: { '*': { level: 1, waiting: 9, peakWaiting: 9 } }, callbacks: { allowed: false, maxSeats: 0 } });
    expect(await w.plan!.gate.callbacksAllowed()).toMatchObject({ allowed: false, maxSeats: 0 });

    const refused = await post('/api/agents/a1/not-ready', { reason: 'break' }, w.token.agent);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'PLAN_BREAKS_SUSPENDED' });
    expect((await post('/api/agents/a1/after-call', { next: 'break' }, w.token.agent)).json()).toMatchObject({ code: 'PLAN_BREAKS_SUSPENDED' });
    await expect(service.featureCode('a1', '*21')).rejects.toMatchObject({ code: 'PLAN_BREAKS_SUSPENDED' });
    expect(await w.store.agent('a1')).toBeNull();
    // Lunch is still allowed at level 1; leave is not.
    expect((await post('/api/agents/a1/not-ready', { reason: 'lunch' }, w.token.agent)).statusCode).toBe(200);
    expect((await post('/api/agents/a1/not-ready', { reason: 'leave' }, w.token.agent)).json()).toMatchObject({ code: 'PLAN_LEAVE_REFUSED' });

    expect((await get('/api/agents/a2/notices', w.token.agent2)).json()).toEqual([{ kind: 'return-to-queue', level: 1, message: expect.stringContaining('end your break') }]);
    expect((await get('/api/agents/a1/notices', w.token.agent)).json()).toEqual([]);
    expect((await get('/api/agents/a2/notices', w.token.agent)).statusCode).toBe(403);

    const hooks = await w.tdb.pool.query<{ event_type: string; payload: { data: Record<string, unknown> } }>('SELECT event_type, payload FROM webhook_deliveries ORDER BY id');
    expect(hooks.rows).toEqual([{ event_type: 'plan.activated', payload: expect.objectContaining({ data: expect.objectContaining({ level: 1, scope: '*', waiting: 9, agentsAskedBack: ['a2'] }) }) }]);
    const hist = (await get('/api/plan/history')).json();
    expect(hist).toEqual([expect.objectContaining({ scope: '*', level: 1, startedAt: new Date(start + 60_000).toISOString(), endedAt: null })]);
    expect((await get('/api/plan/history', w.token.agent)).statusCode).toBe(403);
    const metrics = await w.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^hotline_plan_level 1$/m);
  });

  it('level 2 after 16 sustained: the logged-in supervisor is made ready through the service; stand-down puts it back', async () => {
    expect(await w.store.agent('s1')).toMatchObject({ state: 'not-ready' });
    await waiting(16);
    await run(61);
    expect((await get('/api/plan')).json()).toMatchObject({ level: 2, drafted: ['s1'] });
    expect(await w.store.agent('s1')).toMatchObject({ state: 'ready' });
    expect((await get('/api/agents/s1/notices')).json()).toEqual([expect.objectContaining({ kind: 'drafted', level: 2 })]);
    // At level 2 lunch is refused too; the urgent `other` still goes through.
    expect((await post('/api/agents/a1/not-ready', { reason: 'lunch' }, w.token.agent)).json()).toMatchObject({ code: 'PLAN_BREAKS_SUSPENDED' });
    expect((await post('/api/agents/a1/not-ready', { reason: 'other' }, w.token.agent)).statusCode).toBe(200);
    // The wallboard's frame carries the level and an alert.
    const live = await withPlan({ live: () => w.live.live() }, () => w.plan!.service.status(), () => w.clock.now()).live();
    expect(live.plan).toMatchObject({ level: 2, campaign: null });
    expect(live.alerts[0]).toMatchObject({ queueId: '*', kind: 'plan', message: expect.stringContaining('level 2') });

    await waiting(2);
    await run(22);
    expect((await get('/api/plan')).json()).toMatchObject({ level: 0, drafted: [] });
    expect(await w.store.agent('s1')).toMatchObject({ state: 'not-ready', reason: 'other' });
    const rows = (await w.tdb.pool.query<{ level: number; ended_at: Date | null }>('SELECT level, ended_at FROM plan_activations ORDER BY level')).rows;
    expect(rows.map((r) => [r.level, r.ended_at !== null])).toEqual([
      [1, true],
      [2, true],
    ]);
    const types = (await w.tdb.pool.query<{ event_type: string }>('SELECT event_type FROM webhook_deliveries ORDER BY id')).rows.map((r) => r.event_type);
    expect(types).toEqual(['plan.activated', 'plan.activated', 'plan.stood_down', 'plan.stood_down']);
    expect((await post('/api/agents/a1/not-ready', { reason: 'break' }, w.token.agent)).statusCode).toBe(200);
  });

  it('campaigns: declared by a supervisor, seen by every instance through Redis; no leave, at most 2 callback seats', async () => {
    const now = w.clock.now();
    const bad = await post('/api/plan/campaigns', { name: 'x', from: now, to: now });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.to' });
    expect((await post('/api/plan/campaigns', { name: 'x', from: now, to: now + 1 }, w.token.agent)).statusCode).toBe(403);
    const made = await post('/api/plan/campaigns', { name: 'sign-ups', from: new Date(now - 60_000).toISOString(), to: now + 3_600_000 });
    expect(made.statusCode).toBe(201);
    const c = made.json<{ id: string }>();
    expect(c).toEqual({ id: expect.any(String), name: 'sign-ups', from: new Date(now - 60_000).toISOString(), to: new Date(now + 3_600_000).toISOString() });
    expect((await get('/api/plan/campaigns', w.token.agent)).json()).toEqual([c]);
    expect((await get('/api/plan')).json()).toMatchObject({ level: 0, campaign: c, callbacks: { allowed: true, maxSeats: 2 } });
    expect((await post('/api/agents/a1/not-ready', { reason: 'leave' }, w.token.agent)).json()).toMatchObject({ code: 'PLAN_LEAVE_REFUSED' });
    await expect(service.featureCode('a1', '*25')).rejects.toMatchObject({ code: 'PLAN_LEAVE_REFUSED' });
    expect((await get('/api/agents/a1/notices', w.token.agent)).json()).toEqual([expect.objectContaining({ kind: 'campaign' })]);

    // The Redis copy is rebuilt from PostgreSQL (an instance that missed the write, or a restart).
    await w.redis.del(`acd:{${w.hotlineId}}:plan:campaigns`);
    expect((await w.plan!.gate.callbacksAllowed()).maxSeats).toBe(Number.POSITIVE_INFINITY);
    await w.plan!.service.refreshCampaigns();
    expect((await w.plan!.gate.callbacksAllowed()).maxSeats).toBe(2);

    expect((await w.app.inject({ method: 'DELETE', url: `/api/plan/campaigns/${c.id}`, headers: bearer(w.token.supervisor) })).statusCode).toBe(204);
    expect((await w.app.inject({ method: 'DELETE', url: `/api/plan/campaigns/${c.id}`, headers: bearer(w.token.supervisor) })).statusCode).toBe(404);
    expect((await post('/api/agents/a1/not-ready', { reason: 'leave' }, w.token.agent)).json()).toMatchObject({ state: 'not-ready', reason: 'leave' });
  });
});
