import type { FastifyInstance } from 'fastify';

/** One dependency /healthz reports on. `check` rejects when the dependency is not reachable. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
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
}

async function run(c: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - start) };
  } catch (e) {
    return { ok: false, ms: Math.round(performance.now() - start), error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

const checkSchema = {
  type: 'object',
  required: ['ok', 'ms'],
  properties: { ok: { type: 'boolean' }, ms: { type: 'number' }, error: { type: 'string' } },
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
