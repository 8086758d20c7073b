import type { RedisClient } from './client.js';
import { emptyPlanState, type PlanCampaign, type PlanLevel, type PlanState, type PlanTransition } from '../../acd/peak-plan.js';
import { toAcdError } from './errors.js';
import { keyPrefix } from './keys.js';

/**
 * The peak plan's shared state in Redis, under the hotline's hash tag (keys.ts):
 *   plan:state (hash: v = version, state = the engine's JSON, level = overall level) · plan:lock (string: the
 *   evaluator of this tick, with a short expiry) · plan:outbox (list: transitions committed but not yet recorded
 *   in PostgreSQL / acted on, oldest first) · plan:campaigns (hash: id -> campaign JSON, a copy of PostgreSQL's
 *   plan_campaigns so the call path never waits on PostgreSQL) · plan:drafted (set: supervisors the plan made ready)
 * A tick's new state and its transitions are written by one compare-and-set script: two evaluators that both read
 * version N can never both commit, so a transition enters the outbox once.
 */

/** KEYS: state, outbox. ARGV: expected version ('' when none), new state JSON, new level, transitions JSON... */
const COMMIT = `
local cur = redis.call('HGET', KEYS[1], 'v') or ''
if cur ~= ARGV[1] then return 0 end
local nv = tostring((tonumber(cur) or 0) + 1)
redis.call('HSET', KEYS[1], 'v', nv, 'state', ARGV[2], 'level', ARGV[3])
for i = 4, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return 1
`;

/** KEYS: lock. ARGV: holder. Deletes the lock only when this holder still has it. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** KEYS: outbox. ARGV: the entry expected at the head, its replacement ('' pops it). */
const REPLACE_HEAD = `
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('LPOP', KEYS[1]) else redis.call('LSET', KEYS[1], 0, ARGV[2]) end
return 1
`;

/** A committed transition waiting to be recorded; `effects` once its effects have run (they run before the row). */
export interface OutboxEntry {
  t: PlanTransition;
  /** The plan's overall level once the tick that made `t` was committed. */
  overall?: PlanLevel;
  effects?: Record<string, unknown>;
}

export class RedisPlanStore {
  private readonly base: string;
  private readonly p: string;
  constructor(
    private readonly redis: RedisClient,
    hotlineId: string,
  ) {
    this.base = keyPrefix(hotlineId);
    this.p = `${this.base}plan:`;
  }

  /** Take the evaluator lock for `ms` (SET NX PX): false when another instance holds it. */
  async lock(holder: string, ms: number): Promise<boolean> {
    return this.guard('plan.lock', async () => (await this.redis.set(`${this.p}lock`, holder, 'PX', ms, 'NX')) === 'OK');
  }

  async unlock(holder: string): Promise<void> {
    await this.guard('plan.unlock', () => this.redis.eval(UNLOCK, 1, `${this.p}lock`, holder));
  }

  /** The engine's state and its version ('' before the first commit). */
  async read(): Promise<{ version: string; state: PlanState }> {
    const [v, s] = await this.guard('plan.read', () => this.redis.hmget(`${this.p}state`, 'v', 'state'));
    return { version: v ?? '', state: s ? (JSON.parse(s) as PlanState) : emptyPlanState() };
  }

  /** The overall level alone (one HGET: what break requests and the callback gate read). */
  async level(): Promise<PlanLevel> {
    const l = await this.guard('plan.level', () => this.redis.hget(`${this.p}state`, 'level'));
    const n = Number(l ?? 0);
    return n === 1 || n === 2 ? n : 0;
  }

  /** Write the new state and queue its transitions, if nobody committed since `version` was read. */
  async commit(version: string, state: PlanState, level: PlanLevel, transitions: readonly PlanTransition[]): Promise<boolean> {
    const entries = transitions.map((t) => JSON.stringify({ t, overall: level } satisfies OutboxEntry));
    const r = await this.guard('plan.commit', () => this.redis.eval(COMMIT, 2, `${this.p}state`, `${this.p}outbox`, version, JSON.stringify(state), String(level), ...entries));
    return r === 1;
  }

  /** The oldest outbox entry, raw (to replace it exactly) and parsed. */
  async head(): Promise<{ raw: string; entry: OutboxEntry } | null> {
    const raw = await this.guard('plan.head', () => this.redis.lindex(`${this.p}outbox`, 0));
    return raw === null ? null : { raw, entry: JSON.parse(raw) as OutboxEntry };
  }

  /** Replace the head entry (effects done) or pop it (null: recorded); false when the head is no longer `raw`. */
  async replaceHead(raw: string, next: OutboxEntry | null): Promise<boolean> {
    const r = await this.guard('plan.outbox', () => this.redis.eval(REPLACE_HEAD, 1, `${this.p}outbox`, raw, next ? JSON.stringify(next) : ''));
    return r === 1;
  }

  async outboxLength(): Promise<number> {
    return this.guard('plan.outbox', () => this.redis.llen(`${this.p}outbox`));
  }

  /** Calls waiting per queue: one ZCARD per queue of the ACD's queue index, in one round trip. */
  async waiting(queueIds: readonly string[]): Promise<Record<string, number>> {
    if (queueIds.length === 0) return {};
    const pipe = this.redis.pipeline();
    for (const q of queueIds) pipe.zcard(`${this.base}q:${q}`);
    const res = (await this.guard('plan.waiting', () => pipe.exec())) ?? [];
    const out: Record<string, number> = {};
    queueIds.forEach((q, i) => {
      const [err, n] = res[i] ?? [null, 0];
      if (err) throw toAcdError(err, 'plan.waiting');
      out[q] = Number(n);
    });
    return out;
  }

  /** Campaigns as every instance sees them (the Redis copy). */
  async campaigns(): Promise<PlanCampaign[]> {
    const h = await this.guard('plan.campaigns', () => this.redis.hvals(`${this.p}campaigns`));
    return h.map((s) => JSON.parse(s) as PlanCampaign);
  }

  async putCampaign(c: PlanCampaign): Promise<void> {
    await this.guard('plan.campaigns', () => this.redis.hset(`${this.p}campaigns`, c.id, JSON.stringify(c)));
  }

  async deleteCampaign(id: string): Promise<void> {
    await this.guard('plan.campaigns', () => this.redis.hdel(`${this.p}campaigns`, id));
  }

  /** Replace the whole copy (the periodic refresh from PostgreSQL), atomically. */
  async replaceCampaigns(all: readonly PlanCampaign[]): Promise<void> {
    const m = this.redis.multi().del(`${this.p}campaigns`);
    if (all.length > 0) m.hset(`${this.p}campaigns`, Object.fromEntries(all.map((c) => [c.id, JSON.stringify(c)])));
    await this.guard('plan.campaigns', () => m.exec());
  }

  async addDrafted(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.guard('plan.drafted', () => this.redis.sadd(`${this.p}drafted`, ...ids));
  }

  async drafted(): Promise<string[]> {
    return this.guard('plan.drafted', () => this.redis.smembers(`${this.p}drafted`));
  }

  async isDrafted(id: string): Promise<boolean> {
    return (await this.guard('plan.drafted', () => this.redis.sismember(`${this.p}drafted`, id))) === 1;
  }

  async removeDrafted(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.guard('plan.drafted', () => this.redis.srem(`${this.p}drafted`, ...ids));
  }

  private async guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toAcdError(e, op);
    }
  }
}
