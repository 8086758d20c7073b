import type { Redis } from 'ioredis';
import { serveEntries } from '../acd/eligibility.js';
import { AGENT_STATES, type AgentSkill, type AgentState, type QueueDefinition } from '../acd/model.js';
import type { Clock } from '../core/clock.js';
import { keyPrefix } from '../store/redis/keys.js';
import { emptySums, kpiPrefix, MINUTE_MS, minuteOf, OCCUPANCY_STATES, QUEUE_FIELDS, type QueueField, type QueueSums } from './buckets.js';
import { queueAlerts, queueFigures } from './figures.js';
import type { LiveAgent, LiveKpis, LiveKpiSource, LiveQueueKpis } from './types.js';

export interface RedisLiveKpisOptions {
  redis: Redis;
  hotlineId: string;
  clock: Clock;
  /** The queues (queues.yaml): targets, maximum waits, and which agents serve which queue. */
  queues: () => readonly QueueDefinition[];
  /** Sliding window in seconds (default 3600). */
  windowSec?: number;
  /** Agent display names (PostgreSQL), read at most every `namesCacheMs` (default 60 s). */
  names?: () => Promise<ReadonlyMap<string, string>>;
  namesCacheMs?: number;
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
  /** Queues an agent serves, by its skills JSON and the queue set (agents share a few skill sets). */
  private serveCache = new Map<string, string[]>();
  private serveFor: readonly QueueDefinition[] | undefined;

  constructor(private readonly opts: RedisLiveKpisOptions) {
    this.P = keyPrefix(opts.hotlineId);
    this.K = kpiPrefix(opts.hotlineId);
  }

  get windowSec(): number {
    return this.opts.windowSec ?? 3600;
  }

  /** The counters of the minutes [fromMs, toMs) (both on minute boundaries for a closed interval). */
  async sums(fromMs: number, toMs: number): Promise<WindowSums> {
    const pipe = this.opts.redis.pipeline();
    for (let m = minuteOf(fromMs); m * MINUTE_MS < toMs; m++) pipe.hgetall(`${this.K}m:${m}`);
    const rows = (await pipe.exec()) ?? [];
    const queues = new Map<string, QueueSums>();
    const stateMs: Partial<Record<AgentState, number>> = {};
    for (const [err, v] of rows) {
      if (err) throw err;
      for (const [k, n] of Object.entries(v as Record<string, string>)) {
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

  /** Figures per queue over a closed interval [fromMs, toMs): what a report of that interval says. */
  async interval(fromMs: number, toMs: number): Promise<LiveQueueKpis[]> {
    const { queues } = await this.sums(fromMs, toMs);
    const defs = new Map(this.opts.queues().map((q) => [q.id, q]));
    return [...queues.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, sums]) =>
        queueFigures({ queueId: id, sums, target: defs.get(id)?.serviceLevel ?? DEFAULT_TARGET, waiting: 0, longestWaitSec: 0, windowSec: (toMs - fromMs) / 1000, occupancy: null, loggedIn: 0, ready: 0 }),
      );
  }

  async live(): Promise<LiveKpis> {
    const now = this.opts.clock.now();
    const from = (minuteOf(now) - Math.ceil(this.windowSec / 60) + 1) * MINUTE_MS;
    const defs = this.opts.queues();
    const [sums, waiting, agents, names] = await Promise.all([this.sums(from, now + 1), this.waiting(defs, now), this.agents(), this.agentNames(now)]);
    const elapsedSec = Math.max(1, (now - from) / 1000);

    // Occupancy over the window: closed spans from the buckets plus each agent's open span.
    const stateMs = { ...sums.stateMs };
    const byState: Partial<Record<AgentState, number>> = {};
    const loggedIn = new Map<string, number>();
    const ready = new Map<string, number>();
    const list: LiveAgent[] = [];
    for (const a of agents) {
      if (a.state === 'logged-out') continue;
      byState[a.state] = (byState[a.state] ?? 0) + 1;
      if ((OCCUPANCY_STATES as readonly string[]).includes(a.state)) stateMs[a.state] = (stateMs[a.state] ?? 0) + Math.max(0, now - Math.max(a.since, from));
      for (const q of this.serves(a.skills, defs)) {
        loggedIn.set(q, (loggedIn.get(q) ?? 0) + 1);
        if (a.state === 'ready' && a.reachable) ready.set(q, (ready.get(q) ?? 0) + 1);
      }
      list.push({ agentId: a.id, name: names.get(a.id) ?? null, state: a.state, reason: a.reason, since: a.since, reachable: a.reachable });
    }
    list.sort((x, y) => x.agentId.localeCompare(y.agentId));
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
        // Agents serve several queues: their time is not split per queue, so occupancy is the hotline's only.
        occupancy: null,
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

  /** Callers waiting per queue and the longest wait: the ACD's queue index, then the enqueue time of each member. */
  private async waiting(defs: readonly QueueDefinition[], now: number): Promise<Map<string, { n: number; longestSec: number }>> {
    const redis = this.opts.redis;
    const pipe = redis.pipeline();
    for (const d of defs) pipe.zrange(`${this.P}q:${d.id}`, 0, -1);
    const members = ((await pipe.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v as string[];
    });
    const out = new Map<string, { n: number; longestSec: number }>();
    const all = members.flat();
    const ats = all.length > 0 ? await this.hgetEach(all.map((id) => `${this.P}c:${id}`), 'at') : [];
    let k = 0;
    defs.forEach((d, i) => {
      let oldest = now;
      for (const _ of members[i]!) {
        const at = Number(ats[k++] ?? now);
        if (at < oldest) oldest = at;
      }
      out.set(d.id, { n: members[i]!.length, longestSec: members[i]!.length > 0 ? (now - oldest) / 1000 : 0 });
    });
    return out;
  }

  private async hgetEach(keys: string[], field: string): Promise<(string | null)[]> {
    const pipe = this.opts.redis.pipeline();
    for (const key of keys) pipe.hget(key, field);
    return ((await pipe.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v as string | null;
    });
  }

  private async agents(): Promise<{ id: string; state: AgentState; since: number; reason: string | null; reachable: boolean; skills: string | null }[]> {
    const redis = this.opts.redis;
    const ids = await redis.smembers(`${this.P}agents`);
    if (ids.length === 0) return [];
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hmget(`${this.P}a:${id}`, 'state', 'since', 'reason', 'unreach', 'skills');
    const rows = (await pipe.exec()) ?? [];
    const out: { id: string; state: AgentState; since: number; reason: string | null; reachable: boolean; skills: string | null }[] = [];
    rows.forEach(([err, v], i) => {
      if (err) throw err;
      const [state, since, reason, unreach, skills] = v as (string | null)[];
      if (!state || !(AGENT_STATES as readonly string[]).includes(state)) return;
      out.push({ id: ids[i]!, state: state as AgentState, since: Number(since ?? 0), reason: reason || null, reachable: unreach !== '1', skills: skills ?? null });
    });
    return out;
  }

  private serves(skills: string | null, defs: readonly QueueDefinition[]): string[] {
    if (!skills) return [];
    if (this.serveFor !== defs) {
      this.serveCache = new Map();
      this.serveFor = defs;
    }
    let qs = this.serveCache.get(skills);
    if (!qs) {
      qs = serveEntries(JSON.parse(skills) as AgentSkill[], new Map(defs.map((d) => [d.id, d]))).map((e) => e.queueId);
      this.serveCache.set(skills, qs);
    }
    return qs;
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
