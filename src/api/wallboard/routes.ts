import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import type { LiveKpiSource } from '../../kpi/types.js';
import { STAFF } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { KpiStream, type KpiStreamOptions } from './stream.js';

export interface WallboardOptions {
  source: LiveKpiSource;
  logger: Logger;
  /** Pacing of the stream and its history (defaults: 1 s, 30 s samples kept 4 h). */
  stream?: Pick<KpiStreamOptions, 'everyMs' | 'heartbeatMs' | 'historyEveryMs' | 'historyKeepMs' | 'stuckMs' | 'changes' | 'changeMinMs'>;
}

const require = createRequire(import.meta.url);
const here = (name: string) => fileURLToPath(new URL(`./public/${name}`, import.meta.url));

/**
 * The page's files: a fixed list (no path from the request reaches the file system). uPlot (MIT, no dependencies)
 * is served from its npm package: the machine running the wall screen needs no internet.
 */
const ASSETS: Record<string, { path: () => string; type: string }> = {
  'wallboard.js': { path: () => here('wallboard.js'), type: 'text/javascript; charset=utf-8' },
  'wallboard.css': { path: () => here('wallboard.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const tokenQuery = z.object({
  access_token: z.string().optional().describe('the bearer token, for clients that cannot send headers (EventSource); redacted from logs'),
});

const point = z.object({
  waiting: z.number(),
  offered: z.number(),
  answered: z.number(),
  abandoned: z.number(),
  serviceLevel: z.number().nullable(),
  required: z.number().nullable(),
  loggedIn: z.number(),
  ready: z.number(),
});
const history = z
  .object({
    everyMs: z.number().describe('one sample this often'),
    keepMs: z.number().describe('samples kept this long'),
    samples: z.array(z.object({ at: z.number(), queues: z.record(z.string(), point).describe("per queue id; '*' is the whole hotline") })),
  })
  .meta({ id: 'KpiHistory' });

const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/**
 * The wallboard: the page (/wallboard, public: it holds no data), its assets, and for supervisors and admins the
 * live event stream (/api/kpis/stream) and the history the charts start from (/api/kpis/history). The stream runs
 * from the app's start to its close; its clients end before the HTTP server closes.
 */
export function registerWallboard(root: FastifyInstance, opts: WallboardOptions): KpiStream {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const stream = new KpiStream({ source: opts.source, logger: opts.logger, ...opts.stream });
  const files = new Map<string, Buffer>();
  const file = async (name: string, path: string) => {
    let b = files.get(name);
    if (!b) files.set(name, (b = await readFile(path)));
    return b;
  };
  root.addHook('onReady', (done) => {
    stream.start();
    done();
  });
  root.addHook('preClose', async () => stream.close());

  app.get('/wallboard', { schema: { hide: true } }, async (_req, reply) => {
    const html = await file('index.html', here('index.html'));
    return reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(html);
  });

  app.get('/wallboard/assets/:name', { schema: { hide: true, params: z.object({ name: z.string() }) } }, async (req, reply) => {
    const a = ASSETS[req.params.name];
    if (!a || !Object.hasOwn(ASSETS, req.params.name)) throw new ApiError(404, 'NOT_FOUND', `no wallboard asset ${JSON.stringify(req.params.name)}`);
    return reply.type(a.type).header('cache-control', 'no-cache').send(await file(req.params.name, a.path()));
  });

  app.get('/api/kpis/history', {
    config: { roles: STAFF, queryToken: true },
    schema: { tags: ['kpis'], summary: 'The wallboard charts\' history: live KPI samples of the last hours', querystring: tokenQuery, response: { 200: history, ...commonErrors } },
  }, () => ({ everyMs: stream.historyEveryMs, keepMs: stream.historyKeepMs, samples: stream.history() }));

  app.get('/api/kpis/stream', {
    config: { roles: STAFF, queryToken: true },
    schema: {
      tags: ['kpis'],
      summary: 'Live KPIs as server-sent events',
      description: 'text/event-stream: an `event: kpis` with a LiveKpis body every second (the newest only: a slow client skips frames, never delays others), `event: stale` when the figures cannot be read, and heartbeat comments. EventSource cannot send headers: pass `?access_token=`.',
      querystring: tokenQuery,
      response: { 200: z.string().describe('text/event-stream'), ...commonErrors },
    },
  }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // The connection owns its subscription: when either side ends it, the client is released exactly once.
    const release = stream.subscribe(res);
    res.on('close', release);
  });

  return stream;
}
