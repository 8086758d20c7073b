import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { defaultSecretWarnings, describeRedis, mediaServersFromEnv, redactUrl, redisTopology, type Config } from './config/index.js';
import { checkListen, listenFailed } from './listen-check.js';
import { SystemClock, type Clock } from './core/clock.js';
import { Housekeeping } from './core/housekeeping.js';
import { HotlineError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import { createLogger, installLastResort } from './logging.js';
import { buildApi } from './api/server.js';
import { flowsHealthCheck, mediaHealthCheck, type HealthCheck } from './api/health.js';
import { ApiMetrics } from './api/metrics.js';
import { apiOps } from './api/wiring.js';
import { RedisCallCommands } from './store/redis/call-commands.js';
import { createLiveKpis } from './kpi/index.js';
import { FlowRegistry } from './ivr/registry.js';
import { FlowReloader, watchFlows } from './ivr/watch.js';
import type { AgentSkill, QueueDefinition } from './acd/model.js';
import type { ReapResult } from './acd/store.js';
import { AcdBridge } from './call/acd-bridge.js';
import { AgentService } from './call/agent-service.js';
import { HotlineCalls, type QueuePolicy } from './call/hotline.js';
import { defaultPromptFiles, lateWhisperFiles } from './call/media-channel.js';
import { AcdQueueLoad } from './call/queue-load.js';
import { erlangWaitEstimator } from './ivr/wait.js';
import { queueOption } from './ivr/queues.js';
import type { CallRecordSink, TransferTarget } from './call/ports.js';
import type { CallDataSink } from './ivr/channel.js';
import { CallRegistry } from './call/registry.js';
import { AdmissionController } from './call/admission.js';
import { EventLoopLoad } from './core/loop-load.js';
import type { FsmrfLeg } from './media/fsmrf-leg.js';
import { fsmrfPoolServers } from './media/media-server.js';
import { MediaPool } from './media/media-pool.js';
import { createAuthenticator } from './sip/auth.js';
import { SeatDirectory, type SeatCredentialSource } from './sip/seat-directory.js';
import { connectDrachtio, disconnectDrachtio } from './sip/drachtio.js';
import { FailureLimiter } from './sip/failure-limiter.js';
import { installInbound } from './sip/inbound.js';
import { installRegistrar } from './sip/registrar.js';
import { RegistrationStore } from './sip/registrations.js';
import { OrphanDialogs } from './sip/orphans.js';
import { SipSeatDialer } from './sip/seat-dialer.js';
import { AcdEventWriter, migrate, openPgStore, sessionCallRecordSink, type PgStore } from './store/pg/index.js';
import { RedisAcdStore } from './store/redis/acd-store.js';
import { createRedisClient, type RedisClient } from './store/redis/client.js';
import { keyPrefix } from './store/redis/keys.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookRepository } from './webhooks/repository.js';
import { planRules, type PlanRules } from './acd/peak-plan.js';
import { planRuleFromEnv } from './config/index.js';
import { applyPlanEffects, type PlanAgentService } from './plan/effects.js';
import { PlanEvaluator } from './plan/evaluator.js';
import { PlanGate } from './plan/gate.js';
import { PlanService } from './plan/service.js';
import { PlanRepository } from './store/pg/plan.js';
import { RedisPlanStore } from './store/redis/plan-store.js';
import { AcdCallbackRouting } from './callbacks/acd-routing.js';
import { parseDeadlineDays, type CallbackPolicy } from './callbacks/deadline.js';
import { CallbackDispatcher } from './callbacks/dispatcher.js';
import { registerCallbackMetrics } from './callbacks/metrics.js';
import { limitedGate, type CallbackCaller, type CallbackGate, type CallbackRouting } from './callbacks/ports.js';
import { isCallbackQueue, withCallbackQueues } from './callbacks/queues.js';
import { CallbackService } from './callbacks/service.js';
import { abandonedCallbackSink, ivrCallbackSink } from './callbacks/sinks.js';
import { CallbackCalls } from './call/callback-call.js';
import type { Calendar } from './ivr/calendar.js';
import { RedisCallbackSlots } from './store/redis/callback-slots.js';
import { SipTrunkDialer } from './sip/trunk-dialer.js';
import { ReviewRepository } from './store/pg/reviews.js';
import { ReviewService } from './reviews/service.js';
import { OverdueReviews } from './reviews/overdue-count.js';
import { parseCategories } from './workflow/work-order-rules.js';
import { ProviderRepository } from './workflow/providers.js';
import { calendarFrom, WorkOrderService } from './workflow/work-orders.js';

/**
 * The composition root: the one place that reads the config, builds the adapters and passes them to the services
 * (DESIGN.md rule 4: no service locator). Start-up is a list of steps; each step that holds a resource registers a
 * Component, and shutdown walks that list: stop taking work, drain (bounded by SHUTDOWN_DRAIN_MS), close in reverse.
 */
export interface Component {
  name: string;
  /** Refuse new work (new calls, new offers); work under way carries on. */
  stopAccepting?: () => void | Promise<void>;
  /** Resolves when the work under way has finished. */
  drain?: () => Promise<void>;
  close: () => Promise<void>;
}

export interface Server {
  readonly config: Config;
  readonly logger: Logger;
  readonly pg: PgStore;
  readonly redis: RedisClient;
  /** The validated flows and queues new calls start on (hot-reloaded from FLOWS_DIR). */
  readonly flows: FlowRegistry;
  readonly http: FastifyInstance;
  /** Where the HTTP API listens, e.g. http://127.0.0.1:8080. */
  readonly httpUrl: string;
  /** Stop taking work, drain, close everything. Safe to call more than once. */
  shutdown(reason: string): Promise<void>;
  /** Cut a shutdown's drain short (a second signal). */
  skipDrain(): void;
}

export async function startServer(config: Config, logger: Logger & PinoLogger = createLogger(config.LOG_LEVEL)): Promise<Server> {
  const components: Component[] = [];
  let draining = false;
  const clock = new SystemClock();
  try {
    // 0. What the operator can get wrong without a network: ports in use, addresses this machine does not have,
    //    well-known default secrets towards other hosts. Checked first, so they fail (or warn) in one line at once.
    await checkListen('HTTP', config.HTTP_HOST, config.HTTP_PORT);
    if (config.TELEPHONY_ENABLED) {
      // One outbound event-socket listener per media server (FSMRF_LISTEN_PORT + its index in FREESWITCH_SERVERS).
      for (const [i, m] of mediaServersFromEnv(config).entries()) {
        const what = i === 0 ? "fsmrf's event-socket listener (FSMRF_LISTEN_PORT)" : `fsmrf's event-socket listener for ${m.name} (FSMRF_LISTEN_PORT+${i})`;
        await checkListen(what, config.FSMRF_LISTEN_ADDRESS, m.listenPort);
      }
      for (const w of defaultSecretWarnings(config)) logger.warn({ security: true }, w);
    }

    // 1. PostgreSQL: bring the schema up to date, then the repositories and the outage spool's background replay.
    //    Every connection and query is time-limited, so a frozen server fails start-up instead of hanging it.
    const limits = { connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS, statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS, queryTimeoutMs: config.PG_QUERY_TIMEOUT_MS };
    await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, logger, limits });
    const pg = openPgStore({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, spoolDir: config.PG_SPOOL_DIR, clock, logger, limits });
    components.push({ name: 'postgres', close: () => pg.close() });
    // A dissatisfied rating becomes a review task in the transaction that stores its call record (standard §6), so
    // the hook is in place before the spool's replay starts: a record replayed from an earlier outage gets its task.
    const webhooks = new WebhookRepository(pg.db);
    const reviewTasks = new ReviewRepository(pg.db, webhooks);
    const reviewPolicy = { dissatisfied: config.REVIEW_DISSATISFIED_RATINGS, dueMs: config.REVIEW_DUE_MINUTES * 60_000 };
    pg.callRecords.onInserted(reviewTasks.recordHook(() => reviewPolicy, () => clock.now()), (err, record) =>
      logger.error({ err, callId: record.callId }, 'review task not created; the call record is stored'),
    );
    pg.recorder.start();

    // 2. Redis: queues, agent state, leases. The ACD core builds on this connection (one server, the master Sentinel
    //    names, or a Redis Cluster: docs/redis-topology.md).
    const topology = redisTopology(config);
    const redis = createRedisClient(topology, { maxRetriesPerRequest: 1, connectionName: `hotline-acd:${config.HOTLINE_ID}` });
    let lastRedisError: Error | undefined;
    const onRedisError = (err: Error) => {
      lastRedisError = err;
      logger.warn({ err }, 'Redis connection error');
    };
    redis.on('error', onRedisError);
    components.push({
      name: 'redis',
      close: async () => {
        // QUIT on a dead connection would wait for a reconnect that may never come.
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
        redis.off('error', onRedisError);
      },
    });
    try {
      await redis.connect();
    } catch (e) {
      // connect() only says "Connection is closed"; the socket error before it names the cause.
      const why = lastRedisError?.message ?? (e instanceof Error ? e.message : String(e));
      const where = topology.kind === 'single' ? `Redis at ${redactUrl(config.REDIS_URL)}` : describeRedis(topology);
      throw new HotlineError('REDIS_UNAVAILABLE', `cannot connect to ${where}: ${why}`, {}, { cause: e });
    }

    // 2b. The ACD's event stream (Redis) persisted into PostgreSQL: offers with outcome and rings, agent state
    //     history. Every instance runs a writer; the cursor lock lets one write at a time, each event once.
    //     In the same transaction it queues webhook deliveries; the dispatcher posts them apart from any call.
    const metrics = new ApiMetrics({ defaultMetrics: true });
    const events = new AcdEventWriter({
      sinks: [webhooks],
      onCommitted: metrics.acdEventsObserver({ onMs: config.RING_ON_MS, offMs: config.RING_OFF_MS }),
      db: pg.db,
      source: new RedisAcdStore({ redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS }),
      stream: config.HOTLINE_ID,
      ringOnMs: config.RING_ON_MS,
      ringOffMs: config.RING_OFF_MS,
      clock,
      logger: logger.child({ component: 'acd-events' }),
    });
    events.start();
    // Registered before telephony, so it closes after it: the last calls' events are still written.
    components.push({
      name: 'acd-events',
      close: async () => {
        await events.stop();
        await events.pump().catch(() => 0);
      },
    });
    metrics.setPipelineSources({ spoolDepth: () => pg.recorder.spoolDepth(), eventWriterLagMs: () => events.lagMs() });
    const hooks = new WebhookDispatcher({ repo: webhooks, clock, logger: logger.child({ component: 'webhooks' }), instanceId: config.INSTANCE_ID ?? `${hostname()}-${process.pid}`, observer: metrics.webhookObserver() });
    hooks.start();
    components.push({ name: 'webhooks', close: () => hooks.stop() });

    // 3. Flows and queues: FLOWS_DIR validated into the registry and re-read on every edit (a broken edit is refused
    //    and the last good version keeps serving). Each new good queues.yaml is persisted to PostgreSQL.
    const flows = new FlowRegistry();
    const flowLog = logger.child({ component: 'flows' });
    let syncedQueues: QueueDefinition[] | undefined;
    const syncQueues = async (): Promise<void> => {
      const queues = flows.queues();
      if (!queues || queues === syncedQueues) return;
      try {
        await pg.queues.upsertAll(queues);
        syncedQueues = queues;
        flowLog.info({ queues: queues.map((q) => q.id) }, 'queue definitions saved');
      } catch (err) {
        // Retried on the next reload; routing does not wait for the report tables.
        flowLog.error({ err }, 'queue definitions not saved');
      }
    };
    // Once telephony runs, a good edit of queues.yaml also reaches the ACD's routing (Redis), not only the reports.
    let routeQueues: ((queues: QueueDefinition[]) => Promise<void>) | undefined;
    let routedQueues: QueueDefinition[] | undefined;
    const rerouteQueues = async (): Promise<void> => {
      const queues = flows.queues();
      if (!routeQueues || !queues || queues === routedQueues) return;
      try {
        await routeQueues(queues);
        routedQueues = queues;
        flowLog.info({ queues: queues.map((q) => q.id) }, 'queue definitions routed');
      } catch (err) {
        flowLog.error({ err }, 'queue definitions not routed; the previous ones keep routing');
      }
    };
    const reloader = new SyncingReloader(config.FLOWS_DIR, flows, clock, flowLog, async () => {
      await syncQueues();
      await rerouteQueues();
    });
    await reloader.reload();
    const watcher = watchFlows(config.FLOWS_DIR, reloader, clock, flowLog);
    components.push({ name: 'flows', close: () => Promise.resolve(watcher.close()) });

    // 3a. Workflow deadlines (standard §6 reviews): any live instance sweeps; the conditional UPDATE flags each once.
    const reviews = new ReviewService({
      reviews: reviewTasks,
      callbacks: pg.callbacks,
      calendarFor: (flowId) => (flowId !== null ? flows.byId(flowId)?.calendar : undefined) ?? flows.flows().find((f) => f.calendar)?.calendar,
      clock,
    });
    const overdueReviews = new OverdueReviews(() => reviews.overdueCount(), () => clock.now());
    metrics.setPipelineSources({ reviewsOverdue: () => overdueReviews.read() });
    const workflowLog = logger.child({ component: 'workflows' });
    const workflows = new Housekeeping(clock, workflowLog);
    workflows.every('review-overdue', config.REVIEW_SWEEP_MS, async () => {
      const flagged = await reviews.sweep();
      if (flagged.length === 0) return;
      overdueReviews.invalidate();
      workflowLog.warn({ reviews: flagged.map((t) => ({ id: t.id, callId: t.callId, assignee: t.assigneeAgentId })) }, 'reviews overdue');
    });
    components.push({ name: 'workflows', close: () => workflows.close() });

    // 3b. Live KPIs: counters in Redis from the ACD's event stream and each call record (every instance counts, each
    //     event once, guarded by the cursor), read by the API, the wallboard and /metrics.
    const kpis = createLiveKpis({
      redis,
      hotlineId: config.HOTLINE_ID,
      clock,
      events: new RedisAcdStore({ redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS }),
      queues: () => flows.queues() ?? [],
      windowSec: config.KPI_WINDOW_SEC,
      names: async () => new Map((await pg.agents.list()).map((a) => [a.id, a.name])),
      logger: logger.child({ component: 'kpis' }),
      // Idle, one GET and one XRANGE each 200 ms; a change then reaches the wallboards within ~0.2 s (kpis.changes).
      pollMs: 200,
    });
    kpis.counter.start();
    components.push({ name: 'kpis', close: () => kpis.counter.stop() });

    // 3c. The peak-load emergency plan (standard §5): its state in Redis, its records in PostgreSQL. The gate is read
    //     by the agent-state service (breaks, leave) and the callbacks dialler (PlanGate.callbacksAllowed).
    const planStore = new RedisPlanStore(redis, config.HOTLINE_ID);
    const planRecords = new PlanRepository(pg.db);
    const planGate = new PlanGate(planStore, clock, { campaignCallbackSeats: config.PLAN_CAMPAIGN_CALLBACK_SEATS });
    const planService = new PlanService({ shared: planStore, records: planRecords, gate: planGate, clock });
    // 3c. Callback tasks (issue 11 §3): one service for the API, the CLI, the IVR node and the abandoned-call rule.
    //     Deadlines in working days on CALLBACK_CALENDAR from the live flows.
    const callbackPolicy: CallbackPolicy = {
      deadlineDays: parseDeadlineDays(config.CALLBACK_DEADLINE_DAYS),
      maxAttempts: config.CALLBACK_MAX_ATTEMPTS,
      retrySpacingMs: config.CALLBACK_RETRY_MS,
    };
    const callbackCalendar = (): Calendar | undefined => {
      for (const f of flows.flows()) {
        const cal = f.calendars.get(config.CALLBACK_CALENDAR);
        if (cal) return cal;
      }
      return undefined;
    };
    const callbacks = new CallbackService({
      repo: pg.callbacks,
      calendar: callbackCalendar,
      policy: callbackPolicy,
      clock,
      defaultQueue: () => flows.queues()?.[0]?.id,
    });
    const callbackLog = logger.child({ component: 'callbacks' });
    const callbackMetrics = registerCallbackMetrics(metrics.registry, { overdue: () => pg.callbacks.countOverdue(clock.now()) });
    // The peak plan limits callbacks (standard §5: none at level ≥ 1, at most 2 seats during a planned peak).
    const callbackGate: CallbackGate = limitedGate(config.CALLBACK_MAX_SEATS, planGate);
    // 3c. Work orders and complaints (standard §3, §6, §7): one service for the API and `acd work-orders`. Every
    //     instance sweeps the deadlines (escalation WORK_ORDER_ACCEPT_MINUTES after dispatch, complaints unanswered
    //     after 1 working day); a conditional UPDATE flags each once, whichever instance gets there first.
    const workOrders = new WorkOrderService({
      db: pg.db,
      webhooks,
      clock,
      logger: logger.child({ component: 'work-orders' }),
      categories: parseCategories(config.WORK_ORDER_CATEGORIES),
      acceptWithinMs: config.WORK_ORDER_ACCEPT_MINUTES * 60_000,
      calendar: () => calendarFrom(flows, config.WORK_ORDER_CALENDAR),
      liveCalls: new RedisAcdStore({ redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS }),
    });
    const workflowChores = new Housekeeping(clock, logger.child({ component: 'workflow' }));
    workflowChores.every('work-order-deadlines', config.WORK_ORDER_SWEEP_MS, () => workOrders.sweep());
    components.push({ name: 'workflow', close: () => workflowChores.close() });
    metrics.setPipelineSources({ workOrders: () => workOrders.gauges() });

    // 4. Telephony starts here: drachtio-srf (SIP) and drachtio-fsmrf (media) adapters, the call sessions and the ACD
    //    dispatcher. Register a Component whose stopAccepting() answers new INVITEs 503 and whose drain() resolves
    //    when the last call has run its cleanup path. Call records go to sessionCallRecordSink(pg.recorder).
    let agentService: AgentService | undefined;
    let liveCalls: CallRegistry | undefined;
    let callbackDialer: { routing: CallbackRouting; caller: CallbackCaller } | undefined;
    let hangUpOrphans: ((r: ReapResult) => void) | undefined;
    let mediaHealth: HealthCheck | undefined;
    if (config.TELEPHONY_ENABLED) {
      const telephony = await startTelephony({
        config,
        logger,
        clock,
        redis,
        flows,
        agents: pg.agents,
        skills: () => pg.skills.list(),
        records: abandonedCallbackSink(
          metrics.countRecords(kpis.counter.countingSink(sessionCallRecordSink(pg.recorder, config.INSTANCE_ID ?? `${hostname()}-${process.pid}`))),
          callbacks,
          { enabled: queueList(config.CALLBACK_ABANDONED_QUEUES), minWaitSec: config.CALLBACK_ABANDONED_MIN_WAIT_SEC },
          callbackLog,
        ),
        callbackData: ivrCallbackSink(callbacks, callbackLog),
        metrics,
        plan: planGate,
      });
      callbackDialer = telephony.callbackDialer;
      mediaHealth = telephony.mediaHealth;
      agentService = telephony.agents;
      liveCalls = telephony.calls;
      hangUpOrphans = telephony.hangUpOrphans;
      components.push(telephony);
      routedQueues = flows.queues();
      routeQueues = telephony.configureQueues;
    } else logger.info('telephony disabled (TELEPHONY_ENABLED=false)');

    // 4b. The callback dispatcher on every instance: flags overdue tasks (PostgreSQL, once), and with telephony and a
    //     trunk dials due ones while the line is open and the gate allows, at most N seats across instances.
    const callbackChores = new Housekeeping(clock, callbackLog);
    const instanceId = config.INSTANCE_ID ?? `${hostname()}-${process.pid}`;
    const dispatcher = new CallbackDispatcher(
      {
        tasks: pg.callbacks,
        gate: callbackDialer ? callbackGate : { callbacksAllowed: () => Promise.resolve({ allowed: false, maxSeats: 0 }) },
        slots: new RedisCallbackSlots(redis, config.HOTLINE_ID),
        routing: callbackDialer?.routing ?? { reserve: () => Promise.resolve(undefined) },
        caller: callbackDialer?.caller ?? { place: () => Promise.reject(new Error('no trunk')) },
        records: pg.recorder,
        calendar: callbackCalendar,
        defaultQueue: () => flows.queues()?.[0]?.id,
        policy: callbackPolicy,
        clock,
        log: callbackLog,
        onOverdue: (n) => callbackMetrics.flagged(n),
      },
      { instanceId, leaseMs: config.CALLBACK_LEASE_MS, offerWindowMs: 10_000, noAgentBackoffMs: 60_000 },
    );
    callbackChores.every('callbacks', config.CALLBACK_SWEEP_MS, () => dispatcher.sweep());
    components.push({ name: 'callbacks', stopAccepting: () => callbackChores.close(), drain: () => dispatcher.stop(), close: () => callbackChores.close() });
    if (!callbackDialer) callbackLog.info('callbacks are not dialled here (telephony off or SIP_TRUNK empty); overdue tasks are still flagged');

    // Operator commands (hang-up) relayed over Redis pub/sub to the instance carrying the call; this one answers for its own.
    const calls = liveCalls;
    const callCommands = new RedisCallCommands({
      redis,
      hotlineId: config.HOTLINE_ID,
      // The same id startTelephony uses for the ACD (offers, leases, calls' ownerInstance).
      instanceId: config.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
      handler: calls && { hangup: (id) => calls.hangup(id).status },
      log: logger.child({ component: 'call-commands' }),
    });
    await callCommands.start();
    components.push({ name: 'call-commands', close: () => callCommands.stop() });

    const ops = apiOps({ config, clock, pg, redis, flows, reload: () => reloader.reload(), metrics, agentService, callCommands, kpis: kpis.source, plan: { gate: planGate, service: planService, level: () => planStore.level() }, reviews: { service: reviews, overdue: overdueReviews }, onReaped: hangUpOrphans });

    // 4b. The plan's evaluator and the campaigns' Redis copy: chores on every instance; one evaluates per tick (lock).
    //     Its effects go through the same agent-state service as the seats and the API.
    components.push(startPeakPlan({ config, clock, logger, redis, pg, flows, planStore, planRecords, planService, service: ops.agentState }));

    // 5. HTTP: health probe now; admin/agent API and wallboard later. Last to start, so /healthz only answers once
    //    everything it reports on exists.
    const http = buildApi({
      logger,
      isDraining: () => draining,
      health: [
        { name: 'postgres', check: () => pg.db.ping() },
        // A keyed read, not PING: on a cluster it asks the master of the hotline's slot, the one the ACD needs.
        { name: 'redis', check: async () => void (await redis.exists(`${keyPrefix(config.HOTLINE_ID)}seq`)) },
        flowsHealthCheck(() => flows.health()),
        // With telephony: ready while at least one media server takes calls.
        ...(mediaHealth ? [mediaHealth] : []),
      ],
      // The wallboard stream pushes when the counter has counted a change, not only once a second.
      ops: { ...ops, callbacks, wallboard: { changes: kpis.changes }, workOrders: { service: workOrders, providers: new ProviderRepository(pg.db) } },
    });
    await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT }).catch((err: unknown) => {
      throw listenFailed('HTTP', config.HTTP_HOST, config.HTTP_PORT, err);
    });
    components.push({ name: 'http', close: () => http.close() });
    const addr = http.server.address();
    const httpUrl = typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
    logger.info({ httpUrl, schema: config.DATABASE_SCHEMA, telephony: config.TELEPHONY_ENABLED }, 'hotline-acd started');

    let stopping: Promise<void> | undefined;
    let cutDrain: (() => void) | undefined;
    const drainCut = new Promise<void>((resolve) => {
      cutDrain = resolve;
    });
    return {
      config,
      logger,
      pg,
      redis,
      flows,
      http,
      httpUrl,
      skipDrain: () => cutDrain?.(),
      shutdown: (reason: string) => {
        stopping ??= (async () => {
          draining = true;
          logger.info({ reason, drainMs: config.SHUTDOWN_DRAIN_MS }, 'shutting down: no new work, draining');
          await stopComponents(components, config.SHUTDOWN_DRAIN_MS, drainCut, logger);
          logger.info('hotline-acd stopped');
        })();
        return stopping;
      },
    };
  } catch (e) {
    await closeAll(components, logger);
    throw e;
  }
}

interface PeakPlanDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  redis: RedisClient;
  pg: PgStore;
  flows: FlowRegistry;
  planStore: RedisPlanStore;
  planRecords: PlanRepository;
  planService: PlanService;
  service: PlanAgentService;
}

/** The peak plan's chores: evaluate every PLAN_EVAL_MS (whichever instance takes the lock), refresh the campaigns' copy. */
function startPeakPlan(d: PeakPlanDeps): Component {
  const { config, clock } = d;
  const log = d.logger.child({ component: 'peak-plan' });
  const hotlineRule = planRuleFromEnv(config);
  let rulesFor: readonly QueueDefinition[] | undefined;
  let rules: PlanRules = { hotline: hotlineRule, queues: {} };
  // Recomputed when queues.yaml changes (a good edit); a queue whose override does not fit PLAN_* is said once.
  const currentRules = (): PlanRules => {
    const queues = d.flows.queues();
    if (queues !== rulesFor) {
      rulesFor = queues;
      const r = planRules(hotlineRule, queues ?? []);
      for (const s of r.skipped) log.warn({ queueId: s.queueId, problems: s.problems }, 'queues.yaml peakPlan does not fit the PLAN_* settings: the queue follows the hotline rule only');
      rules = r.rules;
    }
    return rules;
  };
  const acd = new RedisAcdStore({ redis: d.redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS });
  const evaluator = new PlanEvaluator({
    store: d.planStore,
    clock,
    log,
    instance: config.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    rules: currentRules,
    queueIds: () => (d.flows.queues() ?? []).map((q) => q.id),
    effects: (t, overall) =>
      applyPlanEffects(
        {
          service: d.service,
          agents: async () => (await acd.snapshot()).agents,
          supervisors: () => d.planRecords.supervisors(),
          drafted: { add: (ids) => d.planStore.addDrafted(ids), list: () => d.planStore.drafted(), remove: (ids) => d.planStore.removeDrafted(ids) },
          log,
        },
        t,
        overall,
      ),
    record: (t, extra, now) => d.planRecords.record(t, extra, now),
  });
  const housekeeping = new Housekeeping(clock, log);
  housekeeping.every('peak-plan', config.PLAN_EVAL_MS, () => evaluator.tick());
  housekeeping.every('plan-campaigns', 5_000, () => d.planService.refreshCampaigns());
  return { name: 'peak-plan', close: () => housekeeping.close() };
}

interface TelephonyDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  redis: RedisClient;
  flows: FlowRegistry;
  /** The agents table: every seat's credentials for the SeatDirectory, profiles for log-in. */
  agents: SeatCredentialSource & { get(id: string): Promise<{ id: string; name: string; skills: AgentSkill[] } | undefined> };
  skills: () => Promise<string[]>;
  records: CallRecordSink;
  /** What the IVR saves (callback requests become tasks). */
  callbackData: CallDataSink;
  metrics: ApiMetrics;
  /** The peak-load plan's gate: breaks refused while it is active, leave during campaigns (src/plan/gate.ts). */
  plan: PlanGate;
}

/** A comma list of queue ids, `*` for all, empty for none. */
export function queueList(spec: string): (queueId: string) => boolean {
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.includes('*')) return () => true;
  // An empty variable means the default (src/config/index.ts), so "no queue" needs a word of its own.
  if (items.length === 1 && items[0] === 'none') return () => false;
  const set = new Set(items);
  return (q) => set.has(q);
}

/**
 * Step 4 of start-up, telephony: drachtio-server (SIP), FreeSWITCH (media), the ACD on Redis with its housekeeping,
 * the registrar, the INVITE handler and the call sessions. Returns the Component startServer registers, plus the
 * hook that routes a good edit of queues.yaml.
 */
async function startTelephony(d: TelephonyDeps): Promise<
  Component & {
    configureQueues: (queues: QueueDefinition[]) => Promise<void>;
    agents: AgentService;
    calls: CallRegistry;
    callbackDialer: { routing: CallbackRouting; caller: CallbackCaller } | undefined;
    mediaHealth: HealthCheck;
    /** Ends the SIP dialogs of a dead instance's calls that a reap handed back (ReapResult.orphans). */
    hangUpOrphans: (r: ReapResult) => void;
  }
> {
  const { config, clock } = d;
  const log = d.logger.child({ component: 'telephony' });
  const instanceId = config.INSTANCE_ID ?? `${hostname()}-${process.pid}`;

  // 0. Seat credentials in memory, refreshed from PostgreSQL: no INVITE or REGISTER waits on PostgreSQL.
  const seats = new SeatDirectory(d.agents, clock, log, { refreshMs: config.SEATS_REFRESH_MS });
  await seats.start();

  // 1. SIP: drachtio-server's admin socket (retried visibly, bounded by DRACHTIO_CONNECT_TIMEOUT_MS).
  const srf = await connectDrachtio(
    { host: config.DRACHTIO_HOST, port: config.DRACHTIO_PORT, secret: config.DRACHTIO_SECRET, timeoutMs: config.DRACHTIO_CONNECT_TIMEOUT_MS },
    clock,
    log,
  ).catch(async (e: unknown) => {
    await seats.close();
    throw e;
  });

  // 2. Media: every FreeSWITCH of FREESWITCH_SERVERS (event socket, and fsmrf's listener for its outbound
  //    connections). Start-up fails only when none is reachable; the others keep being retried in the background.
  const mediaLog = log.child({ component: 'media' });
  const media = new MediaPool<FsmrfLeg>(
    fsmrfPoolServers(srf, mediaServersFromEnv(config), { listenAddress: config.FSMRF_LISTEN_ADDRESS, control: config.MEDIA_CONTROL, esl: d.metrics.eslObserver() }, clock, mediaLog),
    clock,
    mediaLog,
    { heartbeatStaleMs: config.MEDIA_HEARTBEAT_STALE_MS, backoffMs: config.MEDIA_BACKOFF_MS, pingIntervalMs: config.MEDIA_PING_MS },
  );
  try {
    await media.start();
  } catch (e) {
    disconnectDrachtio(srf);
    await seats.close();
    throw e;
  }

  // 3. The ACD on Redis: queues from the flows, skills from the agents database; lease, tick and reap.
  const store = new RedisAcdStore({ redis: d.redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS, observer: d.metrics.redisObserver() });
  media.observe(d.metrics.mediaObserver());
  d.metrics.setPipelineSources({ mediaServers: () => media.servers() });
  let predecessor: ReapResult | undefined;
  // Also run on every good edit of queues.yaml (main.ts), so routing follows the admin's file without a restart.
  const configureQueues = async (queues: QueueDefinition[]): Promise<void> => {
    const skills = new Set(await d.skills());
    for (const q of queues) for (const r of q.requiredSkills) skills.add(r.skill);
    // Each queue's shadow callback queue (src/callbacks/queues.ts): callbacks reach agents through the same atomic match.
    await store.configure({ skills: [...skills], queues: withCallbackQueues(queues) });
  };
  try {
    await configureQueues(d.flows.queues() ?? []);
    // A predecessor under this id (a crash and a restart faster than the lease: a fixed INSTANCE_ID, or a
    // container's same host name and pid) is dead: its calls and agents are reaped now, not held by our renewals.
    await store.expireLease(instanceId);
    predecessor = await store.reap();
    await store.renewLease(instanceId);
  } catch (e) {
    media.close();
    disconnectDrachtio(srf);
    await seats.close();
    throw e;
  }
  const housekeeping = new Housekeeping(clock, log);
  housekeeping.every('lease', Math.max(500, Math.floor(config.LEASE_MS / 3)), () => Promise.resolve(store.renewLease(instanceId)));
  // A dead instance's calls come back from reap once, to the instance that reaped it (here, or the API's reap for an
  // operator's hang-up): their SIP dialogs are ended from here. drachtio-server gives nobody else a dead application's
  // dialogs, and FreeSWITCH keeps a bridged channel up when its event socket closes.
  const orphans = new OrphanDialogs(srf, log);
  const hangUpOrphans = (reaped: ReapResult): void => {
    log.warn({ instances: reaped.deadInstances, calls: new Set([...reaped.removedCalls, ...reaped.orphans.map((o) => o.callId)]).size, freedAgents: reaped.freedAgents }, 'reaped instances whose lease ran out');
    if (reaped.orphans.length === 0) return;
    orphans.hangUp(reaped.orphans).then(
      (r) => log.info({ calls: reaped.orphans.length, ...r }, "dead instance's calls hung up"),
      (err: unknown) => log.warn({ err }, "dead instance's calls not hung up"),
    );
  };
  if (predecessor && predecessor.deadInstances.length > 0) hangUpOrphans(predecessor);
  housekeeping.every('tick-reap', 1000, async () => {
    await store.tick();
    const reaped = await store.reap();
    if (reaped.deadInstances.length > 0) hangUpOrphans(reaped);
  });
  const acd = new AcdBridge(store, clock, log, { instanceId, pollMs: 100 });
  acd.start();

  // 4. Seats, security, agent state.
  const registrations = new RegistrationStore(d.redis, config.HOTLINE_ID);
  const limiter = new FailureLimiter(clock, {
    maxFailures: config.AUTH_MAX_FAILURES,
    windowMs: config.AUTH_FAILURE_WINDOW_MS,
    blockMs: config.AUTH_BLOCK_MS,
  });
  const authenticate = createAuthenticator(seats, config.SIP_DOMAIN, limiter);
  const authenticateRegister = createAuthenticator(seats.forRegister, config.SIP_DOMAIN, limiter);
  const agents = new AgentService(store, {
    profile: async (id) => {
      const a = await d.agents.get(id);
      return a ? { id: a.id, name: a.name, skills: a.skills } : undefined;
    },
  }, {
    // An agent without a live seat registration gets no offers (app_queue skips unavailable devices).
    liveUntil: (id) => registrations.liveUntil(id, clock.now()),
    plan: d.plan,
  });

  // 5. Calls.
  // Admission control (src/call/admission.ts): inbound set-ups report their own latency and outcome
  // (src/sip/inbound.ts), so media.onSetupFailure is no longer needed here.
  const loopLoad = new EventLoopLoad();
  loopLoad.start();
  const admission = new AdmissionController(
    clock,
    {
      softIdleCpu: config.MEDIA_SOFT_IDLE_CPU,
      hardIdleCpu: config.MEDIA_MIN_IDLE_CPU,
      latencyTargetMs: config.SETUP_LATENCY_TARGET_MS,
      maxSetups: config.SETUP_LIMIT_MAX,
      loopBusySoft: config.APP_LOOP_BUSY_SOFT,
      loopBusyMax: config.APP_LOOP_BUSY_MAX,
      mediaLagSoftMs: config.MEDIA_LAG_SOFT_MS,
      mediaLagMaxMs: config.MEDIA_LAG_MAX_MS,
      rateFloor: config.ADMIT_RATE_FLOOR,
    },
    // The idle CPU of the server the next call would go to; with no media server in service every call sheds.
    () => media.cpuIdle,
    () => media.healthyCount,
    () => loopLoad.busy(),
    () => media.controlLagMs,
  );
  d.metrics.setPipelineSources({ admission: () => admission.state() });
  const registry = new CallRegistry(clock, config.MAX_CONCURRENT_CALLS, admission, d.metrics.shedObserver());
  const promptDir = resolve(config.FLOWS_DIR, 'prompts', 'zh');
  const p = (id: string): string => join(promptDir, `${id}.wav`);
  const policy: QueuePolicy = {
    // queues.yaml `telephony:` first; the environment lists are the default for queues that do not say.
    silentAuto: queueOption(() => d.flows.queues(), 'silentCall', queueList(config.SILENT_CALL_QUEUES)),
    silentSec: config.SILENT_CALL_SEC,
    silentAgentKey: config.SILENT_CALL_AGENT_KEY,
    lateWhisper: queueOption(() => d.flows.queues(), 'lateWhisper', queueList(config.LATE_WHISPER_QUEUES)),
    record: queueOption(() => d.flows.queues(), 'record', queueList(config.RECORD_QUEUES)),
    releaseMedia: queueOption(() => d.flows.queues(), 'releaseMedia', queueList(config.MEDIA_RELEASE_QUEUES)),
  };
  const isQueue = (id: string): boolean => (d.flows.queues() ?? []).some((q) => q.id === id);
  // Every answered dialog (caller, seat, callback customer) is pinged with in-dialog OPTIONS: one whose far end
  // vanished without a BYE is ended as if it had hung up (SIP_KEEPALIVE_SEC, 0 = never).
  const keepalive = config.SIP_KEEPALIVE_SEC > 0 ? { intervalSec: config.SIP_KEEPALIVE_SEC, clock, log } : undefined;
  const seatDialer = new SipSeatDialer(srf, media, registrations, clock, log, config.SIP_DOMAIN, keepalive);
  const hotline = new HotlineCalls({
    data: d.callbackData,
    session: {
      clock,
      acd,
      seats: seatDialer,
      records: d.records,
      prompts: {
        // "The caller waited 2 minutes 5 seconds, please apologise first", numbers said from the number prompts.
        lateWhisper: lateWhisperFiles(resolve(config.FLOWS_DIR, 'prompts')),
        silentHello: [p('silent-1')],
        silentGoodbye: [p('silent-goodbye')],
        transferring: [p('transfer')],
      },
      ring: { onMs: config.RING_ON_MS, offMs: config.RING_OFF_MS },
      instanceId,
      recordingsDir: resolve(config.RECORDINGS_DIR),
      transfers: {
        resolve: (target): TransferTarget | undefined =>
          isQueue(target) ? { kind: 'queue', queueId: target } : d.flows.byId(target) ? { kind: 'flow', flowId: target } : undefined,
      },
    },
    log,
    registry,
    store,
    flows: d.flows,
    files: defaultPromptFiles(resolve(config.FLOWS_DIR, 'prompts')),
    policy,
    // Returning callers: who served this number last, from the ACD's Redis record (never PostgreSQL on a call).
    returning: { lastServed: async (caller) => await store.lastServed(caller) },
    // Position and expected-wait announcements: Erlang wait for the caller's position, from the agents staffing the queue.
    wait: erlangWaitEstimator(
      new AcdQueueLoad({
        store,
        queues: () => d.flows.queues(),
        // A caller's announcement must not fail with PostgreSQL: without the skills, the estimate is left out.
        skillsOf: async (agentId) => (await d.agents.get(agentId).catch(() => undefined))?.skills,
        clock,
      }),
    ),
  });

  installRegistrar(srf, {
    authenticate: authenticateRegister,
    creds: seats.forRegister,
    registrations,
    limiter,
    clock,
    log,
    minExpires: config.REGISTER_MIN_EXPIRES,
    maxExpires: config.REGISTER_MAX_EXPIRES,
    onRegistered: (agentId) => {
      agents.login(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'log-in on REGISTER failed'));
    },
    onUnregistered: (agentId) => {
      agents.seatChanged(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'seat change on un-REGISTER failed'));
    },
  });
  installInbound({
    srf,
    media,
    registry,
    flows: d.flows,
    creds: seats,
    authenticate,
    limiter,
    agents,
    hotline,
    log,
    seatOutboundPattern: config.SEAT_OUTBOUND_PATTERN === '' ? undefined : new RegExp(`^(?:${config.SEAT_OUTBOUND_PATTERN})$`),
    trunkUri: config.SIP_TRUNK === '' ? undefined : config.SIP_TRUNK,
    featurePrompts: { ok: ['tone_stream://%(300,100,880)'], failed: ['tone_stream://%(150,100,400);loops=3'] },
    keepalive,
  });
  log.info({ instanceId, queues: (d.flows.queues() ?? []).map((q) => q.id) }, 'telephony ready');

  // Callbacks: an agent reserved by the ACD on the callback queue, its seat rung, then the customer via SIP_TRUNK.
  const wrapUpOf = (queueId: string): number => {
    const id = isCallbackQueue(queueId) ? queueId.slice('callback:'.length) : queueId;
    return (d.flows.queues() ?? []).find((q) => q.id === id)?.wrapUpSec ?? 0;
  };
  const callbackDialer =
    config.SIP_TRUNK === ''
      ? undefined
      : {
          routing: new AcdCallbackRouting(acd, clock, instanceId, wrapUpOf),
          caller: new CallbackCalls({
            seats: seatDialer,
            trunk: new SipTrunkDialer(srf, media, config.SIP_TRUNK, config.SIP_DOMAIN, log, keepalive),
            clock,
            log,
            ring: { rings: 3, onMs: config.RING_ON_MS, offMs: config.RING_OFF_MS },
            customerRingMs: config.CALLBACK_CUSTOMER_RING_SEC * 1000,
            // China's ring-back: 450 Hz, 1 s on 4 s off, until the trunk's early media or the answer.
            ringback: 'tone_stream://%(1000,4000,450);loops=-1',
            callerId: d.flows.flows()[0]?.numbers[0] ?? 'hotline',
          }),
        };

  return {
    name: 'telephony',
    configureQueues,
    agents,
    calls: registry,
    callbackDialer,
    mediaHealth: mediaHealthCheck(() => media.servers()),
    hangUpOrphans,
    stopAccepting: () => registry.stopAccepting(),
    drain: async () => {
      const r = await registry.drain(config.SHUTDOWN_DRAIN_MS);
      log.info(r, 'calls drained');
    },
    close: async () => {
      await housekeeping.close();
      await seats.close();
      acd.stop();
      loopLoad.stop();
      media.close();
      disconnectDrachtio(srf);
    },
  };
}

/** The IVR's reloader, plus a step after each reload (saving queue definitions); watchFlows calls reload(). */
class SyncingReloader extends FlowReloader {
  constructor(dir: string, registry: FlowRegistry, clock: SystemClock, logger: Logger, private readonly after: () => Promise<void>) {
    super(dir, registry, clock, logger);
  }

  override async reload(): ReturnType<FlowReloader['reload']> {
    const report = await super.reload();
    await this.after();
    return report;
  }
}

/**
 * The shutdown sequence: every component stops taking work, then all drain together for at most `drainMs` (or until
 * `cut` resolves), then they close in reverse start order, so what started first (the stores) closes last.
 */
export async function stopComponents(components: Component[], drainMs: number, cut: Promise<void>, logger: Logger): Promise<void> {
  for (const c of components) {
    try {
      await c.stopAccepting?.();
    } catch (err) {
      logger.error({ err, component: c.name }, 'stopAccepting failed');
    }
  }
  await drainWithin(components, drainMs, cut, logger);
  await closeAll(components, logger);
}

async function drainWithin(components: Component[], limitMs: number, cut: Promise<void>, logger: Logger): Promise<void> {
  const drains = components.flatMap((c) => (c.drain ? [c.drain()] : []));
  if (drains.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.allSettled(drains).then(() => 'drained' as const),
    new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), limitMs);
    }),
    cut.then(() => 'cut' as const),
  ]);
  clearTimeout(timer);
  if (outcome !== 'drained') logger.warn({ outcome, limitMs }, 'drain did not finish; closing with work under way');
}

async function closeAll(components: Component[], logger: Logger): Promise<void> {
  for (const c of [...components].reverse()) {
    try {
      await c.close();
    } catch (err) {
      logger.error({ err, component: c.name }, 'close failed');
    }
  }
  components.length = 0;
}

/**
 * Run until SIGINT or SIGTERM, then shut down cleanly. A second signal skips the rest of the drain. Resolves once
 * everything is closed; start-up failures reject (the CLI prints one line and exits 1).
 */
export async function runServer(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const removeLastResort = installLastResort(logger);
  const server = await startServer(config, logger).catch((e: unknown) => {
    removeLastResort();
    throw e;
  });
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        server.logger.warn({ signal }, 'second signal: skipping the drain');
        server.skipDrain();
        return;
      }
      server
        .shutdown(signal)
        .catch((err: unknown) => server.logger.error({ err }, 'shutdown failed'))
        .finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          removeLastResort();
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
