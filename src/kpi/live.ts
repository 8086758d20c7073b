import type { RedisClient } from '../store/redis/client.js';
import { AGENT_STATES, type AgentState, type QueueDefinition } from '../acd/model.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { keyPrefix } from '../store/redis/keys.js';
import { BUSY_STATES, emptySums, IDLE_STATES, kpiPrefix, MINUTE_MS, minuteOf, OCCUPANCY_STATES, QUEUE_FIELDS, queueOccupancy, servedQueues, type QueueField, type QueueSums } from './buckets.js';
import { queueAlerts, queueFigures } from './figures.js';
import type { LiveAgent, LiveKpis, LiveKpiSource, LiveQueueKpis, LiveReadOptions } from './types.js';

export interface RedisLiveKpisOptions {
  redis: RedisClient;
  hotlineId: string;
  clock: Clock;
  /** The queues (queues.yaml): targets, maximum waits, and which agents serve which queue. */
  queues: () => readonly QueueDefinition[];
  /** Sliding window in seconds (default 3600). */
  windowSec?: number;
  /** Agent display names (PostgreSQL), read at most every `namesCacheMs` (default 60 s). */
  names?: () => Promise<ReadonlyMap<string, string>>;
  namesCacheMs?: number;
  /**
   * The reuse window (default 0: every call reads; concurrent calls share one read). A reading older than this (or
   * marked stale by forget()) is still served at once while ONE background refresh runs: stale-while-revalidate.
   */
  maxAgeMs?: number;
  /**
   * A reading older than this is not served as live (default 10 x maxAgeMs): the caller waits for a fresh reading,
   * and when that read fails the caller gets its error (the API answers 503), never figures that old.
   */
  staleLimitMs?: number;
  /** Where a failed background refresh is reported (the reading before it keeps serving). */
  logger?: Logger;
}

interface AgentRow {
  id: string;
  state: AgentState;
  since: number;
  reason: string | null;
  reachable: boolean;
  /** The queue of its call while on a call or in wrap-up ('' unknown or none). */
  callQueue: string;
}


/**
 * Everything live() needs, in one read-only script: the window's minute buckets (HGETALL each), per queue the
 * number waiting and the oldest enqueue time (the ACD's queue index, then each member's `at`), the agent ids and
 * their version (seq.agents, bumped by every log-in and skill change). The agent records themselves are read in a
 * pipeline, not here: 1,800 HMGETs inside one script would hold Redis (~10 ms measured) while the ACD's operations
 * wait; pipelined, they interleave with them. Keys are built from KEYS[1] (the ACD's prefix, one hash slot) as the
 * ACD's own functions do.
 */
const READ_SCRIPT = `
local P, K = KEYS[1], ARGV[1]
local buckets = {}
for m = tonumber(ARGV[2]), tonumber(ARGV[3]) do buckets[#buckets + 1] = redis.call('HGETALL', K .. 'm:' .. m) end
local waiting = {}
for i = 4, #ARGV do
  local ids = redis.call('ZRANGE', P .. 'q:' .. ARGV[i], 0, -1)
  local oldest = ''
  for _, id in ipairs(ids) do
    local at = redis.call('HGET', P .. 'c:' .. id, 'at')
    if at and (oldest == '' or tonumber(at) < tonumber(oldest)) then oldest = at end
  end
  waiting[#waiting + 1] = {#ids, oldest}
end
return {buckets, waiting, redis.call('SMEMBERS', P .. 'agents'), redis.call('HGET', P .. 'seq', 'agents') or '0'}
`;

/** Agents per chunk of the agent read (one script each): ~1 ms of Redis time for 200 at the measured speed. */
const AGENT_CHUNK = 200;

/**
 * Per agent id in ARGV[2..]: id, state, since, reason, unreach, the queue of its call while on a call or in wrap-up
 * (the KPI counter's kpi:aq, for per-queue occupancy; '' otherwise), and its serve entries when ARGV[1] is '1'; flat.
 */
const AGENTS_SCRIPT = `
local P = KEYS[1]
local serves = ARGV[1] == '1'
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local v = redis.call('HMGET', P .. 'a:' .. id, 'state', 'since', 'reason', 'unreach', 'serves')
  local q = ''
  if v[1] == 'on-call' or v[1] == 'wrap-up' then q = redis.call('HGET', P .. 'kpi:aq', id) or '' end
  out[#out + 1] = id
  for j = 1, 4 do out[#out + 1] = v[j] or '' end
  out[#out + 1] = q
  if serves then out[#out + 1] = v[5] or '' end
end
return out
`;

/** HGETALL's flat reply inside a script result: [field, value, ...] as an object. */
function pairs(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return o;
}

function sumBuckets(rows: Record<string, string>[]): WindowSums {
  const queues = new Map<string, QueueSums>();
  const stateMs: Partial<Record<AgentState, number>> = {};
  for (const v of rows) {
    for (const [k, n] of Object.entries(v)) {
      const bar = k.lastIndexOf('|');
      const q = k.slice(0, bar);
      const f = k.slice(bar + 1);
      if (q === '*' && f.startsWith('st:')) {
        const st = f.slice(3) as AgentState;
        stateMs[st] = (stateMs[st] ?? 0) + Number(n);
        continue;
      }
      if (!(QUEUE_FIELDS as readonly string[]).includes(f)) continue;
      let s = queues.get(q);
      if (!s) queues.set(q, (s = emptySums()));
      s[f as QueueField] += Number(n);
    }
  }
  return { queues, stateMs };
}

export interface WindowSums {
  queues: Map<string, QueueSums>;
  /** Closed spans: milliseconds agents spent in each occupancy state. */
  stateMs: Partial<Record<AgentState, number>>;
}

const DEFAULT_TARGET = { fraction: 0.8, seconds: 20 };

/**
 * The live KPIs (LiveKpiSource) read from Redis in three pipelined round trips whatever the traffic: the window's
 * minute buckets (HGETALL each, kept by KpiCounter), each queue's waiting calls (ZRANGE of the ACD's queue index,
 * then their enqueue times), and the agent records (HMGET of state, since, reason, reachability, skills).
 */
export class RedisLiveKpis implements LiveKpiSource {
  private readonly P: string;
  private readonly K: string;
  private names: { at: number; map: ReadonlyMap<string, string> } | undefined;
  /** Queues each agent serves (the ACD's serve entries), re-read when seq.agents moves. */
  private servesById = new Map<string, string[]>();
  private servesVersion: string | undefined;
  private servesDefs: readonly QueueDefinition[] | undefined;
  /** The read in flight (at most one), with the generation (forget() count) it began in. */
  private reading: { promise: Promise<LiveKpis>; generation: number } | undefined;
  private last: { at: number; kpis: LiveKpis; stale: boolean } | undefined;
  private refreshFailing = false;
  private generation = 0;
  private readonly readScript: (...args: string[]) => Promise<[string[][], [number, string][], string[], string]>;

  constructor(private readonly opts: RedisLiveKpisOptions) {
    this.P = keyPrefix(opts.hotlineId);
    this.K = kpiPrefix(opts.hotlineId);
    const table = opts.redis as unknown as Record<string, ((...a: string[]) => Promise<[string[][], [number, string][], string[], string]>) | undefined>;
    // EVALSHA of one read-only script (its SHA cached by ioredis): one round trip and one reply to parse.
    if (typeof table.kpi_live_read !== 'function') opts.redis.defineCommand('kpi_live_read', { numberOfKeys: 1, lua: READ_SCRIPT });
    if (typeof table.kpi_agents_read !== 'function') opts.redis.defineCommand('kpi_agents_read', { numberOfKeys: 1, lua: AGENTS_SCRIPT });
    this.readScript = (...a: string[]) => table.kpi_live_read!.apply(opts.redis, a);
  }

  get windowSec(): number {
    return this.opts.windowSec ?? 3600;
  }

  /** The counters of the minutes [fromMs, toMs) (both on minute boundaries for a closed interval). */
  async sums(fromMs: number, toMs: number): Promise<WindowSums> {
    const pipe = this.opts.redis.pipeline();
    for (let m = minuteOf(fromMs); m * MINUTE_MS < toMs; m++) pipe.hgetall(`${this.K}m:${m}`);
    const rows = ((await pipe.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v as Record<string, string>;
    });
    return sumBuckets(rows);
  }

  /** Figures per queue over a closed interval [fromMs, toMs): what a report of that interval says. */
  async interval(fromMs: number, toMs: number): Promise<LiveQueueKpis[]> {
    const { queues } = await this.sums(fromMs, toMs);
    const defs = new Map(this.opts.queues().map((q) => [q.id, q]));
    return [...queues.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, sums]) =>
        queueFigures({ queueId: id, sums, target: defs.get(id)?.serviceLevel ?? DEFAULT_TARGET, waiting: 0, longestWaitSec: 0, windowSec: (toMs - fromMs) / 1000, occupancy: queueOccupancy(sums.busyMs, sums.idleMs), loggedIn: 0, ready: 0 }),
      );
  }

  /**
   * The figures, stale-while-revalidate (maxAgeMs > 0): a reading within the reuse window is served as it is; an
   * older one (or one forget() marked stale) is served at once too, and ONE background refresh starts (never two at
   * once; its failure is logged and the old reading keeps serving). Past `staleLimitMs` a reading is not served as
   * live: the caller waits for the refresh, and gets its error if it fails. `fresh`: wait for a reading begun after
   * the last change signal (the wallboard stream's pushes), joining one in flight only if it began after it.
   * With maxAgeMs 0 every call reads (concurrent callers share the read).
   */
  async live(opts: LiveReadOptions = {}): Promise<LiveKpis> {
    const now = this.opts.clock.now();
    const maxAge = this.opts.maxAgeMs ?? 0;
    const last = this.last;
    // A clock that went back (a test's virtual clock, the bench's shifted one) makes the reading unusable.
    const age = last && now >= last.at ? now - last.at : Infinity;
    if (!opts.fresh && maxAge > 0 && last && age <= this.staleLimitMs) {
      if (age >= maxAge || last.stale) this.refreshInBackground();
      return last.kpis;
    }
    return this.freshReading();
  }

  /** The reading that stays live longest: 10x the reuse window unless configured. */
  private get staleLimitMs(): number {
    return this.opts.staleLimitMs ?? 10 * (this.opts.maxAgeMs ?? 0);
  }

  /**
   * A reading that began after the last forget(): the one in flight if it qualifies, else a new one once the one
   * in flight (begun before the change) has ended, so two reads never run at once.
   */
  private async freshReading(): Promise<LiveKpis> {
    const current = this.reading;
    if (current && current.generation === this.generation) return current.promise;
    if (current) await current.promise.catch(() => undefined);
    // Another caller may have started the qualifying read while this one waited.
    const next = this.reading;
    if (next && next.generation === this.generation) return next.promise;
    return this.startRead().promise;
  }

  private startRead(): { promise: Promise<LiveKpis>; generation: number } {
    const generation = this.generation;
    const promise = this.read(this.opts.clock.now()).then((kpis) => {
      // A reading begun before forget() goes to its callers and is kept only as a stale one (a refresh follows).
      if (!this.last || kpis.at >= this.last.at || this.opts.clock.now() < this.last.at) this.last = { at: kpis.at, kpis, stale: generation !== this.generation };
      return kpis;
    });
    const entry = { promise, generation };
    this.reading = entry;
    const done = () => {
      if (this.reading === entry) this.reading = undefined;
    };
    promise.then(done, done);
    return entry;
  }

  /** At most one background refresh; a failure is logged once per run of failures, the old reading keeps serving. */
  private refreshInBackground(): void {
    if (this.reading) return;
    this.startRead().promise.then(
      () => {
        if (this.refreshFailing) this.opts.logger?.info({}, 'live KPIs: refresh works again');
        this.refreshFailing = false;
      },
      (err: unknown) => {
        if (!this.refreshFailing) this.opts.logger?.warn({ err }, 'live KPIs: background refresh failed; the last reading keeps serving until it is too old');
        this.refreshFailing = true;
      },
    );
  }

  /**
   * The figures changed (the counter counted something): the reading is marked stale, not dropped. The next live()
   * still gets it at once and starts a refresh; live({ fresh: true }) waits for a reading begun after this call.
   */
  forget(): void {
    this.generation++;
    if (this.last) this.last = { ...this.last, stale: true };
  }

  private async read(now: number): Promise<LiveKpis> {
    const from = (minuteOf(now) - Math.ceil(this.windowSec / 60) + 1) * MINUTE_MS;
    const defs = this.opts.queues();
    const [raw, names] = await Promise.all([
      this.readScript(this.P, this.K, String(minuteOf(from)), String(minuteOf(now)), ...defs.map((d) => d.id)),
      this.agentNames(now),
    ]);
    const [bucketRows, waitRows, agentIds, version] = raw;
    const sums = sumBuckets(bucketRows.map(pairs));
    const waiting = new Map<string, { n: number; longestSec: number }>();
    defs.forEach((d, i) => {
      const [n, oldest] = waitRows[i] ?? [0, ''];
      waiting.set(d.id, { n: Number(n), longestSec: Number(n) > 0 && oldest !== '' ? Math.max(0, (now - Number(oldest)) / 1000) : 0 });
    });
    // Serve entries only when someone logged in or changed skills, or queues.yaml changed, since the last read.
    const withServes = version !== this.servesVersion || defs !== this.servesDefs;
    // Agent records in chunks of one small script each, pipelined: few replies to parse, and Redis is held for a
    // chunk at a time (about a millisecond), so the ACD's operations interleave with the read.
    const pipe = this.opts.redis.pipeline();
    for (let i = 0; i < agentIds.length; i += AGENT_CHUNK) {
      (pipe as unknown as Record<string, (...a: string[]) => unknown>).kpi_agents_read!(this.P, withServes ? '1' : '0', ...agentIds.slice(i, i + AGENT_CHUNK));
    }
    const chunks = (await pipe.exec()) ?? [];
    if (withServes) this.servesById = new Map();
    const agents: AgentRow[] = [];
    const stride = withServes ? 7 : 6;
    for (const [err, v] of chunks) {
      if (err) throw err;
      const flat = v as string[];
      for (let i = 0; i + stride - 1 < flat.length; i += stride) {
        const id = flat[i]!;
        const state = flat[i + 1]!;
        if (withServes) this.servesById.set(id, servedQueues(flat[i + 6]));
        if (!(AGENT_STATES as readonly string[]).includes(state)) continue;
        agents.push({ id, state: state as AgentState, since: Number(flat[i + 2] || 0), reason: flat[i + 3] || null, reachable: flat[i + 4] !== '1', callQueue: flat[i + 5]! });
      }
    }
    if (withServes) {
      this.servesVersion = version;
      this.servesDefs = defs;
    }
    const elapsedSec = Math.max(1, (now - from) / 1000);

    // Occupancy over the window: closed spans from the buckets plus each agent's open span.
    const stateMs = { ...sums.stateMs };
    const byState: Partial<Record<AgentState, number>> = {};
    const loggedIn = new Map<string, number>();
    const ready = new Map<string, number>();
    const list: LiveAgent[] = [];
    // Per-queue occupancy (buckets.ts queueOccupancy): the closed spans counted, plus each agent's open span.
    const busyMs = new Map<string, number>();
    const idleMs = new Map<string, number>();
    const add = (m: Map<string, number>, q: string, n: number): void => void m.set(q, (m.get(q) ?? 0) + n);
    for (const [q, s] of sums.queues) {
      add(busyMs, q, s.busyMs);
      add(idleMs, q, s.idleMs);
    }
    for (const a of agents) {
      if (a.state === 'logged-out') continue;
      byState[a.state] = (byState[a.state] ?? 0) + 1;
      const open = Math.max(0, now - Math.max(a.since, from));
      if ((OCCUPANCY_STATES as readonly string[]).includes(a.state)) stateMs[a.state] = (stateMs[a.state] ?? 0) + open;
      if (BUSY_STATES.includes(a.state) && a.callQueue !== '') add(busyMs, a.callQueue, open);
      if (IDLE_STATES.includes(a.state)) for (const q of this.servesById.get(a.id) ?? []) add(idleMs, q, open);
      for (const q of this.servesById.get(a.id) ?? []) {
        loggedIn.set(q, (loggedIn.get(q) ?? 0) + 1);
        if (a.state === 'ready' && a.reachable) ready.set(q, (ready.get(q) ?? 0) + 1);
      }
      list.push({ agentId: a.id, name: names.get(a.id) ?? null, state: a.state, reason: a.reason, since: a.since, reachable: a.reachable });
    }
    list.sort((x, y) => (x.agentId < y.agentId ? -1 : x.agentId > y.agentId ? 1 : 0));
    const ms = (s: AgentState): number => stateMs[s] ?? 0;
    const busy = ms('on-call') + ms('wrap-up');
    const available = busy + ms('ready') + ms('reserved') + ms('ringing');
    const occupancy = available > 0 ? busy / available : null;

    const queues = defs.map((d) =>
      queueFigures({
        queueId: d.id,
        sums: sums.queues.get(d.id) ?? emptySums(),
        target: d.serviceLevel,
        waiting: waiting.get(d.id)?.n ?? 0,
        longestWaitSec: waiting.get(d.id)?.longestSec ?? 0,
        windowSec: elapsedSec,
        occupancy: queueOccupancy(busyMs.get(d.id) ?? 0, idleMs.get(d.id) ?? 0),
        loggedIn: loggedIn.get(d.id) ?? 0,
        ready: ready.get(d.id) ?? 0,
      }),
    );
    const total = emptySums();
    for (const d of defs) {
      const s = sums.queues.get(d.id);
      if (s) for (const f of QUEUE_FIELDS) total[f] += s[f];
    }
    const hotline = queueFigures({
      queueId: '*',
      sums: total,
      target: hotlineTarget(defs, sums.queues),
      waiting: queues.reduce((n, q) => n + q.waiting, 0),
      longestWaitSec: queues.reduce((n, q) => Math.max(n, q.longestWaitSec), 0),
      windowSec: elapsedSec,
      occupancy,
      loggedIn: list.length,
      ready: list.filter((a) => a.state === 'ready' && a.reachable).length,
    });
    // The hotline's requirement is the queues' together (each sized against its own target).
    const need = queues.map((q) => q.staffing.required);
    hotline.staffing.required = need.some((n) => n === null) ? null : need.reduce<number>((a, b) => a + (b ?? 0), 0);
    const alerts = queues.flatMap((q, i) => queueAlerts(q, defs[i]!.maxWaitSec));
    return { at: now, windowSec: this.windowSec, hotline, queues, agents: { byState, list }, alerts };
  }

  private async agentNames(now: number): Promise<ReadonlyMap<string, string>> {
    if (!this.opts.names) return new Map();
    if (!this.names || now - this.names.at > (this.opts.namesCacheMs ?? 60_000)) {
      try {
        this.names = { at: now, map: await this.opts.names() };
      } catch {
        // PostgreSQL away: the figures still show, with the names last known (or none).
        return this.names?.map ?? new Map();
      }
    }
    return this.names.map;
  }
}

/** The hotline's target: the queues' fractions weighted by calls offered, and the strictest seconds. */
function hotlineTarget(defs: readonly QueueDefinition[], sums: Map<string, QueueSums>): { fraction: number; seconds: number } {
  if (defs.length === 0) return DEFAULT_TARGET;
  let off = 0;
  let weighted = 0;
  for (const d of defs) {
    const n = sums.get(d.id)?.off ?? 0;
    off += n;
    weighted += n * d.serviceLevel.fraction;
  }
  const fraction = off > 0 ? weighted / off : defs.reduce((a, d) => a + d.serviceLevel.fraction, 0) / defs.length;
  return { fraction, seconds: Math.min(...defs.map((d) => d.serviceLevel.seconds)) };
}
