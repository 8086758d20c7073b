import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Command } from 'commander';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { registerWallboard } from '../api/wallboard/routes.js';
import type { KpiStream } from '../api/wallboard/stream.js';
import { loadConfig } from '../config/index.js';
import { SystemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { LiveKpis, LiveKpiSource, LiveQueueKpis } from '../kpi/types.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import { connectAcdRedis } from '../store/redis/connection.js';
import { INSTANCE, Lifecycles, positiveInt, setup } from './routing.js';

/**
 * `acd bench wallboard`: what 50 wall screens connected to the KPI event stream cost the ACD (issue 10: under 5% of
 * the lifecycle throughput). One run, side by side, alternating phases: saturated call lifecycles against the real
 * Redis (the routing bench's driver; 1,800 agents ready, 300 calls waiting in a queue nobody serves) with no
 * client, then with N clients reading GET /api/kpis/stream over HTTP from another process at the lowest priority
 * (browsers run elsewhere; here they share the cores). Every client gets the full LiveKpis picture every second: 1,800 agents, ~200 KB a frame.
 *
 * The figures come from a source that costs nothing to read (one picture built from the Redis snapshot at start,
 * re-stamped on each read): this measures the stream (serialising once, writing to N sockets), not the live KPI
 * computation, which src/kpi/ owns and `acd bench api` measures on GET /api/kpis/live.
 */

interface Options {
  json?: boolean;
  seconds?: string;
  clients?: string;
  rounds?: string;
  concurrency?: string;
}

export interface WallboardBenchResult {
  agents: number;
  waitingCalls: number;
  clients: number;
  frameBytes: number;
  baselineLifecyclesPerSec: number;
  withClientsLifecyclesPerSec: number;
  /** 1 - with/baseline, in percent (negative: within noise, faster with clients). */
  costPercent: number;
  /** kpis events each client received per second while connected (the stream's pace is 1/s). */
  eventsPerClientPerSec: number;
  /** The stream's own event-loop time (serialising once, writing to every socket) per second while connected: the
   * share of this process it takes from the ACD whatever the machine's noise (the throughput rounds are noisy on a
   * shared machine, and there the clients' process competes for the same cores, which browsers would not). */
  streamMsPerSec: number;
  rounds: { baseline: number; withClients: number }[];
  secondsPerPhase: number;
  concurrency: number;
}

const CLIENT = `
const workerData = JSON.parse(process.argv[1]);
const parentPort = { postMessage: (m) => process.send(m), on: (e, f) => process.on(e, f) };
let events = 0, bytes = 0;
const controllers = [];
for (let i = 0; i < workerData.clients; i++) {
  const ac = new AbortController();
  controllers.push(ac);
  fetch(workerData.url, { signal: ac.signal }).then(async (res) => {
    const dec = new TextDecoder();
    for await (const chunk of res.body) {
      bytes += chunk.length;
      const text = dec.decode(chunk, { stream: true });
      for (let j = text.indexOf('event: kpis'); j !== -1; j = text.indexOf('event: kpis', j + 1)) events++;
    }
  }).catch(() => undefined);
}
parentPort.on('message', (m) => {
  if (m === 'stats') parentPort.postMessage({ events, bytes });
  if (m === 'stop') { controllers.forEach((c) => c.abort()); parentPort.postMessage({ events, bytes, stopped: true }); process.disconnect(); }
});
`;

/** The picture 50 screens are sent: built once from the ACD's snapshot, as big as the real one. */
async function staticSource(store: RedisAcdStore, queueIds: string[]): Promise<LiveKpiSource> {
  const snap = await store.snapshot();
  const now = Date.now();
  const q = (queueId: string, waiting: number): LiveQueueKpis => ({
    queueId, waiting, longestWaitSec: waiting ? 95 : 0, offered: 420, answered: 390, abandoned: 12, answeredWithinTarget: 330,
    serviceLevel: 330 / 420, target: { fraction: 0.8, seconds: 20 }, abandonRate: 12 / 420, answerRate: 390 / 420, asaSec: 14.2,
    attSec: 182.5, ahtSec: 214.9, occupancy: 0.81, avgRings: 1.4, rona: 3, silent: 1, staffing: { required: 88, loggedIn: 90, ready: 12 },
  });
  const byState: LiveKpis['agents']['byState'] = {};
  for (const a of snap.agents) byState[a.state] = (byState[a.state] ?? 0) + 1;
  const base: LiveKpis = {
    at: now,
    windowSec: 3600,
    hotline: q('*', Object.values(snap.queues).reduce((n, ids) => n + ids.length, 0)),
    queues: queueIds.map((id) => q(id, snap.queues[id]?.length ?? 0)),
    agents: { byState, list: snap.agents.map((a) => ({ agentId: a.id, name: `agent ${a.id}`, state: a.state, reason: a.reason ?? null, since: a.since, reachable: a.reachable })) },
    alerts: [{ queueId: 'held', kind: 'longest-wait', message: 'longest wait 95 s over 60 s' }],
  };
  return { live: () => Promise.resolve({ ...base, at: Date.now() }) };
}

async function lifecyclesPerSec(store: RedisAcdStore, concurrency: number, ms: number): Promise<number> {
  const lc = new Lifecycles(store);
  const drain = lc.startDrain();
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) await lc.one();
  }));
  const perSec = (lc.completed / (performance.now() - t0)) * 1000;
  lc.stopDrain();
  await drain;
  return perSec;
}

/** Asks the clients' process for its counts ('stats'), or to disconnect everyone ('stop'). */
export const askClients = (c: ChildProcess, m: 'stats' | 'stop') =>
  new Promise<{ events: number; bytes: number }>((resolve) => {
    c.once('message', (x) => resolve(x as { events: number; bytes: number }));
    c.send(m);
  });

/** The clients: another process at the lowest priority, as browsers are on other machines (it shares the cores). */
export function startClients(url: string, clients: number): ChildProcess {
  const c = spawn(process.execPath, ['-e', CLIENT, JSON.stringify({ url, clients })], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  if (c.pid !== undefined) setPriority(c.pid, 19);
  return c;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runWallboardBench(opts: { seconds: number; clients: number; rounds: number; concurrency: number; agents?: number; waiting?: number }): Promise<WallboardBenchResult> {
  const agents = opts.agents ?? 1800;
  const waiting = opts.waiting ?? 300;
  const cfg = loadConfig();
  const redis: Redis = await connectAcdRedis(cfg.REDIS_URL, { enableAutoPipelining: true });
  const store = new RedisAcdStore({ redis, hotlineId: `bench-wallboard-${process.pid}`, clock: new SystemClock(), leaseMs: 600_000 });
  const app = Fastify({ logger: false });
  let stream: KpiStream | undefined;
  try {
    const { queues, profiles } = setup(agents);
    const held = { ...queues[0]!, id: 'held', name: 'held', requiredSkills: [{ skill: 'nobody', minLevel: 1 as const }] };
    await store.renewLease(INSTANCE);
    await store.configure({ skills: [...new Set(queues.flatMap((q) => q.requiredSkills.map((r) => r.skill))), 'nobody'], queues: [...queues, held] });
    for (let i = 0; i < profiles.length; i += 100) {
      await Promise.all(profiles.slice(i, i + 100).map(async (p) => {
        await store.loginAgent(p);
        await store.setReady(p.id);
      }));
    }
    for (let i = 0; i < waiting; i++) await store.enqueue({ callId: `held${i}`, queueId: 'held', callerNumber: `+86100${i}`, priority: 0, ownerInstance: INSTANCE });

    const source = await staticSource(store, [...queues.map((q) => q.id), 'held']);
    const frameBytes = Buffer.byteLength(JSON.stringify(await source.live()));
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    stream = registerWallboard(app, { source, logger: silentLogger });
    const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/kpis/stream`;

    const ms = opts.seconds * 1000;
    await lifecyclesPerSec(store, opts.concurrency, Math.min(1000, ms)); // warm-up
    const rounds: WallboardBenchResult['rounds'] = [];
    let events = 0;
    let connectedMs = 0;
    let busyMs = 0;
    for (let r = 0; r < opts.rounds; r++) {
      const baseline = await lifecyclesPerSec(store, opts.concurrency, ms);
      const worker = startClients(url, opts.clients);
      for (let i = 0; i < 100 && stream.clientCount < opts.clients; i++) await new Promise((res) => setTimeout(res, 50));
      const before = await askClients(worker, 'stats');
      const t0 = performance.now();
      const busy0 = stream.busyMs;
      const withClients = await lifecyclesPerSec(store, opts.concurrency, ms);
      connectedMs += performance.now() - t0;
      busyMs += stream.busyMs - busy0;
      const after = await askClients(worker, 'stop');
      events += after.events - before.events;
      await new Promise((res) => (worker.exitCode !== null ? res(null) : worker.once('exit', res)));
      rounds.push({ baseline: Math.round(baseline), withClients: Math.round(withClients) });
    }
    const b = median(rounds.map((x) => x.baseline));
    const w = median(rounds.map((x) => x.withClients));
    return {
      agents,
      waitingCalls: waiting,
      clients: opts.clients,
      frameBytes,
      baselineLifecyclesPerSec: b,
      withClientsLifecyclesPerSec: w,
      costPercent: Math.round((1 - w / b) * 1000) / 10,
      eventsPerClientPerSec: Math.round((events / opts.clients / (connectedMs / 1000)) * 100) / 100,
      streamMsPerSec: Math.round((busyMs / (connectedMs / 1000)) * 100) / 100,
      rounds,
      secondsPerPhase: opts.seconds,
      concurrency: opts.concurrency,
    };
  } finally {
    await app.close();
    await store.destroy();
    await redis.quit();
  }
}

export function register(bench: Command): void {
  bench
    .command('wallboard')
    .description('KPI event stream: ACD call lifecycles/s with N wallboard clients connected vs none, alternating in one run')
    .option('--json', 'print one JSON object')
    .option('--seconds <n>', 'seconds per phase', '5')
    .option('--clients <n>', 'simulated wallboard clients', '50')
    .option('--rounds <n>', 'baseline / with-clients pairs (the medians are compared)', '3')
    .option('--concurrency <n>', 'calls in flight', '64')
    .action(async (o: Options) => {
      const r = await runWallboardBench({
        seconds: positiveInt('seconds', o.seconds, 5),
        clients: positiveInt('clients', o.clients, 50),
        rounds: positiveInt('rounds', o.rounds, 3),
        concurrency: positiveInt('concurrency', o.concurrency, 64),
      });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      console.log(`wallboard stream benchmark: ${r.agents} agents, ${r.waitingCalls} calls waiting, ${r.clients} clients, frame ${Math.round(r.frameBytes / 1024)} KiB, ${r.rounds.length} × ${r.secondsPerPhase} s per phase`);
      console.log(`  lifecycles/s, no clients (median)          ${r.baselineLifecyclesPerSec}`);
      console.log(`  lifecycles/s, ${r.clients} clients (median)          ${r.withClientsLifecyclesPerSec}`);
      console.log(`  cost                                       ${r.costPercent}%  (target < 5%)`);
      console.log(`  kpis events per client per second          ${r.eventsPerClientPerSec}`);
      console.log(`  stream's event-loop time per second        ${r.streamMsPerSec} ms  (${(r.streamMsPerSec / 10).toFixed(2)}% of this process's loop)`);
      console.log(`  rounds (no clients / with clients)         ${r.rounds.map((x) => `${x.baseline}/${x.withClients}`).join('  ')}`);
    });
}
