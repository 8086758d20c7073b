import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { KpiCounter } from '../../src/kpi/counter.js';
import { RedisLiveKpis } from '../../src/kpi/live.js';
import { AgentStateHistoryRepository } from '../../src/store/pg/agent-states.js';
import { CallRecordRepository } from '../../src/store/pg/call-records.js';
import { OfferRepository } from '../../src/store/pg/offers.js';
import { QueueRepository } from '../../src/store/pg/queues.js';
import { ReportRepository } from '../../src/store/pg/reports.js';
import type { LiveKpiSource, LiveKpis } from '../../src/kpi/types.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

// The KPI routes on the real Redis ACD and PostgreSQL, through the same LiveKpiSource main.ts wires.
let w: ApiWorld;
let live: RedisLiveKpis;
let counter: KpiCounter;
let reports: ReportRepository;
/** A source of the test's own for one test (a fixed reading), else the Redis one. */
let override: LiveKpiSource | undefined;

beforeAll(async () => {
  w = await apiWorld('kpis', {
    kpis: {
      live: { live: () => (override ?? live).live() },
      reports: { queueKpis: (...a) => reports.queueKpis(...a), agentKpis: (...a) => reports.agentKpis(...a) },
    },
  });
  const hotlineId = w.store.prefix.slice('acd:{'.length, -2);
  const queues = () => w.flows.queues() ?? [];
  live = new RedisLiveKpis({ redis: w.redis, hotlineId, clock: w.clock, queues, windowSec: 3600, names: async () => new Map((await w.agents.list()).map((a) => [a.id, a.name])) });
  counter = new KpiCounter({ redis: w.redis, hotlineId, source: w.store, targetSec: (q) => queues().find((d) => d.id === q)?.serviceLevel.seconds, clock: w.clock, logger: silentLogger });
  reports = new ReportRepository(w.tdb.db);
  await new QueueRepository(w.tdb.db).upsertAll(queues());
});
afterAll(async () => {
  await w.close();
});

const get = (url: string, token?: string) => w.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });

describe('GET /api/kpis/live', () => {
  it('checks and serialises a reading once however often it is served, and still refuses one off its schema', async () => {
    const reading = await live.live();
    override = { live: () => Promise.resolve(reading) };
    try {
      const a = await get('/api/kpis/live?agents=list', w.token.supervisor);
      const b = await get('/api/kpis/live?agents=list', w.token.supervisor);
      expect(a.statusCode).toBe(200);
      expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(b.body).toBe(a.body);
      expect(a.json()).toEqual(JSON.parse(JSON.stringify(reading)));
      const broken = { ...reading, hotline: { ...reading.hotline, waiting: 'many' } } as unknown as LiveKpis;
      override = { live: () => Promise.resolve(broken) };
      expect((await get('/api/kpis/live?agents=list', w.token.supervisor)).statusCode).toBe(500);
    } finally {
      override = undefined;
    }
  });

  it('is for supervisors and admins only', async () => {
    expect((await get('/api/kpis/live')).statusCode).toBe(401);
    expect((await get('/api/kpis/live', w.token.agent)).statusCode).toBe(403);
    expect((await get('/api/kpis/live', w.token.admin)).statusCode).toBe(200);
  });

  it('shows waiting calls, longest wait, the window counts, agents by state with names, staffing and alerts', async () => {
    for (const id of ['a1', 'a2']) await w.store.loginAgent({ id, name: id, skills: [{ skill: 'general', level: 3, primary: true }] });
    await w.store.setReady('a1');
    const t0 = w.clock.now();
    const first = await w.store.enqueue({ callId: 'k1', queueId: 'general', callerNumber: '13800000001', priority: 0, ownerInstance: 'here' });
    expect(first.status).toBe('offered');
    await w.store.markRinging('k1');
    w.clock.advance(6_000);
    await w.store.answer('k1');
    await w.store.enqueue({ callId: 'k2', queueId: 'general', callerNumber: '13800000002', priority: 0, ownerInstance: 'here' });
    w.clock.advance(20_000);
    await w.store.enqueue({ callId: 'k3', queueId: 'general', callerNumber: '13800000003', priority: 0, ownerInstance: 'here' });
    w.clock.advance(5_000);
    await counter.drain();

    // Without ?agents=list: the figures and the counts by state, not each agent (the list is ~200 KiB at 1,800 agents).
    const summary = (await get('/api/kpis/live', w.token.supervisor)).json();
    expect(summary.agents.list).toBeUndefined();
    expect(summary.agents.byState).toBeDefined();
    expect((await get('/api/kpis/live?agents=everyone', w.token.supervisor)).statusCode).toBe(400);
    const res = await get('/api/kpis/live?agents=list', w.token.supervisor);
    expect(res.statusCode).toBe(200);
    const k = res.json();
    expect(k.at).toBe(w.clock.now());
    expect(k.windowSec).toBe(3600);
    const general = k.queues.find((q: { queueId: string }) => q.queueId === 'general');
    expect(general).toMatchObject({ waiting: 2, longestWaitSec: 25, offered: 3, answered: 1, answeredWithinTarget: 1, asaSec: 6, abandoned: 0, staffing: { loggedIn: 2, ready: 0 } });
    expect(general.serviceLevel).toBeCloseTo(1 / 3, 9);
    expect(k.queues.map((q: { queueId: string }) => q.queueId)).toEqual(['general', 'complaints', 'specialists']);
    expect(k.hotline).toMatchObject({ queueId: '*', waiting: 2, longestWaitSec: 25, offered: 3 });
    expect(k.agents.byState).toEqual({ 'on-call': 1, 'not-ready': 1 });
    const a1 = k.agents.list.find((a: { agentId: string }) => a.agentId === 'a1');
    expect(a1).toEqual({ agentId: 'a1', name: 'Li Na', state: 'on-call', reason: null, since: t0 + 6_000, reachable: true });
    // 1/3 answered in 20 s against 80%: the service-level alert; 25 s is under general's 600 s limit.
    expect(k.alerts).toEqual([expect.objectContaining({ queueId: 'general', kind: 'service-level' })]);

    w.clock.advance(600_000);
    const later = (await get('/api/kpis/live', w.token.supervisor)).json();
    expect(later.alerts.map((a: { kind: string }) => a.kind).sort()).toEqual(['longest-wait', 'service-level']);

    // /metrics reads the same live figures (no snapshot of every call).
    const metrics = (await w.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('hotline_queue_waiting{queue="general"} 2');
    expect(metrics).toContain('hotline_queue_longest_wait_seconds{queue="general"} 625');
    expect(metrics).toContain('hotline_queue_longest_wait_seconds{queue="complaints"} 0');
    expect(metrics).toContain('hotline_calls_in_progress{state="waiting"} 2');
    expect(metrics).toContain('hotline_calls_in_progress{state="on-call"} 1');
    expect(metrics).toContain('hotline_agents{state="not-ready"} 1');
  });
});

describe('GET /api/kpis/intervals, /agents, /daily (PostgreSQL)', () => {
  const T0 = Date.parse('2026-12-06T01:00:00Z');
  const S = 1000;
  beforeAll(async () => {
    const calls = new CallRecordRepository(w.tdb.db);
    const answered = (callId: string, queueId: string, at: number, waitSec: number, talkSec: number) => ({
      callId, queueId, agentId: 'a1', arrivalAt: at - 30 * S, enqueueAt: at, answerAt: at + waitSec * S, hangupAt: at + (waitSec + talkSec) * S, ringsToAnswer: 2, disposition: 'answered' as const,
    });
    await calls.write(answered('r1', 'general', T0, 10, 100));
    await calls.write(answered('r2', 'general', T0 + 20 * 60 * S, 30, 60));
    await calls.write(answered('r3', 'complaints', T0 + 50 * 60 * S, 5, 60));
    await calls.write({ callId: 'r4', queueId: 'general', arrivalAt: T0 + 5 * 60 * S, enqueueAt: T0 + 5 * 60 * S, abandonAt: T0 + 6 * 60 * S, disposition: 'abandoned' });
    await calls.write(answered('r5', 'general', T0 + 25 * 3600 * S, 10, 100));
    await new OfferRepository(w.tdb.db).write({ callId: 'r1', agentId: 'a1', offeredAt: T0 + 8 * S, outcome: 'answered', rings: 2 });
    const states = new AgentStateHistoryRepository(w.tdb.db);
    await states.record({ agentId: 'a1', state: 'ready', at: T0 - 600 * S });
    await states.record({ agentId: 'a1', state: 'on-call', at: T0 + 10 * S });
    await states.record({ agentId: 'a1', state: 'ready', at: T0 + 110 * S });
    await states.record({ agentId: 'a1', state: 'logged-out', at: T0 + 3600 * S });
  });

  it('per queue and interval, filtered by queue, with the report definitions', async () => {
    const res = await get(`/api/kpis/intervals?from=${T0}&to=${T0 + 3600 * S}&interval=30`, w.token.supervisor);
    expect(res.statusCode).toBe(200);
    const rows = res.json();
    expect(rows.map((r: { queueId: string; intervalStart: number }) => [r.queueId, r.intervalStart - T0])).toEqual([
      ['general', 0],
      ['complaints', 1800 * S],
    ]);
    expect(rows[0]).toMatchObject({ offered: 3, answered: 2, abandoned: 1, answeredWithinTarget: 1, asaSec: 20, attSec: 80, avgRings: 2, target: { fraction: 0.8, seconds: 20 } });
    const only = (await get(`/api/kpis/intervals?from=${new Date(T0).toISOString()}&to=${T0 + 3600 * S}&interval=15&queue=complaints`, w.token.admin)).json();
    expect(only.map((r: { queueId: string; intervalStart: number }) => [r.queueId, r.intervalStart - T0])).toEqual([['complaints', 45 * 60 * S]]);
  });

  it('per day and per agent', async () => {
    const days = (await get(`/api/kpis/daily?from=${T0}&to=${T0 + 2 * 86_400 * S}`, w.token.supervisor)).json();
    expect(days.map((r: { queueId: string; intervalStart: number; offered: number }) => [r.queueId, r.intervalStart - T0, r.offered])).toEqual([
      ['complaints', 0, 1],
      ['general', 0, 3],
      ['general', 86_400 * S, 1],
    ]);
    const agents = (await get(`/api/kpis/agents?from=${T0}&to=${T0 + 3600 * S}`, w.token.supervisor)).json();
    // Agent figures count calls by arrival: r1 arrived 30 s before the window.
    expect(agents).toEqual([expect.objectContaining({ agentId: 'a1', name: 'Li Na', answered: 2, offers: 1, rona: 0, talkSec: 120, stateSec: { ready: 3500, 'on-call': 100 } })]);
    expect(agents[0].occupancy).toBeCloseTo(100 / 3600, 9);
  });

  it('refuses bad windows and intervals with one line naming the field', async () => {
    const bad = await get(`/api/kpis/intervals?from=${T0}&to=${T0}&interval=30`, w.token.supervisor);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'to' });
    const interval = await get(`/api/kpis/intervals?from=${T0}&to=${T0 + S}&interval=20`, w.token.supervisor);
    expect(interval.statusCode).toBe(400);
    expect(interval.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'querystring.interval' });
    const long = await get(`/api/kpis/agents?from=${T0}&to=${T0 + 40 * 86_400 * S}`, w.token.supervisor);
    expect(long.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'to', message: 'to: at most 31 days after from' });
    expect((await get(`/api/kpis/daily?from=yesterday&to=${T0}`, w.token.supervisor)).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'querystring.from' });
    expect((await get(`/api/kpis/daily?from=${T0}&to=${T0 + S}`, w.token.agent)).statusCode).toBe(403);
  });
});
