import type { FastifyInstance } from 'fastify';
import type { FlowsHealth } from '../ivr/registry.js';

/**
 * One dependency /healthz reports on. `check` rejects when the dependency is not usable; it may resolve with a few
 * facts worth showing beside "ok" (e.g. that an older flow set serves because the current files are refused).
 */
export interface HealthCheck {
  name: string;
  check(): Promise<void | Record<string, unknown>>;
}

/** The health check's error: `code` is what /healthz shows as the check's `error`. */
class HealthCheckError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Flows: unhealthy (503, `none-valid`) while no valid flow set has ever loaded, since every call would fail; healthy
 * with `state: last-good` when the current files are refused but a good set serves (calls work; the admin's edit
 * is not live, which the info says).
 */
export function flowsHealthCheck(health: () => FlowsHealth): HealthCheck {
  return {
    name: 'flows',
    check: () => {
      const h = health();
      if (h.state === 'none-valid') {
        const why = h.refused.length > 0 ? `refused: ${h.refused.join(', ')}` : 'no flow files loaded';
        return Promise.reject(new HealthCheckError('none-valid', `none-valid: no valid flow set has loaded (${why})`));
      }
      const since = new Date(h.since).toISOString();
      if (h.state === 'current') return Promise.resolve({ state: 'current', setRevision: h.setRevision, flows: h.flows, since });
      return Promise.resolve({ state: 'last-good', setRevision: h.setRevision, flows: h.flows, since, refused: h.refused, refusedAt: new Date(h.refusedAt).toISOString() });
    },
  };
}

/** One media server as the media check reports it (src/media/media-pool.ts MediaServerStat). */
export interface MediaServerHealth {
  name: string;
  up: boolean;
  state: string;
  sessions: number;
  cpuIdle: number | undefined;
  legs: number;
  heartbeatAgeMs: number | undefined;
  /** How long its event socket takes to answer a ping now (MEDIA_PING_MS); undefined before the first answer. */
  controlLagMs?: number | undefined;
}

/**
 * Media (FREESWITCH_SERVERS): healthy while at least one server takes calls; unhealthy (`no-media-server`) when none
 * does, since every new call would be refused. Lists every server either way, so a degraded pool is visible.
 */
export function mediaHealthCheck(servers: () => readonly MediaServerHealth[]): HealthCheck {
  return {
    name: 'media',
    check: () => {
      const list = servers().map((m) => ({ ...m, cpuIdle: m.cpuIdle ?? null, heartbeatAgeMs: m.heartbeatAgeMs ?? null, controlLagMs: m.controlLagMs ?? null }));
      const up = list.filter((m) => m.up).length;
      if (up === 0) return Promise.reject(new HealthCheckError('no-media-server', `no-media-server: none of ${list.map((m) => `${m.name} (${m.state})`).join(', ')} is in service`));
      return Promise.resolve({ up, of: list.length, servers: list });
    },
  };
}

export interface HealthOptions {
  checks: readonly HealthCheck[];
  /** True once shutdown began: report 503 so a load balancer stops sending new work here. */
  isDraining: () => boolean;
  /** A hung dependency must not hang the probe. */
  timeoutMs?: number;
}

interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
  info?: Record<string, unknown>;
}

async function run(c: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      c.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - start), ...(info ? { info } : {}) };
  } catch (e) {
    return { ok: false, ms: Math.round(performance.now() - start), error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

const checkSchema = {
  type: 'object',
  required: ['ok', 'ms'],
  properties: { ok: { type: 'boolean' }, ms: { type: 'number' }, error: { type: 'string' }, info: { type: 'object', additionalProperties: true } },
} as const;

const responseSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'draining'] },
    checks: { type: 'object', additionalProperties: checkSchema },
  },
} as const;

/** GET /healthz: 200 when every dependency answers, 503 when one does not or the process is shutting down. */
export function registerHealth(app: FastifyInstance, opts: HealthOptions): void {
  // Probes arrive every few seconds: logged at warn only, or they would drown the call logs.
  app.get('/healthz', { logLevel: 'warn', schema: { response: { 200: responseSchema, 503: responseSchema } } }, async (_req, reply) => {
    const results = await Promise.all(opts.checks.map(async (c) => [c.name, await run(c, opts.timeoutMs ?? 2_000)] as const));
    const checks = Object.fromEntries(results);
    const allOk = results.every(([, r]) => r.ok);
    const status = opts.isDraining() ? 'draining' : allOk ? 'ok' : 'degraded';
    return reply.code(status === 'ok' ? 200 : 503).send({ status, checks });
  });
}
