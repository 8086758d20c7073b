import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AGENT_STATES } from '../acd/model.js';
import type { LiveKpis } from '../kpi/types.js';

export interface MetricsSources {
  /** The live KPIs (src/kpi: the ACD's queue index and agent records, not a scan of calls), read at scrape time. */
  live(): Promise<LiveKpis>;
  /** Queue ids from queues.yaml, so an empty queue reports 0 rather than vanishing. */
  queueIds(): string[];
}

/**
 * Prometheus metrics (prom-client), on their own registry so tests can build several apps in one process.
 * Live gauges (calls, queues, longest waits, agents) come from the live KPIs at scrape time: one reading per scrape.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly callsTotal: Counter<'disposition'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private sources: MetricsSources | undefined;

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
