import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { AgentProfile, QueueDefinition } from '../acd/model.js';
import type { TokenLookup } from '../api/auth.js';
import { buildApi, type OpsOptions } from '../api/server.js';
import { sseFrame } from '../api/wallboard/stream.js';
import { loadConfig } from '../config/index.js';
import { SystemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { KpiCounter, RedisLiveKpis } from '../kpi/index.js';
import { hashToken, type ApiToken } from '../store/pg/api-tokens.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import { connectAcdRedis } from '../store/redis/connection.js';
import { askClients, startClients } from './wallboard-stream.js';
import { positiveInt } from './routing.js';

/**
 * `acd bench api`: what the live views cost over HTTP, side by side in one run, against the real Redis at REDIS_URL
 * holding a busy centre: 1,800 agents logged in (600 on a call, the rest not ready), 300 calls waiting over 20
 * queues, and an hour of KPI counters (1,800 calls played through the ACD over the last 55 minutes, on a clock shifted back, counted
 * by the KPI counter from the event stream), under a private hotline id deleted afterwards.
 * Routes are requested in turn (one of each, repeated), over one keep-alive HTTP connection to the real app
 * (buildApi: auth with a cached token, schemas, error handling, the dependency deadline), so every route sees the
 * same machine load. Baseline: GET /api/whoami, an authenticated route that does nothing else. The issue's target
 * is p99 at most 2x the baseline for the live KPI endpoint and the wallboard stream.
 * GET /api/kpis/live is measured twice: with production's 1 s reuse and on a second app with none (maxAgeMs 0).
 * The wallboard stream: p99 of the empty route while N clients (default 50, another process at the lowest priority)
 * read GET /api/kpis/stream, against the same without clients, both in this run; and the stream's once-a-second
 * work (a fresh read of the live KPIs and its frame) timed apart. PostgreSQL is not used by the routes measured:
 * the token lookup is an in-memory one (after the first request the API's token cache answers anyway, as in
 * production), and the interval reports are a stand-in that fails the run if used.
 */

interface Options {
  json?: boolean;
  requests?: string;
  agents?: string;
  waiting?: string;
  clients?: string;
}

export interface RouteFigures {
  route: string;
  p50Ms: number;
  p99Ms: number;
  /** p99 / the baseline's p99 (the stream lines: / the empty route's p99 with no stream client, same run). */
  p99VsEmpty: number;
  requests: number;
}

export interface ApiBenchResult {
  agents: number;
  onCall: number;
  waiting: number;
  queues: number;
  /** Calls played through the ACD over the last hour, counted by the KPI counter into the live window. */
  seededCalls: number;
  /** The hotline's figures in the live KPI window as read: the seeded hour plus the calls of now. */
  window: { offered: number; answered: number; abandoned: number };
  routes: RouteFigures[];
  stream: { clients: number; frameBytes: number; eventsPerClientPerSec: number };
  redisUrl: string;
}

const QUEUES = 20;
const ON_CALL = 600;
const BASELINE = '/api/whoami';
/** Slots for routes other branches add: measured when the app answers them, else marked absent. */
const ROUTES = [BASELINE, '/api/queues', '/api/calls', '/api/calls?state=waiting', '/api/kpis/live', '/api/kpis/live?agents=list'];
/** The same route on an app whose live KPIs reuse nothing (maxAgeMs 0): what the 1 s reuse buys. */
const UNCACHED = '/api/kpis/live (maxAgeMs 0)';
/** Production's setting (src/api/wiring.ts): a reading up to 1 s old is served again. */
const CACHED = '/api/kpis/live (maxAgeMs 1 s)';
const STREAM_READ = 'stream: read + serialise (1/s)';
const STREAM_CLIENTS = 50;

function setup(agents: number): { queues: QueueDefinition[]; profiles: AgentProfile[]; skills: string[] } {
  const skills = Array.from({ length: QUEUES }, (_, i) => `s${i}`);
  const queues = skills.map((skill, i): QueueDefinition => ({
    id: `q${i}`,
    name: `queue ${i}`,
    requiredSkills: [{ skill, minLevel: 1 }],
    priority: i % 3,
    policy: 'longest-idle',
    overflow: {},
    serviceLevel: { fraction: 0.8, seconds: 20 },
    wrapUpSec: 30,
    answerRings: 3,
    stickyAgentSec: 0,
    maxWaitSec: 0,
  }));
  const profiles = Array.from({ length: agents }, (_, i): AgentProfile => ({
    id: `agent${i}`,
    name: `agent ${i}`,
    skills: [
      { skill: skills[i % QUEUES]!, level: 3, primary: true },
      { skill: skills[(i + 7) % QUEUES]!, level: 2, primary: true },
    ],
  }));
  return { queues, profiles, skills };
}

/** The system clock, shifted back by `backMs`: the store and the counter stamp the seeded hour in the past. */
class ShiftedClock implements Clock {
  backMs = 0;
  private readonly sys = new SystemClock();
  now(): number {
    return Date.now() - this.backMs;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.sys.setTimeout(fn, ms);
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    this.sys.clearTimeout(handle);
  }
}

const HOUR_MS = 3_600_000;
/** Seeded history: 1,800 calls over the last 55 minutes (the KPI window is an hour: a run of a few minutes keeps
 * them all in it), each through the ACD's own operations. */
const SEEDED_CALLS = 1_800;
const SEED_SPAN_MS = 55 * 60_000;

/**
 * Load the centre: everyone logs in an hour ago; then an hour of traffic is played through the store (calls queued,
 * answered or abandoned, talked, wrapped up, on its clock shifted into the past), so the events stream holds it and
 * the KPI counter (src/kpi/counter.ts) fills the hour's per-minute buckets from those events exactly as in production;
 * then, now, ON_CALL agents take a call and answer; the rest go on a break; then calls wait.
 */
async function populate(store: RedisAcdStore, clock: ShiftedClock, agents: number, waiting: number): Promise<{ onCall: number; seeded: number }> {
  const { queues, profiles, skills } = setup(agents);
  clock.backMs = HOUR_MS;
  await store.configure({ skills, queues });
  await store.renewLease('bench');
  const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
  for (const c of chunks(profiles, 200)) await Promise.all(c.map((p) => store.loginAgent(p)));
  for (const c of chunks(profiles, 200)) await Promise.all(c.map((p) => store.setNotReady(p.id, 'break')));
  let n = 0;
  const call = (queueId: string) => ({ callId: `call${++n}`, queueId, callerNumber: `+86138${String(n).padStart(8, '0')}`, priority: 0, ownerInstance: 'bench' });
  // The hour, one call at a time (1.8 s of clock each): agent i serves queue i % 20, so it is the one who takes it.
  const seeded = SEEDED_CALLS;
  const step = SEED_SPAN_MS / seeded;
  for (let k = 0; k < seeded; k++) {
    clock.backMs = SEED_SPAN_MS - k * step;
    const agent = profiles[k % agents]!;
    const c = call(`q${k % agents % QUEUES}`);
    await store.enqueue(c);
    clock.backMs -= 50 + ((k * 97) % 30) * 40; // waited 0.05..1.2 s (each call has 1.8 s of the clock)
    if (k % 9 === 8) {
      await store.abandon(c.callId);
      continue;
    }
    await store.setReady(agent.id);
    await store.answer(c.callId);
    clock.backMs -= 600;
    await store.endCall(c.callId);
    clock.backMs -= 100;
    await store.wrapUpDone(agent.id);
    await store.setNotReady(agent.id, 'break');
  }
  clock.backMs = 0;
  const onCall = Math.min(ON_CALL, agents);
  // One agent ready at a time, then a call of its own queue: it is the only one who can take it.
  for (let i = 0; i < onCall; i++) {
    await store.setReady(profiles[i]!.id);
    const r = await store.enqueue(call(`q${i % QUEUES}`));
    if (r.status === 'offered') await store.answer(r.offer.callId);
  }
  for (const c of chunks(Array.from({ length: waiting }, (_, i) => call(`q${i % QUEUES}`)), 100)) await Promise.all(c.map((x) => store.enqueue(x)));
  return { onCall: (await store.snapshot()).calls.filter((c) => c.state === 'on-call').length, seeded };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const figures = (route: string, samples: number[], emptyP99: number): RouteFigures => {
  const s = [...samples].sort((a, b) => a - b);
  const p99 = percentile(s, 0.99);
  return { route, p50Ms: round(percentile(s, 0.5)), p99Ms: round(p99), p99VsEmpty: round(p99 / emptyP99, 2), requests: s.length };
};

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200) throw new Error(`acd bench api: ${url} answered ${res.status}`);
  return ms;
}

/** `requests` requests to `url`, and for at least `minMs` (so a phase spans several of the stream's once-a-second pushes). */
async function phase(url: string, headers: Record<string, string>, requests: number, minMs: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + minMs;
  while (out.length < requests || performance.now() < end) out.push(await timed(url, headers));
  return out;
}

export async function runApiBench(opts: { requests: number; agents: number; waiting: number; clients?: number; streamPhaseMs?: number; readSamples?: number }): Promise<ApiBenchResult> {
  const clients = opts.clients ?? STREAM_CLIENTS;
  const streamPhaseMs = opts.streamPhaseMs ?? 5_000;
  const cfg = loadConfig();
  const redis = await connectAcdRedis(cfg.REDIS_URL);
  const clock = new ShiftedClock();
  const hotlineId = `bench-api-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Events on (the default trim), as in production: the KPI counter reads them.
  const store = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 2 * HOUR_MS });
  const apps: ReturnType<typeof buildApi>[] = [];
  let worker: ChildProcess | undefined;
  try {
    const { onCall, seeded } = await populate(store, clock, opts.agents, opts.waiting);
    const { queues } = setup(opts.agents);
    const counter = new KpiCounter({ redis, hotlineId, source: store, targetSec: (q) => queues.find((d) => d.id === q)?.serviceLevel.seconds, clock, logger: silentLogger });
    await counter.drain();
    const token = randomBytes(24).toString('base64url');
    const tokenRow: ApiToken = { id: '1', name: 'bench', role: 'supervisor', agentId: null, providerId: null, createdAt: clock.now(), revokedAt: null };
    const digest = hashToken(token);
    const tokens: TokenLookup = { findByHash: (h) => Promise.resolve(h === digest ? tokenRow : undefined) };
    const unused = <T extends object>(what: string): T =>
      new Proxy({} as T, {
        get: () => {
          throw new Error(`acd bench api: ${what} is not used by the routes measured`);
        },
      });
    const live = (maxAgeMs: number) => new RedisLiveKpis({ redis, hotlineId, clock, queues: () => queues, maxAgeMs });
    const ops = (maxAgeMs: number): OpsOptions => ({
      clock,
      tokens,
      agents: unused('the agents repository'),
      defaultRealm: 'bench',
      agentState: unused('the agent-state service'),
      acd: store,
      flows: { dir: '.', status: () => [], queues: () => queues, reload: () => Promise.resolve() },
      search: unused('the record search'),
      // The interval reports (PostgreSQL) are not on the routes measured: any use fails the run.
      kpis: { live: live(maxAgeMs), reports: unused('the interval reports') },
    });
    // Production's reuse (1 s) and none (every request reads Redis), each on its own app, requested in turn.
    const bases: string[] = [];
    for (const maxAgeMs of [1_000, 0]) {
      const app = buildApi({ health: [], isDraining: () => false, ops: ops(maxAgeMs) });
      apps.push(app);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      bases.push(typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : String(addr));
    }
    const [base, uncachedBase] = bases as [string, string];
    const headers = { authorization: `Bearer ${token}` };
    const targets = ROUTES.map((r) => ({ route: r === '/api/kpis/live' ? CACHED : r === '/api/kpis/live?agents=list' ? `${CACHED}, every agent listed` : r, url: base + r }));
    targets.push({ route: UNCACHED, url: `${uncachedBase}/api/kpis/live` });
    const samples = new Map<string, number[]>(targets.map((t) => [t.route, []]));
    const warmup = Math.min(50, opts.requests);
    for (let i = 0; i < warmup + opts.requests; i++) {
      for (const t of targets) {
        const ms = await timed(t.url, headers);
        if (i >= warmup) samples.get(t.route)!.push(ms);
      }
    }
    const emptyP99 = percentile(samples.get(BASELINE)!.sort((a, b) => a - b), 0.99);
    const routes: RouteFigures[] = targets.map((t) => figures(t.route, samples.get(t.route)!, emptyP99));

    // The stream: the empty route alone, then with N clients reading GET /api/kpis/stream (another process at the
    // lowest priority: browsers run elsewhere), each phase at least streamPhaseMs; the ratio is with / without.
    const empty = base + BASELINE;
    const without = await phase(empty, headers, opts.requests, streamPhaseMs);
    worker = startClients(`${base}/api/kpis/stream?access_token=${token}`, clients);
    const before = await waitForEvents(worker, clients);
    const t0 = performance.now();
    const withClients = await phase(empty, headers, opts.requests, streamPhaseMs);
    const connectedSec = (performance.now() - t0) / 1000;
    const after = await askClients(worker, 'stop');
    const withoutP99 = percentile([...without].sort((a, b) => a - b), 0.99);
    routes.push(figures(`${BASELINE}, no stream client`, without, withoutP99));
    routes.push(figures(`${BASELINE}, ${clients} stream clients`, withClients, withoutP99));

    // The stream's once-a-second work, timed apart: one fresh read of the live KPIs (no reuse) and the frame.
    const fresh = live(0);
    const reads: number[] = [];
    let frameBytes = 0;
    let window = { offered: 0, answered: 0, abandoned: 0 };
    for (let i = 0; i < (opts.readSamples ?? 30); i++) {
      const r0 = performance.now();
      const k = await fresh.live();
      const frame = sseFrame('kpis', k, k.at);
      reads.push(performance.now() - r0);
      frameBytes = Buffer.byteLength(frame);
      window = { offered: k.hotline.offered, answered: k.hotline.answered, abandoned: k.hotline.abandoned };
    }
    routes.push(figures(STREAM_READ, reads, emptyP99));
    return {
      agents: opts.agents,
      onCall,
      waiting: opts.waiting,
      queues: QUEUES,
      seededCalls: seeded,
      window,
      routes,
      stream: {
        clients,
        frameBytes,
        eventsPerClientPerSec: round((after.events - before.events) / clients / connectedSec, 2),
      },
      redisUrl: cfg.REDIS_URL.replace(/\/\/[^@]*@/, '//***@'),
    };
  } finally {
    if (worker) {
      const w = worker;
      if (w.connected) await askClients(w, 'stop').catch(() => undefined);
      await new Promise((res) => (w.exitCode !== null || w.signalCode !== null ? res(null) : w.once('exit', res)));
    }
    for (const app of apps) await app.close();
    await store.destroy();
    await redis.quit();
  }
}

/** Until every client has had its first `kpis` event (the stream is up for all of them); the counts then. */
async function waitForEvents(worker: ChildProcess, clients: number): Promise<{ events: number; bytes: number }> {
  for (let i = 0; i < 200; i++) {
    const s = await askClients(worker, 'stats');
    if (s.events >= clients) return s;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`acd bench api: the ${clients} stream clients got no kpis event within 10 s`);
}

export function register(bench: Command): void {
  bench
    .command('api')
    .description('HTTP API: p50/p99 of the live views (queues, calls, live KPIs) vs an empty authenticated route, with 1,800 agents and 300 waiting calls in Redis')
    .option('--json', 'print one JSON object')
    .option('--requests <n>', 'measured requests per route', '1000')
    .option('--agents <n>', 'agents logged in', '1800')
    .option('--waiting <n>', 'calls waiting', '300')
    .option('--clients <n>', 'wallboard stream clients', String(STREAM_CLIENTS))
    .action(async (o: Options) => {
      const r = await runApiBench({
        requests: positiveInt('requests', o.requests, 1000),
        agents: positiveInt('agents', o.agents, 1800),
        waiting: positiveInt('waiting', o.waiting, 300),
        clients: positiveInt('clients', o.clients, STREAM_CLIENTS),
      });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      console.log(
        `api benchmark: ${r.agents} agents (${r.onCall} on a call), ${r.waiting} calls waiting in ${r.queues} queues, ${r.seededCalls} calls played over the last hour (KPI window: ${r.window.offered} offered, ${r.window.answered} answered, ${r.window.abandoned} abandoned), ${r.redisUrl}; one keep-alive connection, routes in turn`,
      );
      console.log(`  ${'route'.padEnd(42)} ${'n'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99 / empty'.padStart(12)}`);
      for (const x of r.routes) {
        console.log(`  ${x.route.padEnd(42)} ${String(x.requests).padStart(6)} ${String(x.p50Ms).padStart(8)} ${String(x.p99Ms).padStart(8)} ${`${x.p99VsEmpty}x`.padStart(12)}`);
      }
      console.log(
        `  stream: ${r.stream.clients} clients, ${r.stream.eventsPerClientPerSec} kpis events per client per second, ${Math.round(r.stream.frameBytes / 1024)} KiB a frame; its two lines' ratio is to ${BASELINE} with no stream client (same run)`,
      );
    });
}
