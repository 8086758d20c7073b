import type { RedisClient } from '../store/redis/client.js';
import type { AcdEvent } from '../acd/events.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CallRecord } from '../store/pg/call-records.js';
import type { AcdEventSource } from '../store/pg/acd-events.js';
import { fromSessionRecord } from '../store/pg/session-sink.js';
import type { CallRecord as SessionCallRecord } from '../call/record.js';
import { APPLY_SCRIPT, BUCKET_TTL_SEC, BUSY_STATES, IDLE_STATES, MINUTE_MS, minuteOf, OCCUPANCY_STATES, kpiPrefix, servedQueues, type Op, type QueueField } from './buckets.js';
import { keyPrefix } from '../store/redis/keys.js';

export interface KpiCounterOptions {
  redis: RedisClient;
  hotlineId: string;
  source: AcdEventSource;
  /** Each queue's service-level target seconds (queues.yaml); 20 when unknown, as in the report. */
  targetSec: (queueId: string) => number | undefined;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
  /** Stream entries per batch. */
  batch?: number;
  /** Called after this instance counted something (a batch of events, a call record): the figures changed. */
  onCounted?: () => void;
}

const DEFAULT_TARGET_SEC = 20;

/**
 * Keeps the live KPI counters (src/kpi/buckets.ts) from the ACD's event stream, and from each call record as it is
 * written (what only the call session knows: talk time to hang-up, rings, silent calls, and the calls the ACD saw
 * answered or abandoned that ended otherwise — so the live figures equal the PostgreSQL report's).
 *
 * Why in Redis and guarded by the cursor: every instance may run a counter; a batch applies only if the cursor
 * still holds the id it was read after (one Lua call, atomic), so each event counts exactly once whichever instance
 * gets there, nothing is lost when an instance dies, and every instance reads the same figures.
 */
export class KpiCounter {
  private readonly P: string;
  private timer: TimerHandle | undefined;
  private running = false;
  private pumping: Promise<number> | undefined;

  constructor(private readonly opts: KpiCounterOptions) {
    this.P = kpiPrefix(opts.hotlineId);
  }

  /** Count the next batch of events; resolves with how many were counted (0: idle, or another instance won). */
  pump(): Promise<number> {
    this.pumping ??= this.pumpOnce().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  /** Count until the stream is drained (tests, and catching up). */
  async drain(): Promise<void> {
    while ((await this.pump()) > 0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.pumping?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.pump().then(
        (n) => this.schedule(n > 0 ? 0 : (this.opts.pollMs ?? 1_000)),
        (err: unknown) => {
          // Redis away: the events wait in the stream and are counted when it returns.
          this.opts.logger.warn({ err }, 'live KPIs not counted yet');
          this.schedule(5 * (this.opts.pollMs ?? 1_000));
        },
      );
    }, ms);
  }

  private target(q: string): number {
    return (this.opts.targetSec(q) ?? DEFAULT_TARGET_SEC) * 1000;
  }

  private bucket(ms: number): string {
    return `${this.P}m:${minuteOf(ms)}`;
  }

  private async pumpOnce(): Promise<number> {
    const { redis } = this.opts;
    const cursorKey = `${this.P}cursor`;
    const after = (await redis.get(cursorKey)) ?? '0';
    const entries = await this.opts.source.readEvents(after, this.opts.batch ?? 500);
    if (entries.length === 0) return 0;
    const events = entries.map((e) => e.event);
    const ops = await this.opsFor(events);
    const applied = await redis.eval(APPLY_SCRIPT, 1, cursorKey, after, entries[entries.length - 1]!.id, 0, JSON.stringify(ops), BUCKET_TTL_SEC);
    // Another instance counted this batch first: nothing to do, the next pump starts after its cursor.
    if (applied !== 1) return 0;
    this.opts.onCounted?.();
    return entries.length;
  }

  /** The increments a batch of events makes, reading the state it needs (calls in the ACD, agents' open spans). */
  private async opsFor(events: AcdEvent[]): Promise<Op[]> {
    const P = this.P;
    const callIds = new Set<string>();
    const agentIds = new Set<string>();
    for (const e of events) {
      if (e.type === 'answered' || e.type === 'rona' || e.type === 'abandoned' || e.type === 'removed-dead-instance') callIds.add(e.callId);
      if (e.type === 'agent-state') agentIds.add(e.agentId);
    }
    const cids = [...callIds];
    const aids = [...agentIds];
    const [callRows, sinceRows, queueRows, servesRows] = await Promise.all([
      cids.length > 0 ? this.opts.redis.hmget(`${P}calls`, ...cids) : Promise.resolve([]),
      aids.length > 0 ? this.opts.redis.hmget(`${P}since`, ...aids) : Promise.resolve([]),
      aids.length > 0 ? this.opts.redis.hmget(`${P}aq`, ...aids) : Promise.resolve([]),
      this.servesOf(aids),
    ]);
    const serves = new Map(aids.map((id, i) => [id, servedQueues(servesRows[i])]));
    const calls = new Map<string, { q: string; at: number }>();
    cids.forEach((id, i) => {
      const v = callRows[i];
      if (!v) return;
      const bar = v.lastIndexOf('|');
      calls.set(id, { q: v.slice(0, bar), at: Number(v.slice(bar + 1)) });
    });
    const since = new Map<string, { state: string; at: number }>();
    aids.forEach((id, i) => {
      const v = sinceRows[i];
      if (!v) return;
      const bar = v.lastIndexOf('|');
      since.set(id, { state: v.slice(0, bar), at: Number(v.slice(bar + 1)) });
    });
    const agentQueue = new Map<string, string>();
    aids.forEach((id, i) => {
      const v = queueRows[i];
      if (v) agentQueue.set(id, v);
    });

    const ops: Op[] = [];
    const inc = (at: number, q: string, f: QueueField | `st:${string}`, n: number): void => {
      if (n !== 0) ops.push(['i', this.bucket(at), `${q}|${f}`, Math.round(n)]);
    };
    const oldest = this.opts.clock.now() - BUCKET_TTL_SEC * 1000;
    for (const e of events) {
      switch (e.type) {
        case 'enqueued':
          calls.set(e.callId, { q: e.queueId, at: e.at });
          ops.push(['s', `${P}calls`, e.callId, `${e.queueId}|${e.at}`]);
          inc(e.at, e.queueId, 'off', 1);
          break;
        case 'offered':
          agentQueue.set(e.agentId, e.queueId);
          ops.push(['s', `${P}aq`, e.agentId, e.queueId]);
          break;
        case 'answered': {
          const c = calls.get(e.callId);
          if (!c) break; // entered the queue before counting began
          const wait = e.at - c.at;
          inc(c.at, c.q, 'ans', 1);
          inc(c.at, c.q, 'waitMs', wait);
          if (wait <= this.target(c.q)) inc(c.at, c.q, 'inT', 1);
          calls.delete(e.callId);
          ops.push(['d', `${P}calls`, e.callId]);
          break;
        }
        case 'rona': {
          const c = calls.get(e.callId);
          inc(c?.at ?? e.at, e.queueId, 'rona', 1);
          break;
        }
        case 'abandoned': {
          const c = calls.get(e.callId);
          if (c) inc(c.at, c.q, 'abn', 1);
          calls.delete(e.callId);
          ops.push(['d', `${P}calls`, e.callId]);
          break;
        }
        case 'removed-dead-instance':
          calls.delete(e.callId);
          ops.push(['d', `${P}calls`, e.callId]);
          break;
        case 'agent-state': {
          const prev = since.get(e.agentId);
          if (prev && prev.at >= oldest && (OCCUPANCY_STATES as readonly string[]).includes(e.from)) {
            // The closed span, split over the minutes it covers (open spans are added at read time).
            const q = agentQueue.get(e.agentId);
            // Per-queue occupancy (buckets.ts queueOccupancy): handling time to the call's queue, idle time to
            // every queue the agent serves.
            const perQueue: [string, 'busyMs' | 'idleMs'][] = BUSY_STATES.includes(e.from)
              ? q !== undefined ? [[q, 'busyMs']] : []
              : IDLE_STATES.includes(e.from) ? (serves.get(e.agentId) ?? []).map((sq): [string, 'idleMs'] => [sq, 'idleMs']) : [];
            for (let t = prev.at; t < e.at; ) {
              const end = Math.min(e.at, (minuteOf(t) + 1) * MINUTE_MS);
              inc(t, '*', `st:${e.from}`, end - t);
              for (const [pq, f] of perQueue) inc(t, pq, f, end - t);
              t = end;
            }
            if (e.from === 'wrap-up' && q !== undefined) {
              inc(e.at, q, 'wrapMs', e.at - prev.at);
              inc(e.at, q, 'wrapN', 1);
            }
          }
          since.set(e.agentId, { state: e.to, at: e.at });
          ops.push(['s', `${P}since`, e.agentId, `${e.to}|${e.at}`]);
          break;
        }
        // Arrivals count nothing: offered is counted when a call enters a queue (standard §8, the reports' rule).
        case 'arrived':
        case 'ended':
        case 'instance-dead':
          break;
      }
    }
    return ops;
  }

  /** The queues each agent serves (the ACD's agent hash, field serves), in the order of `agentIds`. */
  private async servesOf(agentIds: string[]): Promise<(string | null)[]> {
    if (agentIds.length === 0) return [];
    const pipe = this.opts.redis.pipeline();
    for (const id of agentIds) pipe.hget(`${keyPrefix(this.opts.hotlineId)}a:${id}`, 'serves');
    return ((await pipe.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v as string | null;
    });
  }

  /**
   * Count a call record as it is written (wrap the record sink with it): talk time and rings of answered calls,
   * silent calls, and the corrections for calls whose final disposition differs from what the ACD saw — answered
   * in the ACD but ended silent or transferred (not answered in the report), or taken out of the queue for another
   * reason than the caller hanging up (callback, message, max wait: not abandoned in the report). Counted once per call.
   */
  async countRecord(r: CallRecord): Promise<void> {
    if (r.queueId === undefined) return;
    const q = r.queueId;
    const enq = r.enqueueAt ?? r.arrivalAt;
    const ops: Op[] = [];
    const inc = (f: QueueField, n: number): void => {
      if (n !== 0) ops.push(['i', this.bucket(enq), `${q}|${f}`, Math.round(n)]);
    };
    if (r.disposition === 'answered') {
      if (r.answerAt !== undefined && r.hangupAt !== undefined) {
        inc('talkMs', r.hangupAt - r.answerAt);
        inc('talkN', 1);
      }
      if (r.ringsToAnswer !== undefined) {
        inc('rings', r.ringsToAnswer);
        inc('ringsN', 1);
      }
    } else if (r.answerAt !== undefined) {
      const wait = r.answerAt - enq;
      inc('ans', -1);
      inc('waitMs', -wait);
      if (wait <= this.target(q)) inc('inT', -1);
    }
    if (r.disposition === 'silent') inc('silent', 1);
    if (r.enqueueAt !== undefined && r.answerAt === undefined && r.disposition !== 'abandoned') inc('abn', -1);
    if (ops.length === 0) return;
    const applied = await this.opts.redis.eval(APPLY_SCRIPT, 1, `${this.P}rec:${r.callId}`, '', '1', BUCKET_TTL_SEC, JSON.stringify(ops), BUCKET_TTL_SEC);
    if (applied === 1) this.opts.onCounted?.();
  }

  /** Wraps the call session's record sink (sessionCallRecordSink): each record is counted once it is written. */
  countingSink(sink: { write(r: SessionCallRecord): Promise<void> }): { write(r: SessionCallRecord): Promise<void> } {
    return {
      write: async (r: SessionCallRecord) => {
        await sink.write(r);
        try {
          await this.countRecord(fromSessionRecord(r));
        } catch (err) {
          // The record is safe in PostgreSQL; only the live figure misses it.
          this.opts.logger.warn({ err, callId: r.callId }, 'call record not counted in the live KPIs');
        }
      },
    };
  }
}
