import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AcdEvent } from '../acd/events.js';
import type { AdmissionState } from '../call/admission.js';
import { AGENT_STATES } from '../acd/model.js';
import type { MediaObserver } from '../media/errors.js';
import type { EslTrafficObserver } from '../media/esl-socket.js';
import type { RedisCallObserver } from '../store/redis/acd-store.js';
import type { WebhookObserver } from '../webhooks/dispatcher.js';
import type { LiveKpis } from '../kpi/types.js';

export interface MetricsSources {
  /** The live KPIs (src/kpi: the ACD's queue index and agent records, not a scan of calls), read at scrape time. */
  live(): Promise<LiveKpis>;
  /** Queue ids from queues.yaml, so an empty queue reports 0 rather than vanishing. */
  queueIds(): string[];
}

/** Pipeline figures read at scrape time (main.ts sets them once the pieces exist). */
export interface PipelineSources {
  /** Records waiting in the local spool while PostgreSQL is away. */
  spoolDepth?: () => Promise<number>;
  /** How far the ACD event writer is behind the Redis stream, ms. */
  eventWriterLagMs?: () => number;
  /** The peak-load plan's overall level (0, 1, 2), from Redis. */
  planLevel?: () => Promise<number>;
  /** Satisfaction reviews open past their deadline (PostgreSQL, cached: src/reviews/overdue-count.ts). */
  reviewsOverdue?: () => Promise<number | undefined>;
  /** Work orders still needing someone (src/workflow): escalated not accepted, complaints overdue, all open. */
  workOrders?: () => Promise<{ escalated: number; overdueComplaints: number; open: number }>;
  /** Admission control of new calls (src/call/admission.ts): its set-up limit, its shares and the loop reading now. */
  admission?: () => AdmissionState;
  /** The media servers of FREESWITCH_SERVERS (src/media/media-pool.ts), by host:port. */
  mediaServers?: () => readonly { name: string; up: boolean; sessions: number; cpuIdle: number | undefined; controlLagMs?: number | undefined }[];
}

/**
 * Prometheus metrics (prom-client), on their own registry so tests can build several apps in one process.
 * Live gauges (calls, queues, longest waits, agents) come from the live KPIs at scrape time: one reading per scrape.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly callsTotal: Counter<'disposition'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Answer-timer outcomes: answered in ring 1, 2, 3 (or later), or redirected on no answer. */
  readonly answerOutcomes: Counter<'outcome'>;
  readonly mediaErrors: Counter<'code' | 'op'>;
  readonly redisSeconds: Histogram<'function' | 'result'>;
  readonly callsShed: Counter<'reason'>;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly eslReceived: Counter<'event'>;
  readonly eslReceivedBytes: Counter;
  readonly eslSent: Counter<'command'>;
  readonly eslSocketBytes: Counter<'direction'>;
  readonly eslSockets: Counter;
  private sources: MetricsSources | undefined;
  private pipeline: PipelineSources = {};

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'hotline_' });
    this.callsTotal = new Counter({
      name: 'hotline_calls_total',
      help: 'Calls ended, by disposition (counted as their records are written by this instance)',
      labelNames: ['disposition'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'hotline_http_request_duration_seconds',
      help: 'HTTP API request durations, by route pattern',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers: [this.registry],
    });
    this.answerOutcomes = new Counter({
      name: 'hotline_answer_timer_outcomes_total',
      help: 'Offers ended by the agent answering (in ring 1, 2, 3 or later) or by RONA (from the ACD event stream; each event counted once across instances)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.mediaErrors = new Counter({
      name: 'hotline_media_errors_total',
      help: 'Failed media operations, by error code (MEDIA_TIMEOUT: time-outs) and operation',
      labelNames: ['code', 'op'],
      registers: [this.registry],
    });
    this.redisSeconds = new Histogram({
      name: 'hotline_redis_function_duration_seconds',
      help: 'ACD Redis function calls (FCALL round trip), by function; `batch` for several operations sent together',
      labelNames: ['function', 'result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.callsShed = new Counter({
      name: 'hotline_calls_shed_total',
      help: 'Incoming calls refused with 503, by reason (draining, overloaded, media-down, setup-limit, media-cpu, app-busy, media-slow, rate-limit)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.webhookAttempts = new Counter({
      name: 'hotline_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, failed (to be retried), dead (dead-lettered)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    // The endpoints' event sockets (one per FreeSWITCH channel): what a call costs in messages (docs/capacity.md).
    this.eslReceived = new Counter({
      name: 'hotline_esl_received_total',
      help: 'Messages FreeSWITCH sent on endpoint event sockets, by event name (or reply kind: command/reply, api/response)',
      labelNames: ['event'],
      registers: [this.registry],
    });
    this.eslReceivedBytes = new Counter({
      name: 'hotline_esl_received_body_bytes_total',
      help: 'Bytes of the message bodies FreeSWITCH sent on endpoint event sockets (events carry channel variables)',
      registers: [this.registry],
    });
    this.eslSent = new Counter({
      name: 'hotline_esl_sent_total',
      help: 'Commands sent on endpoint event sockets: "execute <app>", "api <command>", or the socket command',
      labelNames: ['command'],
      registers: [this.registry],
    });
    this.eslSocketBytes = new Counter({
      name: 'hotline_esl_socket_bytes_total',
      help: 'Bytes over the life of closed endpoint event sockets, by direction (in: from FreeSWITCH)',
      labelNames: ['direction'],
      registers: [this.registry],
    });
    this.eslSockets = new Counter({
      name: 'hotline_esl_sockets_closed_total',
      help: 'Endpoint event sockets closed (one per FreeSWITCH channel the app controlled)',
      registers: [this.registry],
    });
    const pipeline = (): PipelineSources => this.pipeline;
    new Gauge({
      name: 'hotline_pg_spool_depth',
      help: 'Records spooled on local disk waiting for PostgreSQL',
      registers: [this.registry],
      async collect() {
        const f = pipeline().spoolDepth;
        if (f) this.set(await f().catch(() => Number.NaN));
      },
    });
    new Gauge({
      name: 'hotline_acd_event_writer_lag_seconds',
      help: 'How far the ACD event writer (Redis stream to PostgreSQL) was behind at its last batch; 0 when caught up',
      registers: [this.registry],
      collect() {
        const f = pipeline().eventWriterLagMs;
        if (f) this.set(f() / 1000);
      },
    });
    new Gauge({
      name: 'hotline_plan_level',
      help: 'Peak-load emergency plan level (standard §5): 0 none, 1 breaks suspended and callbacks paused, 2 supervisors and every seat take calls',
      registers: [this.registry],
      async collect() {
        const f = pipeline().planLevel;
        if (f) this.set(await f().catch(() => Number.NaN));
      },
    });
    new Gauge({
      name: 'hotline_reviews_overdue',
      help: 'Satisfaction reviews (dissatisfied calls) still open past their deadline, flagged by the overdue sweep',
      registers: [this.registry],
      async collect() {
        const f = pipeline().reviewsOverdue;
        if (f) this.set((await f().catch(() => undefined)) ?? Number.NaN);
      },
    });
    const admissionGauge = (name: string, help: string, pick: (x: ReturnType<NonNullable<PipelineSources['admission']>>) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const f = pipeline().admission;
          if (f) this.set(pick(f()));
        },
      });
    };
    admissionGauge('hotline_admission_setup_limit', 'Media set-ups allowed in flight now (adapted to set-up latency and failures; new calls beyond it get 503)', (x) => x.setupLimit);
    admissionGauge('hotline_admission_setups_in_flight', 'Admitted calls whose media endpoint is being set up', (x) => x.setupsInFlight);
    admissionGauge('hotline_admission_cpu_fraction', "Share of new calls admitted by FreeSWITCH's idle CPU now (1 above MEDIA_SOFT_IDLE_CPU, 0 at MEDIA_MIN_IDLE_CPU)", (x) => x.cpuAdmitFraction);
    admissionGauge('hotline_admission_loop_fraction', "Share of new calls admitted by the app's event-loop utilisation now (1 at or below APP_LOOP_BUSY_SOFT, 0 at APP_LOOP_BUSY_MAX)", (x) => x.loopAdmitFraction);
    admissionGauge('hotline_admission_media_lag_fraction', "Share of new calls admitted by the media server's control lag now (1 at or below MEDIA_LAG_SOFT_MS, 0 at MEDIA_LAG_MAX_MS)", (x) => x.mediaLagAdmitFraction);
    admissionGauge('hotline_admission_rate_limit', 'Calls per second the admission rate limit lets in now (the last second\'s admissions plus 1.5 %, at least ADMIT_RATE_FLOOR; -1 when off)', (x) => (Number.isFinite(x.rateLimit) ? x.rateLimit : -1));
    admissionGauge('hotline_event_loop_utilization', "The app's event-loop utilisation (0..1, smoothed over the last half seconds) that admission reads", (x) => x.loopBusy ?? 0);
    // One query per scrape feeds the three work-order gauges.
    let orders: Promise<{ escalated: number; overdueComplaints: number; open: number } | undefined> | undefined;
    const readOrders = (): Promise<{ escalated: number; overdueComplaints: number; open: number } | undefined> => {
      const f = pipeline().workOrders;
      orders ??= (f ? f().catch(() => undefined) : Promise.resolve(undefined)).finally(() => {
        setImmediate(() => {
          orders = undefined;
        });
      });
      return orders;
    };
    const orderGauge = (name: string, help: string, pick: (x: { escalated: number; overdueComplaints: number; open: number }) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          if (!pipeline().workOrders) return;
          const x = await readOrders();
          this.set(x ? pick(x) : Number.NaN);
        },
      });
    };
    orderGauge('hotline_work_orders_escalated', 'Work orders escalated (not accepted within the limit after dispatch) and still not accepted', (x) => x.escalated);
    orderGauge('hotline_complaints_overdue', 'Complaints past their 1-working-day answer deadline and still unanswered', (x) => x.overdueComplaints);
    orderGauge('hotline_work_orders_open', 'Work orders not yet closed', (x) => x.open);
    // Per media server: whether it takes calls, and its heartbeat's figures (NaN before its first heartbeat).
    const mediaGauge = (name: string, help: string, pick: (m: { up: boolean; sessions: number; cpuIdle: number | undefined; controlLagMs?: number | undefined }) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['server'],
        registers: [this.registry],
        collect() {
          const f = pipeline().mediaServers;
          if (!f) return;
          this.reset();
          for (const m of f()) this.set({ server: m.name }, pick(m));
        },
      });
    };
    mediaGauge('hotline_media_server_up', 'Media servers (FREESWITCH_SERVERS): 1 while taking calls (connected, heartbeat fresh), 0 while out of service', (m) => (m.up ? 1 : 0));
    mediaGauge('hotline_media_server_sessions', 'Sessions on each media server, from its last HEARTBEAT (all its channels, not only this instance\'s)', (m) => m.sessions);
    mediaGauge('hotline_media_server_idle_cpu', 'Idle CPU percent of each media server, from its last HEARTBEAT', (m) => m.cpuIdle ?? Number.NaN);
    mediaGauge('hotline_media_server_control_lag_seconds', "How long each media server's event socket takes to answer a ping now (MEDIA_PING_MS; a ping still out counts with its age; NaN before the first)", (m) => (m.controlLagMs === undefined ? Number.NaN : m.controlLagMs / 1000));
    // One reading feeds the live gauges of a scrape.
    let pending: Promise<LiveKpis | undefined> | undefined;
    const snap = (): Promise<LiveKpis | undefined> => {
      pending ??= (async () => (this.sources ? await this.sources.live() : undefined))().finally(() => {
        setImmediate(() => {
          pending = undefined;
        });
      });
      return pending;
    };
    const queueIds = (): string[] => this.sources?.queueIds() ?? [];
    new Gauge({
      name: 'hotline_calls_in_progress',
      help: 'Calls in the ACD now, by state (waiting, offered, on-call)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const s = await snap();
        this.reset();
        // An offered call holds one reserved or ringing agent, a call in progress one agent on the call.
        const by = s?.agents.byState ?? {};
        this.set({ state: 'waiting' }, s?.hotline.waiting ?? 0);
        this.set({ state: 'offered' }, (by.reserved ?? 0) + (by.ringing ?? 0));
        this.set({ state: 'on-call' }, by['on-call'] ?? 0);
      },
    });
    new Gauge({
      name: 'hotline_queue_waiting',
      help: 'Calls waiting, by queue',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        const s = await snap();
        this.reset();
        const ids = new Set([...queueIds(), ...(s?.queues.map((q) => q.queueId) ?? [])]);
        for (const q of ids) this.set({ queue: q }, s?.queues.find((x) => x.queueId === q)?.waiting ?? 0);
      },
    });
    new Gauge({
      name: 'hotline_queue_longest_wait_seconds',
      help: 'How long the longest-waiting caller has waited, by queue',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        const s = await snap();
        this.reset();
        const ids = new Set([...queueIds(), ...(s?.queues.map((q) => q.queueId) ?? [])]);
        for (const q of ids) this.set({ queue: q }, s?.queues.find((x) => x.queueId === q)?.longestWaitSec ?? 0);
      },
    });
    new Gauge({
      name: 'hotline_agents',
      help: 'Logged-in agents, by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const s = await snap();
        this.reset();
        for (const st of AGENT_STATES) if (st !== 'logged-out') this.set({ state: st }, s?.agents.byState[st] ?? 0);
      },
    });
  }

  /** Where the live gauges read from (set once the ACD is wired). */
  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** Where the pipeline gauges read from (spool depth, event-writer lag). */
  setPipelineSources(sources: PipelineSources): void {
    this.pipeline = { ...this.pipeline, ...sources };
  }

  /** For AcdEventWriter's onCommitted: counts answer-timer outcomes, rings by the hotline's ring cadence. */
  acdEventsObserver(ring: { onMs: number; offMs: number }): (events: readonly AcdEvent[]) => void {
    const period = ring.onMs + ring.offMs;
    return (events) => {
      for (const e of events) {
        if (e.type === 'rona') this.answerOutcomes.inc({ outcome: 'rona' });
        else if (e.type === 'answered') {
          // A ring counts once it has started (the rule of the event writer and src/call's ringsHeard).
          const rings = Math.floor(Math.max(0, e.ringMs) / period) + 1;
          this.answerOutcomes.inc({ outcome: rings <= 3 ? `answered_ring_${rings}` : 'answered_ring_4_or_later' });
        }
      }
    };
  }

  mediaObserver(): MediaObserver {
    return { error: (code, op) => this.mediaErrors.inc({ code, op }) };
  }

  /** For MediaServerConnection.observeEsl: the endpoint event sockets' traffic. */
  eslObserver(): EslTrafficObserver {
    return {
      received: (event, bytes) => {
        this.eslReceived.inc({ event });
        if (bytes > 0) this.eslReceivedBytes.inc(bytes);
      },
      sent: (command) => this.eslSent.inc({ command }),
      closed: (bytesIn, bytesOut) => {
        this.eslSockets.inc();
        this.eslSocketBytes.inc({ direction: 'in' }, bytesIn);
        this.eslSocketBytes.inc({ direction: 'out' }, bytesOut);
      },
    };
  }

  redisObserver(): RedisCallObserver {
    return { fcall: (fn, seconds, ok) => this.redisSeconds.observe({ function: fn, result: ok ? 'ok' : 'error' }, seconds) };
  }

  /** For CallRegistry: every 503 shed. */
  shedObserver(): (reason: string) => void {
    return (reason) => this.callsShed.inc({ reason });
  }

  webhookObserver(): WebhookObserver {
    return { attempt: (outcome) => this.webhookAttempts.inc({ outcome }) };
  }

  /** Wrap a call-record sink so each record written counts in hotline_calls_total. */
  countRecords<R extends { disposition: string }>(sink: { write(r: R): Promise<void> }): { write(r: R): Promise<void> } {
    return {
      write: async (r: R) => {
        await sink.write(r);
        this.callsTotal.inc({ disposition: r.disposition });
      },
    };
  }
}

/** GET /metrics (public, like /healthz: Prometheus scrapes without a token; it carries no caller data) and the request timer. */
export function registerMetrics(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    if (!route || route === '/metrics') return;
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { logLevel: 'warn', schema: { tags: ['health'], summary: 'Prometheus metrics (public)', response: { 200: { type: 'string', description: 'Prometheus text format' } } } }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
