import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { AgentProfile, QueueDefinition } from '../acd/model.js';
import type { TokenLookup } from '../api/auth.js';
import { buildApi, type OpsOptions } from '../api/server.js';
import { loadConfig } from '../config/index.js';
import { SystemClock } from '../core/clock.js';
import { InvalidInputError } from '../core/errors.js';
import { hashToken, type ApiToken } from '../store/pg/api-tokens.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import { connectAcdRedis } from '../store/redis/connection.js';

/**
 * `acd bench api`: what the live views cost over HTTP, side by side in one run, against the real Redis at REDIS_URL
 * holding a busy centre: 1,800 agents logged in (600 on a call, the rest not ready) and 300 calls waiting over 20
 * queues, under a private hotline id deleted afterwards.
 * Routes are requested in turn (one of each, repeated), over one keep-alive HTTP connection to the real app
 * (buildApi: auth with a cached token, schemas, error handling, the dependency deadline), so every route sees the
 * same machine load. Baseline: GET /api/whoami, an authenticated route that does nothing else. The target
 * is p99 at most 2x the baseline for the live KPI endpoint and the wallboard stream.
 * Not in this build (other branches add them; the slots print as such): GET /api/kpis/live and the wallboard's
 * SSE stream. PostgreSQL is not used by the routes measured: the token lookup is an in-memory one (after the
 * first request the API's token cache answers anyway, as in production).
 */

interface Options {
  json?: boolean;
  requests?: string;
  agents?: string;
  waiting?: string;
}

export interface RouteFigures {
  route: string;
  /** null: the route is not in this build. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** p99 / the baseline's p99. */
  p99VsEmpty: number | null;
  requests: number;
}

export interface ApiBenchResult {
  agents: number;
  onCall: number;
  waiting: number;
  queues: number;
  routes: RouteFigures[];
  redisUrl: string;
}

const QUEUES = 20;
const ON_CALL = 600;
const BASELINE = '/api/whoami';
/** Slots for routes other branches add: measured when the app answers them, else marked absent. */
const ROUTES = [BASELINE, '/api/queues', '/api/calls', '/api/calls?state=waiting', '/api/kpis/live'];
const SSE_SLOT = 'wallboard SSE stream (first event)';

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

/** Load the centre: everyone logs in; ON_CALL agents take a call and answer; the rest go on a break; then calls wait. */
async function populate(store: RedisAcdStore, agents: number, waiting: number): Promise<{ onCall: number }> {
  const { queues, profiles, skills } = setup(agents);
  await store.configure({ skills, queues });
  await store.renewLease('bench');
  const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
  for (const c of chunks(profiles, 200)) await Promise.all(c.map((p) => store.loginAgent(p)));
  const onCall = Math.min(ON_CALL, agents);
  let n = 0;
  const call = (queueId: string) => ({ callId: `call${++n}`, queueId, callerNumber: `+86138${String(n).padStart(8, '0')}`, priority: 0, ownerInstance: 'bench' });
  // One agent ready at a time, then a call of its own queue: it is the only one who can take it.
  for (let i = 0; i < onCall; i++) {
    await store.setReady(profiles[i]!.id);
    const r = await store.enqueue(call(`q${i % QUEUES}`));
    if (r.status === 'offered') await store.answer(r.offer.callId);
  }
  for (const c of chunks(profiles.slice(onCall), 200)) await Promise.all(c.map((p) => store.setNotReady(p.id, 'break')));
  for (const c of chunks(Array.from({ length: waiting }, (_, i) => call(`q${i % QUEUES}`)), 100)) await Promise.all(c.map((x) => store.enqueue(x)));
  return { onCall: (await store.snapshot()).calls.filter((c) => c.state === 'on-call').length };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export async function runApiBench(opts: { requests: number; agents: number; waiting: number }): Promise<ApiBenchResult> {
  const cfg = loadConfig();
  const redis = await connectAcdRedis(cfg.REDIS_URL);
  const clock = new SystemClock();
  const hotlineId = `bench-api-${process.pid}-${randomBytes(3).toString('hex')}`;
  const store = new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000, eventsMaxLen: 0 });
  try {
    const { onCall } = await populate(store, opts.agents, opts.waiting);
    const { queues } = setup(opts.agents);
    const token = randomBytes(24).toString('base64url');
    const tokenRow: ApiToken = { id: '1', name: 'bench', role: 'supervisor', agentId: null, createdAt: clock.now(), revokedAt: null };
    const digest = hashToken(token);
    const tokens: TokenLookup = { findByHash: (h) => Promise.resolve(h === digest ? tokenRow : undefined) };
    const unused = <T extends object>(what: string): T =>
      new Proxy({} as T, {
        get: () => {
          throw new Error(`acd bench api: ${what} is not used by the routes measured`);
        },
      });
    const ops: OpsOptions = {
      clock,
      tokens,
      agents: unused('the agents repository'),
      defaultRealm: 'bench',
      agentState: unused('the agent-state service'),
      acd: store,
      flows: { dir: '.', status: () => [], queues: () => queues, reload: () => Promise.resolve() },
      search: unused('the record search'),
    };
    const app = buildApi({ health: [], isDraining: () => false, ops });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const addr = app.server.address();
      const base = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : String(addr);
      const headers = { authorization: `Bearer ${token}` };
      const present: string[] = [];
      for (const r of ROUTES) {
        const res = await fetch(base + r, { headers });
        await res.arrayBuffer();
        if (res.status === 200) present.push(r);
        else if (res.status !== 404) throw new Error(`acd bench api: ${r} answered ${res.status}`);
      }
      const samples = new Map<string, number[]>(present.map((r) => [r, []]));
      const warmup = Math.min(50, opts.requests);
      for (let i = 0; i < warmup + opts.requests; i++) {
        for (const r of present) {
          const t0 = process.hrtime.bigint();
          const res = await fetch(base + r, { headers });
          await res.arrayBuffer();
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.status !== 200) throw new Error(`acd bench api: ${r} answered ${res.status}`);
          if (i >= warmup) samples.get(r)!.push(ms);
        }
      }
      const emptyP99 = percentile(samples.get(BASELINE)!.sort((a, b) => a - b), 0.99);
      const routes: RouteFigures[] = ROUTES.map((r) => {
        const s = samples.get(r)?.sort((a, b) => a - b);
        if (!s) return { route: r, p50Ms: null, p99Ms: null, p99VsEmpty: null, requests: 0 };
        const p99 = percentile(s, 0.99);
        return { route: r, p50Ms: round(percentile(s, 0.5)), p99Ms: round(p99), p99VsEmpty: round(p99 / emptyP99, 2), requests: s.length };
      });
      routes.push({ route: SSE_SLOT, p50Ms: null, p99Ms: null, p99VsEmpty: null, requests: 0 });
      return { agents: opts.agents, onCall, waiting: opts.waiting, queues: QUEUES, routes, redisUrl: cfg.REDIS_URL.replace(/\/\/[^@]*@/, '//***@') };
    } finally {
      await app.close();
    }
  } finally {
    await store.destroy();
    await redis.quit();
  }
}

function positiveInt(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidInputError(`--${name}`, `must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function register(bench: Command): void {
  bench
    .command('api')
    .description('HTTP API: p50/p99 of the live views (queues, calls, live KPIs) vs an empty authenticated route, with 1,800 agents and 300 waiting calls in Redis')
    .option('--json', 'print one JSON object')
    .option('--requests <n>', 'measured requests per route', '1000')
    .option('--agents <n>', 'agents logged in', '1800')
    .option('--waiting <n>', 'calls waiting', '300')
    .action(async (o: Options) => {
      const r = await runApiBench({
        requests: positiveInt('requests', o.requests, 1000),
        agents: positiveInt('agents', o.agents, 1800),
        waiting: positiveInt('waiting', o.waiting, 300),
      });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      console.log(`api benchmark: ${r.agents} agents (${r.onCall} on a call), ${r.waiting} calls waiting in ${r.queues} queues, ${r.redisUrl}; one keep-alive connection, routes in turn`);
      console.log(`  ${'route'.padEnd(38)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99 / empty'.padStart(12)}`);
      for (const x of r.routes) {
        const cells = x.p50Ms === null ? ['—', '—', 'not in this build'] : [String(x.p50Ms), String(x.p99Ms), `${x.p99VsEmpty}x`];
        console.log(`  ${x.route.padEnd(38)} ${cells[0]!.padStart(8)} ${cells[1]!.padStart(8)} ${cells[2]!.padStart(12)}`);
      }
    });
}
