import type { LiveKpiSource } from '../../src/kpi/types.js';
import { ReportRepository } from '../../src/store/pg/reports.js';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApi, type OpsOptions } from '../../src/api/server.js';
import { ApiMetrics } from '../../src/api/metrics.js';
import { createLiveKpis, type KpiCounter } from '../../src/kpi/index.js';
import { RedisLiveKpis } from '../../src/kpi/live.js';
import { AgentService } from '../../src/call/agent-service.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import { FlowReloader } from '../../src/ivr/watch.js';
import { AgentRepository } from '../../src/store/pg/agents.js';
import { ApiTokenRepository } from '../../src/store/pg/api-tokens.js';
import { RecordSearch } from '../../src/store/pg/search.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { RedisPlanStore } from '../../src/store/redis/plan-store.js';
import { PlanRepository } from '../../src/store/pg/plan.js';
import { PlanGate } from '../../src/plan/gate.js';
import { PlanService } from '../../src/plan/service.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { TeamRepository } from '../../src/store/pg/teams.js';
import { ReviewRepository } from '../../src/store/pg/reviews.js';
import { CallRecordRepository } from '../../src/store/pg/call-records.js';
import { CallbackRepository } from '../../src/store/pg/callbacks.js';
import { ReviewService } from '../../src/reviews/service.js';
import { OverdueReviews } from '../../src/reviews/overdue-count.js';
import { DEFAULT_REVIEW_POLICY } from '../../src/reviews/rules.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { testRedis, uniqueHotline } from '../support/redis.js';

/** One API over real PostgreSQL (own schema), real Redis (own hotline id) and a copy of the shipped flows. */
export interface ApiWorld {
  app: FastifyInstance;
  tdb: TestDb;
  redis: Redis;
  store: RedisAcdStore;
  clock: VirtualClock;
  agents: AgentRepository;
  tokens: ApiTokenRepository;
  flows: FlowRegistry;
  flowsDir: string;
  metrics: ApiMetrics;
  /** The world's hotline id (its Redis keys), and the production live KPI source over it (what /metrics reads). */
  hotlineId: string;
  live: RedisLiveKpis;
  /** With liveKpis 'real': the production counter filling `live` (not started: the test starts it). */
  counter?: KpiCounter;
  /** With `withPlan: true`: the peak-load plan over the world's Redis and PostgreSQL (its gate guards agentState). */
  plan?: { store: RedisPlanStore; gate: PlanGate; service: PlanService; records: PlanRepository };
  /** Teams, and reviews as main.ts wires them: call records written through `records` create review tasks. */
  teams: TeamRepository;
  records: CallRecordRepository;
  reviews: ReviewService;
  overdueReviews: OverdueReviews;
  /** Tokens by role (agent: for agent a1). */
  token: { admin: string; supervisor: string; agent: string; agent2: string };
  close(): Promise<void>;
}

/**
 * `liveKpis`: a live KPI source of the test's own, or 'real' for main.ts's wiring over the world's store
 * (createLiveKpis: RedisLiveKpis with its 1 s cache, the counter polling every 200 ms, the wallboard pushing on its
 * change signal). The reports stay the real PostgreSQL ones.
 */
export async function apiWorld(
  label: string,
  overAll: Partial<OpsOptions> & { liveKpis?: LiveKpiSource | 'real'; withPlan?: boolean } = {},
  logger?: Parameters<typeof buildApi>[0]['logger'],
): Promise<ApiWorld> {
  const { liveKpis, withPlan: withPlanOpt, ...over } = overAll;
  const tdb = await createTestDb(label);
  const redis = await testRedis();
  const clock = new VirtualClock(Date.parse('2026-12-07T08:00:00Z'));
  const hotlineId = uniqueHotline(label);
  const store = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000 });
  const flowsDir = await mkdtemp(join(tmpdir(), 'acd-api-flows-'));
  await cp('ivr-flows', flowsDir, { recursive: true });
  const flows = new FlowRegistry();
  const reloader = new FlowReloader(flowsDir, flows, clock, silentLogger);
  await reloader.reload();
  const queues = flows.queues() ?? [];
  await store.configure({ skills: [...new Set(queues.flatMap((q) => q.requiredSkills.map((r) => r.skill)))], queues });
  await store.renewLease('here');
  await store.renewLease('elsewhere');

  const agents = new AgentRepository(tdb.db);
  await agents.create({ id: 'a1', sipUsername: '8001', name: 'Li Na', password: 'secret-8001', realm: 'hotline.test', skills: [{ skill: 'general', level: 3, primary: true }] }, { createMissingSkills: true });
  await agents.create({ id: 'a2', sipUsername: '8002', name: 'Wang Wei', password: 'secret-8002', realm: 'hotline.test', skills: [{ skill: 'general', level: 2, primary: true }] }, { createMissingSkills: true });
  const tokens = new ApiTokenRepository(tdb.db);
  const token = {
    admin: (await tokens.create({ name: 'ops', role: 'admin' })).token,
    supervisor: (await tokens.create({ name: 'floor', role: 'supervisor' })).token,
    agent: (await tokens.create({ name: 'Li Na', role: 'agent', agentId: 'a1' })).token,
    agent2: (await tokens.create({ name: 'Wang Wei', role: 'agent', agentId: 'a2' })).token,
  };
  const metrics = new ApiMetrics();
  let plan: ApiWorld['plan'];
  if (withPlanOpt) {
    const pstore = new RedisPlanStore(redis, hotlineId);
    const gate = new PlanGate(pstore, clock, { campaignCallbackSeats: 2 });
    const records = new PlanRepository(tdb.db);
    plan = { store: pstore, gate, records, service: new PlanService({ shared: pstore, records, gate, clock }) };
    metrics.setPipelineSources({ planLevel: () => pstore.level() });
  }
  const teams = new TeamRepository(tdb.db);
  const reviewTasks = new ReviewRepository(tdb.db, new WebhookRepository(tdb.db));
  const records = new CallRecordRepository(tdb.db);
  records.onInserted(reviewTasks.recordHook(() => DEFAULT_REVIEW_POLICY, () => clock.now()), (err) => {
    throw err;
  });
  const reviews = new ReviewService({ reviews: reviewTasks, callbacks: new CallbackRepository(tdb.db), calendarFor: (id) => (id !== null ? flows.byId(id)?.calendar : undefined) ?? flows.flows().find((f) => f.calendar)?.calendar, clock });
  const overdueReviews = new OverdueReviews(() => reviews.overdueCount(), () => clock.now());
  metrics.setPipelineSources({ reviewsOverdue: () => overdueReviews.read() });
  const real =
    liveKpis === 'real'
      ? createLiveKpis({ redis, hotlineId, clock, events: store, queues: () => flows.queues() ?? [], windowSec: 3600, logger: silentLogger, pollMs: 200 })
      : undefined;
  const live = real?.source ?? new RedisLiveKpis({ redis, hotlineId, clock, queues: () => flows.queues() ?? [] });
  metrics.setSources({ live: () => live.live(), queueIds: () => (flows.queues() ?? []).map((q) => q.id) });
  const app = buildApi({
    ...(logger ? { logger } : {}),
    isDraining: () => false,
    health: [{ name: 'postgres', check: () => tdb.db.ping() }],
    ops: {
      clock,
      tokens,
      agents,
      defaultRealm: 'hotline.test',
      agentState: new AgentService(store, { profile: async (id) => { const a = await agents.get(id); return a ? { id: a.id, name: a.name, skills: a.skills } : undefined; } }, plan ? { plan: plan.gate } : {}),
      ...(plan ? { plan: plan.service } : {}),
      acd: store,
      flows: { dir: flowsDir, status: () => flows.status(), queues: () => flows.queues(), reload: () => reloader.reload() },
      search: new RecordSearch(tdb.db),
      metrics,
      authLimits: { maxFailures: 3, windowMs: 60_000, blockMs: 60_000 },
      teams,
      reviews: { service: reviews, overdue: overdueReviews },
      ...(liveKpis ? { kpis: { live: liveKpis === 'real' ? live : liveKpis, reports: new ReportRepository(tdb.db) } } : {}),
      ...over,
      ...(real ? { wallboard: { ...over.wallboard, changes: real.changes } } : {}),
    },
  });
  await app.ready();
  return {
    app, tdb, redis, store, clock, agents, tokens, flows, flowsDir, metrics, hotlineId, live, token, teams, records, reviews, overdueReviews,
    ...(plan ? { plan } : {}),
    ...(real ? { counter: real.counter } : {}),
    close: async () => {
      await real?.counter.stop();
      await app.close();
      await store.destroy();
      await redis.quit();
      await tdb.drop();
      await rm(flowsDir, { recursive: true, force: true });
    },
  };
}

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
