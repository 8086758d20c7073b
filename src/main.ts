import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger as PinoLogger } from 'pino';
import type { Config } from './config/index.js';
import { SystemClock } from './core/clock.js';
import { HotlineError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import { createLogger } from './logging.js';
import { buildApi } from './api/server.js';
import { ApiMetrics } from './api/metrics.js';
import type { AgentService } from './call/agent-service.js';
import { apiOps } from './api/wiring.js';
import { FlowRegistry } from './ivr/registry.js';
import { FlowReloader, watchFlows } from './ivr/watch.js';
import type { QueueDefinition } from './acd/model.js';
import { AcdEventWriter, migrate, openPgStore, sessionCallRecordSink, type PgStore } from './store/pg/index.js';
import { RedisAcdStore } from './store/redis/acd-store.js';
import { startTelephony } from './sip/telephony.js';

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
  readonly redis: Redis;
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
    // 1. PostgreSQL: bring the schema up to date, then the repositories and the outage spool's background replay.
    await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, logger });
    const pg = openPgStore({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, spoolDir: config.PG_SPOOL_DIR, clock, logger });
    components.push({ name: 'postgres', close: () => pg.close() });
    pg.recorder.start();

    // 2. Redis: queues, agent state, leases. The ACD core builds on this connection.
    const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: `hotline-acd:${config.HOTLINE_ID}` });
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
      throw new HotlineError('REDIS_UNAVAILABLE', `cannot connect to Redis at ${config.REDIS_URL}: ${why}`, {}, { cause: e });
    }

    // 2b. The ACD's event stream (Redis) persisted into PostgreSQL: offers with outcome and rings, agent state
    //     history. Every instance runs a writer; the cursor lock lets one write at a time, each event once.
    const events = new AcdEventWriter({
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

    // 4. Telephony starts here: drachtio-srf (SIP) and drachtio-fsmrf (media) adapters, the call sessions and the ACD
    //    dispatcher. Register a Component whose stopAccepting() answers new INVITEs 503 and whose drain() resolves
    //    when the last call has run its cleanup path. Call records go to sessionCallRecordSink(pg.recorder).
    const metrics = new ApiMetrics({ defaultMetrics: true });
    let agentService: AgentService | undefined;
    if (config.TELEPHONY_ENABLED) {
      const telephony = await startTelephony({
        config,
        logger,
        clock,
        redis,
        flows,
        agents: pg.agents,
        skills: () => pg.skills.list(),
        records: metrics.countRecords(sessionCallRecordSink(pg.recorder, config.INSTANCE_ID)),
      });
      agentService = telephony.agents;
      components.push({ name: 'telephony', stopAccepting: telephony.stopAccepting, drain: telephony.drain, close: telephony.close });
      routedQueues = flows.queues();
      routeQueues = telephony.configureQueues;
    } else logger.info('telephony disabled (TELEPHONY_ENABLED=false)');

    // 5. HTTP: health probe now; admin/agent API and wallboard later. Last to start, so /healthz only answers once
    //    everything it reports on exists.
    const http = buildApi({
      logger,
      isDraining: () => draining,
      health: [
        { name: 'postgres', check: () => pg.db.ping() },
        { name: 'redis', check: async () => void (await redis.ping()) },
      ],
      ops: apiOps({ config, clock, pg, redis, flows, reload: () => reloader.reload(), metrics, agentService }),
    });
    await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
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
  const server = await startServer(config);
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
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
