import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { AgentProfile, QueueDefinition } from '../acd/model.js';
import { loadConfig } from '../config/index.js';
import { SystemClock } from '../core/clock.js';
import { InvalidInputError } from '../core/errors.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import { connectAcdRedis } from '../store/redis/connection.js';

/**
 * `acd bench routing`: the Redis ACD core against the real Redis at REDIS_URL, in one run:
 *  1. saturated: full call lifecycles (enqueue + match in one script, the owner draining its offer inbox, answer,
 *     end of call which frees the agent) with `concurrency` calls in flight, as a multi-call server has them;
 *     match latency = round trip of the enqueue script, which makes the match;
 *  2. the same Redis's ceiling: an empty script through the same client, connection settings and concurrency;
 *  3. paced: lifecycles started at a fixed rate (default 5,000/s) with match latency measured at that load.
 * 500 agents across 20 skills; event stream on (as in production). Keys live under a private hotline id and are
 * deleted afterwards. ratio = lifecyclesPerSec / emptyScriptPerSec (a lifecycle is 3 scripts + an inbox pop).
 */

interface Options {
  json?: boolean;
  seconds?: string;
  concurrency?: string;
  rate?: string;
  agents?: string;
}

export interface RoutingBenchResult {
  lifecyclesPerSec: number;
  matchP50Ms: number;
  matchP99Ms: number;
  emptyScriptPerSec: number;
  ratio: number;
  /** CPU spent per lifecycle in this process and in the Redis server (saturated phase): the cost, independent of
   * how much of the machine the benchmark got. */
  clientCpuUsPerLifecycle: number;
  redisCpuUsPerLifecycle: number;
  pacedRatePerSec: number;
  pacedAchievedPerSec: number;
  pacedMatchP50Ms: number;
  pacedMatchP99Ms: number;
  agents: number;
  skills: number;
  concurrency: number;
  secondsPerPhase: number;
  redisUrl: string;
}

const SKILLS = Array.from({ length: 20 }, (_, i) => `skill${String(i).padStart(2, '0')}`);
export const INSTANCE = 'bench';
// Built once: the driver should cost as little as a real call session between operations.
const QUEUE_IDS = SKILLS.map((_, i) => `q${i}`);
const CALLERS = Array.from({ length: 1000 }, (_, i) => `+8610${i}`);

export function setup(agents: number): { queues: QueueDefinition[]; profiles: AgentProfile[] } {
  const policies = ['longest-idle', 'highest-skill', 'least-talk-time', 'round-robin'] as const;
  const queues = SKILLS.map(
    (skill, i): QueueDefinition => ({
      id: `q${i}`,
      name: `queue ${i}`,
      requiredSkills: [{ skill, minLevel: 1 }],
      priority: i % 3,
      policy: policies[i % policies.length]!,
      overflow: { secondaryAfterSec: 30 },
      serviceLevel: { fraction: 0.8, seconds: 20 },
      wrapUpSec: 0,
      answerRings: 3,
      stickyAgentSec: 0,
      maxWaitSec: 0,
    }),
  );
  // Each agent: two primary skills and one secondary, spread evenly over the 20 skills.
  const profiles = Array.from({ length: agents }, (_, i): AgentProfile => ({
    id: `agent${i}`,
    name: `agent ${i}`,
    skills: [
      { skill: SKILLS[i % 20]!, level: ((i % 5) + 1) as 1 | 2 | 3 | 4 | 5, primary: true },
      { skill: SKILLS[(i + 7) % 20]!, level: 3, primary: true },
      { skill: SKILLS[(i + 13) % 20]!, level: 2, primary: false },
    ],
  }));
  return { queues, profiles };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

class Latencies {
  private buf = new Float64Array(1 << 16);
  private n = 0;
  add(ms: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = ms;
  }
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
}

export class Lifecycles {
  private seq = 0;
  readonly match = new Latencies();
  completed = 0;
  private readonly pending = new Map<string, () => void>();
  private draining = false;

  constructor(private readonly store: RedisAcdStore) {}

  /** The owner side: pop offers from this instance's inbox, as the real server's consumer does. */
  startDrain(): Promise<void> {
    this.draining = true;
    return (async () => {
      while (this.draining) {
        const offers = await this.store.takeOffers(INSTANCE, 1000);
        for (const o of offers) this.pending.get(o.callId)?.();
        if (offers.length === 0) await new Promise((r) => setImmediate(r));
      }
    })();
  }

  stopDrain(): void {
    this.draining = false;
  }

  async one(): Promise<void> {
    const n = this.seq++;
    const callId = `c${n}`;
    const delivered = new Promise<void>((resolve) => this.pending.set(callId, resolve));
    const t0 = performance.now();
    await this.store.enqueue({ callId, queueId: QUEUE_IDS[n % 20]!, callerNumber: CALLERS[n % 1000]!, priority: n % 10 === 0 ? 1 : 0, ownerInstance: INSTANCE });
    this.match.add(performance.now() - t0);
    // Matched at once or queued, the offer reaches the owner through its inbox, as on a real server.
    await delivered;
    this.pending.delete(callId);
    await this.store.answer(callId);
    await this.store.endCall(callId);
    this.completed++;
  }
}

/** Redis server CPU seconds so far (user + sys), from INFO: where the time goes, whatever else runs on the box. */
async function redisCpuSec(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const num = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return num('used_cpu_user') + num('used_cpu_sys');
}

interface Saturated {
  perSec: number;
  p50: number;
  p99: number;
  clientCpuUsPerLifecycle: number;
  redisCpuUsPerLifecycle: number;
}

async function saturated(store: RedisAcdStore, redis: Redis, concurrency: number, ms: number): Promise<Saturated> {
  const lc = new Lifecycles(store);
  const drain = lc.startDrain();
  const cpu0 = process.cpuUsage();
  const rcpu0 = await redisCpuSec(redis);
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await lc.one();
    }),
  );
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rcpu = (await redisCpuSec(redis)) - rcpu0;
  lc.stopDrain();
  await drain;
  const s = lc.match.sorted();
  const n = Math.max(1, lc.completed);
  return {
    perSec: (lc.completed / elapsed) * 1000,
    p50: percentile(s, 0.5),
    p99: percentile(s, 0.99),
    clientCpuUsPerLifecycle: (cpu.user + cpu.system) / n,
    redisCpuUsPerLifecycle: (rcpu * 1e6) / n,
  };
}

async function paced(store: RedisAcdStore, rate: number, ms: number): Promise<{ perSec: number; p50: number; p99: number }> {
  const lc = new Lifecycles(store);
  const drain = lc.startDrain();
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  let started = 0;
  // Start lifecycles on schedule (catching up in small bursts when the timer is late), never waiting for them.
  while (performance.now() - t0 < ms) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (started < due) {
      started++;
      const p = lc.one().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const elapsed = performance.now() - t0;
  lc.stopDrain();
  await drain;
  const s = lc.match.sorted();
  return { perSec: (lc.completed / elapsed) * 1000, p50: percentile(s, 0.5), p99: percentile(s, 0.99) };
}

async function emptyCeiling(store: RedisAcdStore, concurrency: number, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await store.emptyEvalsha();
        n++;
      }
    }),
  );
  return (n / (performance.now() - t0)) * 1000;
}

export async function runRoutingBench(opts: { seconds: number; concurrency: number; rate: number; agents: number }): Promise<RoutingBenchResult> {
  const cfg = loadConfig();
  const redis: Redis = await connectAcdRedis(cfg.REDIS_URL, { enableAutoPipelining: true });
  const store = new RedisAcdStore({ redis, hotlineId: `bench-routing-${process.pid}`, clock: new SystemClock(), leaseMs: 600_000 });
  try {
    const { queues, profiles } = setup(opts.agents);
    await store.renewLease(INSTANCE);
    await store.configure({ skills: SKILLS, queues });
    await Promise.all(profiles.map(async (p) => {
      await store.loginAgent(p);
      await store.setReady(p.id);
    }));
    const ms = opts.seconds * 1000;
    await saturated(store, redis, opts.concurrency, Math.min(500, ms)); // warm-up: JIT, script cache, connection
    const sat = await saturated(store, redis, opts.concurrency, ms);
    const empty = await emptyCeiling(store, opts.concurrency, ms);
    const pace = await paced(store, opts.rate, ms);
    return {
      lifecyclesPerSec: Math.round(sat.perSec),
      matchP50Ms: round(sat.p50),
      matchP99Ms: round(sat.p99),
      emptyScriptPerSec: Math.round(empty),
      ratio: round(sat.perSec / empty, 4),
      clientCpuUsPerLifecycle: Math.round(sat.clientCpuUsPerLifecycle),
      redisCpuUsPerLifecycle: Math.round(sat.redisCpuUsPerLifecycle),
      pacedRatePerSec: opts.rate,
      pacedAchievedPerSec: Math.round(pace.perSec),
      pacedMatchP50Ms: round(pace.p50),
      pacedMatchP99Ms: round(pace.p99),
      agents: opts.agents,
      skills: SKILLS.length,
      concurrency: opts.concurrency,
      secondsPerPhase: opts.seconds,
      redisUrl: cfg.REDIS_URL.replace(/\/\/[^@]*@/, '//***@'),
    };
  } finally {
    await store.destroy();
    await redis.quit();
  }
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A bench's `--name` option as a positive integer (the default when absent), or one INVALID_INPUT line. */
export function positiveInt(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidInputError(`--${name}`, `must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function register(bench: Command): void {
  bench
    .command('routing')
    .description('Redis ACD: call lifecycles/s and match latency vs an empty-script ceiling on the same connection, plus a paced run')
    .option('--json', 'print one JSON object')
    .option('--seconds <n>', 'seconds per measured phase', '3')
    .option('--concurrency <n>', 'calls in flight in the saturated phases', '64')
    .option('--rate <n>', 'lifecycles started per second in the paced phase', '5000')
    .option('--agents <n>', 'agents logged in and ready', '500')
    .action(async (o: Options) => {
      const r = await runRoutingBench({
        seconds: positiveInt('seconds', o.seconds, 3),
        concurrency: positiveInt('concurrency', o.concurrency, 64),
        rate: positiveInt('rate', o.rate, 5000),
        agents: positiveInt('agents', o.agents, 500),
      });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      console.log(`routing benchmark: ${r.agents} agents, ${r.skills} skills, ${r.concurrency} calls in flight, ${r.secondsPerPhase} s per phase, ${r.redisUrl}`);
      console.log(`  lifecycles/s (enqueue+match, answer, end)  ${r.lifecyclesPerSec}`);
      console.log(`  match latency p50 / p99 (saturated)        ${r.matchP50Ms} ms / ${r.matchP99Ms} ms`);
      console.log(`  empty EVALSHA/s, same connection           ${r.emptyScriptPerSec}`);
      console.log(`  ratio lifecycles / empty scripts           ${r.ratio}`);
      console.log(`  CPU per lifecycle: client / redis          ${r.clientCpuUsPerLifecycle} us / ${r.redisCpuUsPerLifecycle} us`);
      console.log(`  paced ${r.pacedRatePerSec}/s: achieved ${r.pacedAchievedPerSec}/s, match p50 / p99 ${r.pacedMatchP50Ms} ms / ${r.pacedMatchP99Ms} ms`);
    });
}
