import type { RedisClient } from '../store/redis/client.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { AgentService } from '../call/agent-service.js';
import type { FlowRegistry } from '../ivr/registry.js';
import type { PgStore } from '../store/pg/index.js';
import type { ReapResult } from '../acd/store.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import type { ApiMetrics } from './metrics.js';
import { WebhookRepository } from '../webhooks/repository.js';
import type { CallCommands } from './routes/calls.js';
import type { OpsOptions } from './server.js';
import { RedisLiveKpis } from '../kpi/live.js';
import type { LiveKpiSource } from '../kpi/types.js';
import type { PlanGate } from '../plan/gate.js';
import { withPlan } from '../plan/kpis.js';
import type { PlanService } from '../plan/service.js';

export interface ApiWiring {
  config: Config;
  clock: Clock;
  pg: PgStore;
  redis: RedisClient;
  flows: FlowRegistry;
  /** The flows reloader's reload (the same one the file watcher runs). */
  reload: () => Promise<unknown>;
  metrics: ApiMetrics;
  /** Telephony's agent-state service when telephony runs; otherwise one is built on the same Redis ACD. */
  agentService?: AgentService | undefined;
  /** Operator commands to the instance carrying a call (src/store/redis/call-commands.ts). */
  callCommands?: CallCommands | undefined;
  /** The live KPIs (src/kpi), read by /api/kpis/live, the wallboard and /metrics. */
  kpis?: LiveKpiSource | undefined;
  /** The peak-load plan (main.ts builds it): its gate guards the agent-state service built here, its service backs
   * /api/plan, and its level joins the live KPIs (wallboard banner) and /metrics. */
  plan?: { gate: PlanGate; service: PlanService; level: () => Promise<number> } | undefined;
  /** Satisfaction reviews (main.ts builds them: their sweep and record hook live beside the API). */
  reviews?: OpsOptions['reviews'];
  /** A reap the API runs (an operator hangs up an orphan) hands the dead instance's calls here (their BYEs). */
  onReaped?: ((r: ReapResult) => void) | undefined;
}

/**
 * The API's options from what main.ts has built: kept here so the composition root stays a list of steps. It
 * creates nothing that holds a resource (the ACD store is a view on main's Redis connection).
 */
export function apiOps(w: ApiWiring): OpsOptions {
  const { config, pg, flows } = w;
  const acd = new RedisAcdStore({ redis: w.redis, hotlineId: config.HOTLINE_ID, clock: w.clock, leaseMs: config.LEASE_MS, observer: w.metrics.redisObserver(), ...(w.onReaped ? { onReaped: w.onReaped } : {}) });
  const baseLive = w.kpis ?? new RedisLiveKpis({ redis: w.redis, hotlineId: config.HOTLINE_ID, clock: w.clock, queues: () => flows.queues() ?? [], maxAgeMs: 1_000 });
  const plan = w.plan;
  const live = plan ? withPlan(baseLive, () => plan.service.status(), () => w.clock.now()) : baseLive;
  if (plan) w.metrics.setPipelineSources({ planLevel: plan.level });
  w.metrics.setSources({ live: () => live.live(), queueIds: () => (flows.queues() ?? []).map((q) => q.id) });
  const agentState =
    w.agentService ??
    new AgentService(acd, {
      profile: async (id) => {
        const a = await pg.agents.get(id);
        return a?.active ? { id: a.id, name: a.name, skills: a.skills } : undefined;
      },
    }, plan ? { plan: plan.gate } : {});
  return {
    clock: w.clock,
    tokens: pg.tokens,
    agents: pg.agents,
    defaultRealm: config.SIP_DOMAIN,
    agentState,
    acd,
    flows: { dir: config.FLOWS_DIR, status: () => flows.status(), queues: () => flows.queues(), reload: w.reload },
    search: pg.search,
    metrics: w.metrics,
    webhooks: new WebhookRepository(pg.db),
    callCommands: w.callCommands,
    plan: plan?.service,
    teams: pg.teams,
    reviews: w.reviews,
    kpis: { live, reports: pg.reports },
    authLimits: { maxFailures: config.AUTH_MAX_FAILURES, windowMs: config.AUTH_FAILURE_WINDOW_MS, blockMs: config.AUTH_BLOCK_MS },
  };
}
