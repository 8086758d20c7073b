import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { $ZodType } from 'zod/v4/core';
import type { Clock } from '../core/clock.js';
import type { FailureLimiterOptions } from '../sip/failure-limiter.js';
import type { AgentRepository } from '../store/pg/agents.js';
import type { RecordSearch } from '../store/pg/search.js';
import { installAuth, type TokenLookup } from './auth.js';
import { installErrorHandler, withDeadline } from './errors.js';
import { registerHealth, type HealthCheck } from './health.js';
import { ApiMetrics, registerMetrics } from './metrics.js';
import { registerAgentRoutes } from './routes/agents.js';
import { registerAgentStateRoutes, type AgentStateService, type AgentStateStore } from './routes/agent-state.js';
import { registerCallbackRoutes, type CallbackRoutesDeps } from './routes/callbacks.js';
import { registerCallRoutes, type CallCommands, type CallRoutesDeps } from './routes/calls.js';
import { registerFlowRoutes, type FlowRoutesDeps } from './routes/flows.js';
import { registerKpiRoutes, type KpiRoutesDeps } from './routes/kpis.js';
import { registerQueueRoutes, type QueueRoutesDeps } from './routes/queues.js';
import { registerRecordRoutes } from './routes/records.js';
import { registerWebhookRoutes, type WebhookRoutesDeps } from './routes/webhooks.js';
import { registerPlanRoutes, type PlanRoutesDeps } from './routes/plan.js';
import { registerWhoamiRoute } from './routes/whoami.js';
import { registerTeamRoutes } from './routes/teams.js';
import { registerReviewRoutes } from './routes/reviews.js';
import type { TeamRepository } from '../store/pg/teams.js';
import type { ReviewService } from '../reviews/service.js';
import { withReviewAlerts, type OverdueReviews } from '../reviews/overdue-count.js';
import { registerWorkOrderRoutes, type WorkOrderRoutesDeps } from './routes/work-orders.js';
import { registerWallboard, type WallboardOptions } from './wallboard/routes.js';

/** What the admin and agent API works on. Every piece is the same service the rest of the server uses. */
export interface OpsOptions {
  clock: Clock;
  /** API tokens (PostgreSQL, hashed). */
  tokens: TokenLookup;
  /** Seats: the repository `acd agents` uses. */
  agents: AgentRepository;
  /** Digest realm for seats created without one (SIP_DOMAIN). */
  defaultRealm: string;
  /** Agent-requested state changes: the AgentService the seats' feature codes use. */
  agentState: AgentStateService;
  /** The ACD store (Redis). */
  acd: AgentStateStore & CallRoutesDeps['acd'] & Pick<QueueRoutesDeps, 'queueLength'>;
  flows: FlowRoutesDeps;
  search: RecordSearch;
  /** Callback tasks (src/callbacks/service.ts); absent: only the plain list from the record search. */
  callbacks?: CallbackRoutesDeps['callbacks'] | undefined;
  /** Operator commands relayed to the instance carrying a call (hang-up). */
  callCommands?: CallCommands | undefined;
  metrics?: ApiMetrics;
  /** Webhook subscriptions and dead letters (PostgreSQL); absent: no /api/webhooks routes. */
  webhooks?: WebhookRoutesDeps['webhooks'] | undefined;
  /** Live KPIs and the interval/agent/day reports (absent: no /api/kpis routes, no wallboard and its stream). */
  kpis?: Omit<KpiRoutesDeps, 'clock'> | undefined;
  /** Teams and leads (PostgreSQL); absent: no /api/teams routes. */
  teams?: TeamRepository | undefined;
  /**
   * Satisfaction reviews (needs `teams`): /api/reviews, and with `kpis` the overdue count as a wallboard alert
   * (`overdue`, the cached count /metrics reads too).
   */
  reviews?: { service: ReviewService; overdue: OverdueReviews } | undefined;
  /** Work orders, complaints and providers (src/workflow); absent: no /api/work-orders and /api/providers routes. */
  workOrders?: WorkOrderRoutesDeps | undefined;
  /** Failed logins per address before a block (default 10 in 60 s, blocked 5 min). */
  authLimits?: FailureLimiterOptions;
  /** How long a verified token is trusted without asking PostgreSQL (default 10 s). */
  tokenCacheMs?: number;
  /** A request waiting longer on PostgreSQL or Redis answers 503 DEPENDENCY_TIMEOUT (default 3 s). */
  dependencyTimeoutMs?: number;
  /** The peak-load plan (src/plan/service.ts); absent: no /api/plan routes. */
  plan?: PlanRoutesDeps['plan'] | undefined;
  /** The wallboard stream's pacing (defaults: every 1 s, history samples every 30 s kept 4 h). */
  wallboard?: WallboardOptions['stream'];
}

export interface ApiOptions {
  /** pino logger (fastify logs requests on it); omit for a silent app in tests. */
  logger?: FastifyBaseLogger;
  health: readonly HealthCheck[];
  isDraining: () => boolean;
  /** The admin/agent API, /metrics and /docs; without it only /healthz (the probe needs nothing else). */
  ops?: OpsOptions;
}

/** Zod schemas through the zod transform; the plain JSON schemas of /healthz and /metrics as they are. */
const transform: typeof jsonSchemaTransform = (doc) => {
  const s = doc.schema as Record<string, unknown> | undefined;
  const values = s ? [s.body, s.querystring, s.params, ...Object.values((s.response as Record<string, unknown> | undefined) ?? {})] : [];
  return values.some((v) => v instanceof $ZodType) ? jsonSchemaTransform(doc) : { schema: doc.schema, url: doc.url };
};

/**
 * The HTTP app, built without listening so tests can drive it with `app.inject`: /healthz, and with `ops` the
 * API under /api (bearer tokens, roles), /metrics and the OpenAPI docs at /docs (document at /docs/json).
 */
export function buildApi(opts: ApiOptions): FastifyInstance {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    // Deliberately small: this API takes small JSON bodies only (a flow file upload is the largest).
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  const ops = opts.ops;
  if (!ops) {
    registerHealth(app, { checks: opts.health, isDraining: opts.isDraining });
    return app;
  }
  const timeoutMs = ops.dependencyTimeoutMs ?? 3_000;
  const metrics = ops.metrics ?? new ApiMetrics();

  installErrorHandler(app);
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'hotline-acd API', version: '1', description: 'Admin, supervisor and agent API. Send `Authorization: Bearer <token>` (tokens: `acd tokens create`). Errors answer `{code, message, field?}` with a stable code.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  // Public routes say so in the document; every other route carries its roles and the deadline.
  app.addHook('onRoute', (route) => {
    if (!route.config?.roles && route.schema) route.schema = { ...route.schema, security: [] };
  });
  registerHealth(app, { checks: opts.health, isDraining: opts.isDraining });
  registerMetrics(app, metrics);

  void app.register((api, _opts, done) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    installAuth(api, {
      tokens: ops.tokens,
      clock: ops.clock,
      cacheMs: ops.tokenCacheMs ?? 10_000,
      limiter: ops.authLimits ?? { maxFailures: 10, windowMs: 60_000, blockMs: 300_000 },
      dependencyTimeoutMs: timeoutMs,
    });
    // No route may hang on a dependency that stopped answering: past the deadline the request answers 503.
    api.addHook('onRoute', (route) => {
      const handler = route.handler;
      route.handler = function (this: FastifyInstance, req, reply) {
        // A handler that returns `reply` resolves only once the answer is sent (fastify's reply is thenable): a long
        // CSV export streams past the deadline, and must not be cut off once its headers are out.
        return withDeadline(Promise.resolve(handler.call(this, req, reply)), timeoutMs, `${route.method as string} ${route.url}`, () => reply.sent || reply.raw.headersSent);
      };
    });
    registerAgentRoutes(api, { agents: ops.agents, defaultRealm: ops.defaultRealm });
    registerAgentStateRoutes(api, { service: ops.agentState, acd: ops.acd, exists: async (id) => (await ops.agents.get(id)) !== undefined });
    registerQueueRoutes(api, { queues: () => ops.flows.queues(), queueLength: (q) => ops.acd.queueLength(q) });
    registerCallRoutes(api, { acd: ops.acd, clock: ops.clock, commands: ops.callCommands });
    registerFlowRoutes(api, ops.flows);
    registerRecordRoutes(api, { search: ops.search, listCallbacks: !ops.callbacks });
    if (ops.callbacks) registerCallbackRoutes(api, { callbacks: ops.callbacks, now: () => ops.clock.now() });
    if (ops.webhooks) registerWebhookRoutes(api, { webhooks: ops.webhooks, clock: ops.clock });
    registerWhoamiRoute(api);
    if (ops.plan) registerPlanRoutes(api, { plan: ops.plan, acd: ops.acd, exists: async (id) => (await ops.agents.get(id)) !== undefined });
    const teams = ops.teams;
    if (teams) registerTeamRoutes(api, { teams, agents: ops.agents });
    if (teams && ops.reviews) registerReviewRoutes(api, { reviews: ops.reviews.service, isLead: (id) => teams.isLead(id) });
    if (ops.workOrders) registerWorkOrderRoutes(api, ops.workOrders);
    if (ops.kpis) {
      // One source for /api/kpis/live and the wallboard, so both show the same alerts.
      const live = ops.reviews ? withReviewAlerts(ops.kpis.live, ops.reviews.overdue) : ops.kpis.live;
      registerKpiRoutes(api, { ...ops.kpis, live, clock: ops.clock });
      registerWallboard(api, { source: live, logger: api.log, ...(ops.wallboard ? { stream: ops.wallboard } : {}) });
    }
    done();
  });
  return app;
}
