import type { Clock } from '../../core/clock.js';
import { AcdError } from '../../acd/errors.js';
import { isValidHold, serveEntries } from '../../acd/eligibility.js';
import type { AcdEvent } from '../../acd/events.js';
import type { AfterCallRequest, AgentProfile, AgentState, CallRequest, NotReadyReason, Offer, QueueDefinition } from '../../acd/model.js';
import { isValidCallPriority } from '../../acd/ordering.js';
import { validateProfile, validateReason, validateSetup } from '../../acd/setup.js';
import { validateAfterCall } from '../../acd/states.js';
import type {
  AbandonResult,
  AcdSetup,
  AcdStore,
  AgentSnapshot,
  CallSnapshot,
  CallState,
  EndCallResult,
  EnqueueResult,
  ExpireResult,
  LastServed,
  ReapResult,
  StoreSnapshot,
  TrackedCall,
} from '../../acd/store.js';
import { scanKeys, type RedisClient } from './client.js';
import { toAcdError } from './errors.js';
import { ensureLibrary, libraryReady } from './function-library.js';
import { keyPrefix } from './keys.js';
import { ACD_OP_CODES, ACD_OPS, acdLibrary, BATCH_FUNCTION, EMPTY_SCRIPT, functionName, type AcdOp } from './lua-ops.js';

export interface RedisAcdStoreOptions {
  redis: RedisClient;
  hotlineId: string;
  clock: Clock;
  leaseMs: number;
  /** Approximate length the event stream is trimmed to; 0 turns events off. Default 1,000,000. */
  eventsMaxLen?: number;
  /** Told how long each function call took (FCALL round trip; `batch` for a batch), for the latency histogram. */
  observer?: RedisCallObserver;
  /**
   * Told of every reap's result: a dead instance's calls come back once, to whoever reaped, and their dialogs must be
   * hung up from there (the API reaps too, for an operator's hang-up of an orphan). Must not throw.
   */
  onReaped?: (r: ReapResult) => void;
}

/** A port for metrics: src/store/redis does not know the metrics library. Must not throw. */
export interface RedisCallObserver {
  fcall(fn: string, seconds: number, ok: boolean): void;
}

type EmptyScript = (key: string) => Promise<string>;

/** Attempts of an operation whose serve entries a concurrent configure (or log-in) made stale. */
const STALE_RETRIES = 5;

/** Most operations in one batch call (~40 us each in Redis on the 2-core development machine). */
const MAX_BATCH = 32;

interface QueuedOp {
  op: AcdOp;
  args: (string | number)[];
  now: number;
  resolve: (r: Record<string, unknown>) => void;
  reject: (e: unknown) => void;
}

/** One operation's reply: its JSON, or (in a batch) '!' and the error its function raised. */
function settle(o: QueuedOp, reply: string): void {
  if (reply.startsWith('!')) {
    o.reject(toAcdError({ name: 'ReplyError', message: reply.slice(1) }, o.op));
    return;
  }
  try {
    o.resolve(JSON.parse(reply) as Record<string, unknown>);
  } catch (e) {
    o.reject(toAcdError(e, o.op));
  }
}

const FUNCTION_NAMES = Object.fromEntries(ACD_OPS.map((op) => [op, functionName(op)])) as Record<AcdOp, string>;

/**
 * The ACD on Redis: each operation is one Lua function (src/store/redis/lua-*.ts; several issued in one tick share one
 * FCALL, see run) applying the same rules
 * as MemoryAcdStore, atomically, so several app instances can share queues and agents. Time comes from `clock`
 * and is passed into the scripts, which keeps virtual-time tests exact; with the system clock, instance clocks need
 * only agree to well within the lease. Errors are AcdError (STORE_UNAVAILABLE when Redis cannot be reached).
 */
export class RedisAcdStore implements AcdStore {
  readonly prefix: string;
  private readonly redis: RedisClient;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly maxLen: number;
  private readonly observer: RedisCallObserver | undefined;
  private readonly onReaped: ((r: ReapResult) => void) | undefined;
  private readonly emptyScript: EmptyScript;
  /** Constant FCALL arguments as strings, converted once instead of on every call. */
  private readonly leaseArg: string;
  private readonly maxLenArg: string;
  /** Operations issued since the last send: sent together, in order, on the next tick (see run). */
  private queue: QueuedOp[] = [];
  private sendScheduled = false;
  private readonly sendQueued = (): void => {
    this.sendScheduled = false;
    const ops = this.queue;
    this.queue = [];
    // Bounded batches: one function call holds Redis for all its operations, and other clients wait meanwhile.
    for (let i = 0; i < ops.length; i += MAX_BATCH) void this.send(ops.length <= MAX_BATCH ? ops : ops.slice(i, i + MAX_BATCH));
  };

  constructor(opts: RedisAcdStoreOptions) {
    this.redis = opts.redis;
    this.clock = opts.clock;
    this.leaseMs = opts.leaseMs;
    this.maxLen = opts.eventsMaxLen ?? 1_000_000;
    this.observer = opts.observer;
    this.onReaped = opts.onReaped;
    this.prefix = keyPrefix(opts.hotlineId);
    this.leaseArg = String(this.leaseMs);
    this.maxLenArg = String(this.maxLen);
    const table = this.redis as unknown as Record<string, EmptyScript | undefined>;
    // The benchmark's ceiling is an empty EVALSHA; defineCommand caches its SHA (EVAL once after a SCRIPT FLUSH).
    if (typeof table.acd_empty_script !== 'function') this.redis.defineCommand('acd_empty_script', { numberOfKeys: 1, lua: EMPTY_SCRIPT });
    const empty = table.acd_empty_script;
    if (!empty) throw new Error('ioredis did not define acd_empty_script');
    this.emptyScript = empty.bind(this.redis);
  }

  /** Runs one ACD function (FCALL); the result is its JSON. Loads the library first, and again if Redis lost it
   * (a restart without persistence). */
  /**
   * Runs one ACD operation; the result is its JSON. Operations issued in the same tick (many calls in flight) go
   * to Redis together as ONE batch function call, in the order issued; each still runs atomically on its own and
   * with its own time, exactly as consecutive FCALLs would, but the fixed cost of a call is paid once per batch in
   * Redis and in the client. A lone operation is a plain FCALL of its function.
   */
  private run(op: AcdOp, ...args: (string | number)[]): Promise<Record<string, unknown>> {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      this.queue.push({ op, args, now: this.clock.now(), resolve, reject });
      if (!this.sendScheduled) {
        this.sendScheduled = true;
        process.nextTick(this.sendQueued);
      }
    });
  }

  private async send(ops: QueuedOp[]): Promise<void> {
    let raw: unknown;
    try {
      if (!libraryReady(this.redis)) await ensureLibrary(this.redis, acdLibrary());
      try {
        raw = await this.invoke(ops);
      } catch (e) {
        // Loads the library and tries again if this master lacks it (a restart without persistence, a failover to
        // a replica or a new master that never got it): nothing ran.
        if (!/Function not found/i.test(String((e as Error).message))) throw e;
        await ensureLibrary(this.redis, acdLibrary(), true);
        raw = await this.invoke(ops);
      }
    } catch (e) {
      for (const o of ops) o.reject(toAcdError(e, o.op));
      return;
    }
    if (ops.length === 1) {
      settle(ops[0]!, String(raw));
      return;
    }
    const replies = raw as string[];
    for (let i = 0; i < ops.length; i++) settle(ops[i]!, String(replies[i]));
  }

  private invoke(ops: QueuedOp[]): Promise<unknown> {
    const obs = this.observer;
    if (!obs) return this.fcall(ops);
    const started = performance.now();
    const fn = ops.length === 1 ? FUNCTION_NAMES[ops[0]!.op] : 'batch';
    return this.fcall(ops).then(
      (r) => {
        obs.fcall(fn, (performance.now() - started) / 1000, true);
        return r;
      },
      (e: unknown) => {
        obs.fcall(fn, (performance.now() - started) / 1000, false);
        throw e;
      },
    );
  }

  private fcall(ops: QueuedOp[]): Promise<unknown> {
    if (ops.length === 1) {
      const o = ops[0]!;
      return this.redis.fcall(FUNCTION_NAMES[o.op], 1, this.prefix, o.now, this.leaseArg, this.maxLenArg, ...o.args);
    }
    const argv: (string | number)[] = [this.leaseArg, this.maxLenArg];
    for (const o of ops) {
      argv.push(ACD_OP_CODES[o.op], o.now, o.args.length);
      for (const a of o.args) argv.push(a);
    }
    return this.redis.fcall(BATCH_FUNCTION, 1, this.prefix, ...argv);
  }

  /** An empty script through EVALSHA on this connection: the ceiling the benchmark compares against. */
  async emptyEvalsha(): Promise<void> {
    try {
      await this.emptyScript(this.prefix);
    } catch (e) {
      throw toAcdError(e, 'empty');
    }
  }

  async configure(setup: AcdSetup): Promise<Offer[]> {
    const defs = validateSetup(setup);
    // Serve entries are computed here (the eligibility rules live in TypeScript) from each logged-in agent's skills,
    // against the new queues plus the removed ones (the script retires those that still hold calls).
    for (let attempt = 1; ; attempt++) {
      const r = await this.configureOnce(setup, defs);
      if (r) return r;
      if (attempt >= STALE_RETRIES) throw new AcdError('STORE_FAILED', 'configure: agents kept changing while their queues were computed');
    }
  }

  /** One attempt; null when an agent logged in or changed skills between the read and the script (retry). */
  private async configureOnce(setup: AcdSetup, defs: Map<string, QueueDefinition>): Promise<Offer[] | null> {
    const P = this.prefix;
    const { all, agents, version } = await this.guard('configure', async () => {
      // The version first: a log-in or profile change after it makes the script refuse these serve entries.
      const [version, order, agentIds] = await Promise.all([this.redis.hget(`${P}seq`, 'agents'), this.redis.get(`${P}qorder`), this.redis.smembers(`${P}agents`)]);
      const removed = (JSON.parse(order ?? '[]') as string[]).filter((id) => !defs.has(id));
      const all = new Map(defs);
      const old = removed.length > 0 ? await this.redis.mget(...removed.map((q) => `${P}qdjson:${q}`)) : [];
      for (const d of old) {
        if (!d) continue;
        const q = JSON.parse(d) as QueueDefinition;
        all.set(q.id, q);
      }
      const pipe = this.redis.pipeline();
      for (const id of agentIds) pipe.hmget(`${P}a:${id}`, 'state', 'skills');
      const rows = ((await pipe.exec()) ?? []).map(([err, v]) => {
        if (err) throw err;
        return v as (string | null)[];
      });
      const agents = agentIds.map((id, i) => ({ id, state: rows[i]![0], skills: rows[i]![1] }));
      return { all, agents, version: version ?? '0' };
    });
    const serves: [string, string][] = [];
    for (const a of agents) {
      // Agents logged in by library v12 carry no skills: they keep their queues until their next log-in.
      if (!a.state || a.state === 'logged-out' || !a.skills) continue;
      serves.push([a.id, compactServes((JSON.parse(a.skills) as AgentProfile['skills']), all)]);
    }
    const queues = [...defs.values()].map((q) => [q.id, JSON.stringify(scriptDef(q)), JSON.stringify(q)]);
    const r = await this.run('configure', JSON.stringify(setup.skills), JSON.stringify(queues), JSON.stringify(serves), `${escapeGlob(P)}c:*`, version);
    return r.stale ? null : list<Offer>(r.offers);
  }

  async loginAgent(profile: AgentProfile): Promise<void> {
    await this.withSetup('login', profile);
  }

  async updateProfile(profile: AgentProfile): Promise<Offer | null> {
    return offerOf(await this.withSetup('profile', profile));
  }

  /** Serve entries are computed here from the queues read just before: the script refuses them (stale) if the
   * queues changed in between, and this reads again, so no agent keeps the queues of an old queues.yaml. */
  private async withSetup(op: 'login' | 'profile', profile: AgentProfile): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      const { skills, queues, version } = await this.readSetup();
      validateProfile(profile, skills);
      const r = await this.run(op, profile.id, compactServes(profile.skills, queues), JSON.stringify(profile.skills), version);
      if (!r.stale) return r;
      if (attempt >= STALE_RETRIES) throw new AcdError('STORE_FAILED', `${op} ${profile.id}: the queues kept changing while its queues were computed`, { agentId: profile.id });
    }
  }

  async setRegistration(agentId: string, until: number): Promise<Offer | null> {
    if (!Number.isFinite(until)) throw new AcdError('BAD_DEFINITION', `agent ${agentId}: registration expiry must be a number`, { agentId });
    return offerOf(await this.run('setRegistration', agentId, String(Math.floor(until))));
  }

  async expire(): Promise<ExpireResult> {
    const r = await this.run('expire');
    return { wrapUpEnded: list(r.wrapUpEnded), unreachable: list(r.unreachable), offers: list(r.offers) };
  }

  async setReady(agentId: string): Promise<Offer | null> {
    return offerOf(await this.run('setReady', agentId));
  }

  async setNotReady(agentId: string, reason: NotReadyReason): Promise<void> {
    validateReason(reason);
    await this.run('setNotReady', agentId, reason);
  }

  async logout(agentId: string): Promise<void> {
    await this.run('logout', agentId);
  }

  async requestAfterCall(agentId: string, next: AfterCallRequest | null): Promise<void> {
    if (next !== null) validateAfterCall(next);
    await this.run('requestAfterCall', agentId, next ?? '');
  }

  async enqueue(call: CallRequest): Promise<EnqueueResult> {
    if (!call.callId) throw new AcdError('BAD_DEFINITION', 'call without id');
    if (!isValidCallPriority(call.priority)) throw new AcdError('BAD_DEFINITION', `call ${call.callId}: priority must be an integer 0..999`, { callId: call.callId });
    if (!isValidHold(call.hold)) throw new AcdError('BAD_DEFINITION', `call ${call.callId}: hold must be 'none' or { agentId, sec: integer 0..86400 }`, { callId: call.callId });
    const hold = call.hold === undefined ? ['', 0] : call.hold === 'none' ? ['-', 0] : [call.hold.agentId, call.hold.sec];
    const r = await this.run('enqueue', call.callId, call.queueId, call.callerNumber, call.priority, call.ownerInstance, ...hold);
    if (r.status === 'offered') return { status: 'offered', offer: r.offer as Offer };
    return { status: 'queued', position: r.position as number, length: r.length as number };
  }

  async markRinging(callId: string): Promise<void> {
    await this.run('markRinging', callId);
  }

  async answer(callId: string): Promise<void> {
    await this.run('answer', callId);
  }

  async rona(callId: string): Promise<Offer | null> {
    return offerOf(await this.run('rona', callId));
  }

  async giveBack(callId: string, agentId: string): Promise<Offer[]> {
    return list<Offer>((await this.run('giveBack', callId, agentId)).offers);
  }

  async moveCall(callId: string, queueId: string): Promise<EnqueueResult> {
    const r = await this.run('moveCall', callId, queueId);
    if (r.status === 'offered') return { status: 'offered', offer: r.offer as Offer };
    return { status: 'queued', position: r.position as number, length: r.length as number };
  }

  async abandon(callId: string, by?: 'operator'): Promise<AbandonResult> {
    const r = await (by === 'operator' ? this.run('abandon', callId, by) : this.run('abandon', callId));
    return { stage: r.stage as AbandonResult['stage'], offer: offerOf(r) };
  }

  async endCall(callId: string): Promise<EndCallResult> {
    const r = await this.run('endCall', callId);
    return { agentId: r.agentId as string, wrapUpSec: r.wrapUpSec as number, offer: offerOf(r) };
  }

  async wrapUpDone(agentId: string): Promise<Offer | null> {
    return offerOf(await this.run('wrapUpDone', agentId));
  }

  async tick(): Promise<Offer[]> {
    return list<Offer>((await this.run('tick')).offers);
  }

  /**
   * One stream entry of its own (the same shape as a function call's: field e, a JSON array), outside the Lua
   * functions: an arrival changes no ACD state, so it needs no atomicity with one. Trimmed by tick() with the rest.
   */
  async recordArrival(e: Omit<Extract<AcdEvent, { type: 'arrived' }>, 'type' | 'at'>): Promise<void> {
    if (this.maxLen === 0) return;
    const event: AcdEvent = { type: 'arrived', at: this.clock.now(), ...e };
    await this.guard('recordArrival', () => this.redis.xadd(`${this.prefix}events`, '*', 'e', JSON.stringify([event])));
  }

  async position(callId: string): Promise<{ position: number; length: number } | null> {
    const r = await this.run('position', callId);
    return typeof r.position === 'number' ? { position: r.position, length: r.length as number } : null;
  }

  async queueLength(queueId: string): Promise<number> {
    const [exists, n] = await this.guard('queueLength', () => Promise.all([this.redis.exists(`${this.prefix}qd:${queueId}`), this.redis.zcard(`${this.prefix}q:${queueId}`)]));
    if (!exists) throw new AcdError('UNKNOWN_QUEUE', `unknown queue ${queueId}`, { queueId });
    return n;
  }

  async lastServed(callerNumber: string): Promise<LastServed | null> {
    const P = this.prefix;
    return this.guard('lastServed', async () => {
      const v = await this.redis.get(`${P}last:${callerNumber}`);
      // '<agent>|<ended at ms>'; a bare agent id (an earlier library version) has no time: not usable here.
      const m = v === null ? null : /^([^|]+)\|(\d+)$/.exec(v);
      if (!m) return null;
      const [state, unreach] = await this.redis.hmget(`${P}a:${m[1]}`, 'state', 'unreach');
      return { agentId: m[1]!, at: Number(m[2]), active: state !== null && state !== 'logged-out' && unreach !== '1' };
    });
  }

  async agent(agentId: string): Promise<AgentSnapshot | null> {
    const h = await this.guard('agent', () => this.redis.hgetall(`${this.prefix}a:${agentId}`));
    return h.state ? agentSnapshot(agentId, h) : null;
  }

  async call(callId: string): Promise<CallSnapshot | null> {
    const h = await this.guard('call', () => this.redis.hgetall(`${this.prefix}c:${callId}`));
    return h.q ? callSnapshot(callId, h) : null;
  }

  async liveCalls(): Promise<CallSnapshot[]> {
    const P = this.prefix;
    return this.guard('liveCalls', async () => {
      // Every call is indexed under its owner instance (ic:<instance>, written with the call); an instance whose
      // lease is gone still has its calls listed until the reaper removes them, as snapshot() does.
      const instances = await this.redis.zrange(`${P}leases`, 0, -1);
      const idx = this.redis.pipeline();
      for (const i of instances) idx.zrange(`${P}ic:${i}`, 0, -1);
      const ids = ((await idx.exec()) ?? []).flatMap(([err, v]) => {
        if (err) throw err;
        return v as string[];
      });
      if (ids.length === 0) return [];
      const pipe = this.redis.pipeline();
      for (const id of ids) pipe.hgetall(`${P}c:${id}`);
      const rows = (await pipe.exec()) ?? [];
      const out: CallSnapshot[] = [];
      rows.forEach(([err, h], i) => {
        if (err) throw err;
        const row = h as Record<string, string>;
        if (row.q) out.push(callSnapshot(ids[i]!, row));
      });
      return out;
    });
  }

  async renewLease(instance: string): Promise<void> {
    await this.run('renew', instance);
  }

  async expireLease(instance: string): Promise<void> {
    await this.run('expireLease', instance);
  }

  /** When `instance`'s lease runs out (epoch ms of the store clock), or null when it holds none (never, or reaped). */
  async leaseUntil(instance: string): Promise<number | null> {
    const score = await this.guard('leaseUntil', () => this.redis.zscore(`${this.prefix}leases`, instance));
    return score === null ? null : Number(score);
  }

  async reap(): Promise<ReapResult> {
    const r = await this.run('reap');
    const result: ReapResult = {
      deadInstances: list(r.deadInstances),
      removedCalls: list(r.removedCalls),
      freedAgents: list(r.freedAgents),
      wrapUpEnded: list(r.wrapUpEnded),
      unreachable: list(r.unreachable),
      offers: list(r.offers),
      orphans: list(r.orphans),
    };
    if (result.deadInstances.length > 0) this.onReaped?.(result);
    return result;
  }

  async trackCall(call: TrackedCall): Promise<void> {
    await this.guard('trackCall', () => this.redis.hset(`${this.prefix}lc:${call.ownerInstance}`, call.callId, JSON.stringify(call)));
  }

  async untrackCall(instance: string, callId: string): Promise<void> {
    await this.guard('untrackCall', () => this.redis.hdel(`${this.prefix}lc:${instance}`, callId));
  }

  async takeOffers(instance: string, max = 100): Promise<Offer[]> {
    let raw: string[] | null;
    try {
      raw = await this.redis.lpop(`${this.prefix}in:${instance}`, max);
    } catch (e) {
      throw toAcdError(e, 'takeOffers');
    }
    const out: Offer[] = [];
    if (raw) for (const s of raw) out.push(JSON.parse(s) as Offer);
    return out;
  }

  /** Blocks up to `timeoutSec` for the next offer of `instance` (use a dedicated connection: it blocks it). */
  async waitOffer(blocking: RedisClient, instance: string, timeoutSec: number): Promise<Offer | null> {
    const r = await this.guard('waitOffer', () => blocking.blpop(`${this.prefix}in:${instance}`, timeoutSec));
    return r ? (JSON.parse(r[1]) as Offer) : null;
  }

  /** Events of the stream entries after id `after` ('0' for all), each with its entry's id (for the PostgreSQL
   * writer and tests; resume from the last id seen). At most `count` entries. */
  async readEvents(after = '0', count = 10_000): Promise<{ id: string; event: AcdEvent }[]> {
    const rows = await this.guard('readEvents', () => this.redis.xrange(`${this.prefix}events`, after === '0' ? '-' : `(${after}`, '+', 'COUNT', count));
    // One stream entry per function call (an operation or a batch), holding its events in order.
    return rows.flatMap(([id, fields]) => (JSON.parse(fields[1]!) as AcdEvent[]).map((event) => ({ id, event })));
  }

  async snapshot(): Promise<StoreSnapshot> {
    const P = this.prefix;
    return this.guard('snapshot', async () => {
      const [agentIds, callIds, order, leaseRows] = await Promise.all([
        this.redis.smembers(`${P}agents`),
        this.scanIds(`${P}c:`),
        this.redis.get(`${P}qorder`),
        this.redis.zrange(`${P}leases`, 0, -1, 'WITHSCORES'),
      ]);
      const pipe = this.redis.pipeline();
      for (const id of agentIds) pipe.hgetall(`${P}a:${id}`);
      for (const id of callIds) pipe.hgetall(`${P}c:${id}`);
      const qids = JSON.parse(order ?? '[]') as string[];
      for (const q of qids) pipe.zrange(`${P}q:${q}`, 0, -1);
      const res = ((await pipe.exec()) ?? []).map(([err, v]) => {
        if (err) throw err;
        return v;
      });
      const agents = agentIds.map((id, i) => agentSnapshot(id, res[i] as Record<string, string>));
      const calls = callIds.map((id, i) => callSnapshot(id, res[agentIds.length + i] as Record<string, string>));
      const queues: Record<string, string[]> = {};
      qids.forEach((q, i) => (queues[q] = res[agentIds.length + callIds.length + i] as string[]));
      const leases: Record<string, number> = {};
      for (let i = 0; i < leaseRows.length; i += 2) leases[leaseRows[i]!] = Number(leaseRows[i + 1]);
      return { agents, calls, queues, leases };
    });
  }

  /** Ids of the keys `<head><id>` (no index set on the hot path: snapshots are rare and may scan). */
  private async scanIds(head: string): Promise<string[]> {
    const out: string[] = [];
    await scanKeys(this.redis, `${escapeGlob(head)}*`, (keys) => {
      for (const k of keys) out.push(k.slice(head.length));
    });
    return out;
  }

  /** Deletes every key of this hotline (tests and the benchmark clean up with it). */
  async destroy(): Promise<void> {
    await this.guard('destroy', () =>
      scanKeys(this.redis, `${escapeGlob(this.prefix)}*`, async (keys) => {
        await this.redis.unlink(...keys);
      }),
    );
  }

  private async readSetup(): Promise<{ skills: Set<string>; queues: Map<string, QueueDefinition>; version: string }> {
    const P = this.prefix;
    return this.guard('readSetup', async () => {
      // The version first (commands run in order on this connection): a configure after it is detected by the script.
      const [version, skills, order] = await Promise.all([this.redis.hget(`${P}seq`, 'setup'), this.redis.smembers(`${P}skills`), this.redis.get(`${P}qorder`)]);
      const ids = JSON.parse(order ?? '[]') as string[];
      const defs = ids.length > 0 ? await this.redis.mget(...ids.map((q) => `${P}qdjson:${q}`)) : [];
      const queues = new Map<string, QueueDefinition>();
      defs.forEach((d) => {
        if (d) {
          const q = JSON.parse(d) as QueueDefinition;
          queues.set(q.id, q);
        }
      });
      return { skills: new Set(skills), queues, version: version ?? '0' };
    });
  }

  private async guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toAcdError(e, op);
    }
  }
}

function offerOf(r: Record<string, unknown>): Offer | null {
  const o = r.offer;
  return o && typeof o === 'object' && !Array.isArray(o) ? (o as Offer) : null;
}

/** cjson encodes an empty Lua table as {}; an empty list is what it meant. */
function list<T = string>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function agentSnapshot(id: string, h: Record<string, string>): AgentSnapshot {
  const s: AgentSnapshot = { id, state: h.state as AgentState, since: Number(h.since), readySince: Number(h.readySince), talkMs: Number(h.talk), reachable: h.unreach !== '1' };
  if (h.reason) s.reason = h.reason as NotReadyReason;
  if (h.call) s.callId = h.call;
  if (h.after) s.afterCall = h.after as AfterCallRequest;
  if (h.wrapUntil) s.wrapUpUntil = Number(h.wrapUntil);
  return s;
}

/** Serve entries as the scripts read them: compact [queue, via, skillScore] rows (read on most agent changes). */
function compactServes(skills: AgentProfile['skills'], queues: ReadonlyMap<string, QueueDefinition>): string {
  return JSON.stringify(serveEntries(skills, queues).map((e) => [e.queueId, e.via, e.skillScore]));
}

/** What the Lua reads of a queue, kept small; undefined thresholds are simply absent. */
function scriptDef(q: QueueDefinition): Record<string, unknown> {
  return {
    prio: q.priority,
    policy: q.policy,
    sec: q.overflow.secondaryAfterSec,
    qa: q.overflow.toQueue !== undefined ? q.overflow.queueAfterSec : undefined,
    sticky: q.stickyAgentSec,
    wrap: q.wrapUpSec,
  };
}

function callSnapshot(callId: string, h: Record<string, string>): CallSnapshot {
  const s: CallSnapshot = {
    callId,
    queueId: h.q!,
    state: h.st as CallState,
    priority: Number(h.prio),
    callerNumber: h.caller!,
    ownerInstance: h.owner!,
    arrivedAt: Number(h.at),
  };
  if (h.agent) s.agentId = h.agent;
  if (h.sticky) s.stickyAgent = h.sticky;
  return s;
}
