import type { AcdEvent } from '../../acd/events.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { recordAgentState } from './agent-states.js';
import type { Db, Queryable } from './db.js';

/** Where ACD events come from: RedisAcdStore.readEvents satisfies it (entry ids increase; resume after the last). */
export interface AcdEventSource {
  readEvents(after: string, count?: number): Promise<{ id: string; event: AcdEvent }[]>;
}

/** One event as the writer persisted it: its stream entry id and its position (see streamSeq). */
export interface StreamedAcdEvent {
  id: string;
  seq: string;
  event: AcdEvent;
}

/**
 * Something else fed from the same stream, inside the writer's transaction (so it sees each event exactly once,
 * committed together with the cursor): the webhook intake queues deliveries here. It must only write to PostgreSQL,
 * never wait on anything slow.
 */
export interface AcdEventSink {
  persist(c: Queryable, events: readonly StreamedAcdEvent[]): Promise<void>;
}

export interface AcdEventWriterOptions {
  db: Db;
  source: AcdEventSource;
  /** Names the stream's cursor row: one per hotline (its Redis hash tag). */
  stream: string;
  /** Ring-back cadence, to count the rings of each offer (hotline standard §1). */
  ringOnMs: number;
  ringOffMs: number;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
  /** Stream entries per transaction. */
  batch?: number;
  /** Written in the same transaction as each batch (webhook deliveries). */
  sinks?: readonly AcdEventSink[];
  /** Told each batch once it is committed (metrics: answer-timer outcomes). Must not throw. */
  onCommitted?: (events: readonly AcdEvent[]) => void;
}

/**
 * Persists the ACD's event stream (Redis) into PostgreSQL: agent state history, and every offer with its outcome
 * (answered, RONA, cancelled) and rings. Each batch and the stream cursor commit in one transaction, and the cursor
 * row is claimed with SKIP LOCKED, so with several instances running every event is written exactly once, by
 * whichever instance gets there first.
 *
 * Call records are not written here: the call session owns them (richer: flow, survey, recording). The exception is
 * a call removed because its instance died: no session is left to write it, so its record comes from here.
 */
export class AcdEventWriter {
  private timer: TimerHandle | undefined;
  private running = false;
  private pumping: Promise<number> | undefined;
  private lag = 0;

  constructor(private readonly opts: AcdEventWriterOptions) {}

  /** Persist the next batch; resolves with the number of events written (0 when idle or another instance is busy). */
  pump(): Promise<number> {
    this.pumping ??= this.pumpOnce().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  /**
   * How far behind the stream the last batch was (ms between the newest event written and the moment it was
   * written); 0 once a pump finds nothing left to write.
   */
  lagMs(): number {
    return this.lag;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stop polling and wait for a batch in flight. */
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
          // Redis or PostgreSQL away: the events wait in the stream; try again later.
          this.opts.logger.warn({ err }, 'ACD events not persisted yet');
          this.schedule(5 * (this.opts.pollMs ?? 1_000));
        },
      );
    }, ms);
  }

  private async pumpOnce(): Promise<number> {
    const { db, stream } = this.opts;
    await db.query('event cursor', `INSERT INTO acd_event_cursors (stream, last_id) VALUES ($1, '0') ON CONFLICT (stream) DO NOTHING`, [stream]);
    return db.tx('persist ACD events', async (c): Promise<number | StreamedAcdEvent[]> => {
      const cur = await c.query<{ last_id: string }>('SELECT last_id FROM acd_event_cursors WHERE stream = $1 FOR UPDATE SKIP LOCKED', [stream]);
      const row = cur.rows[0];
      if (!row) {
        // Another instance is writing this moment: its lag is its own to report (no stale figure from here).
        this.lag = 0;
        return 0;
      }
      const entries = await this.opts.source.readEvents(row.last_id, this.opts.batch ?? 500);
      if (entries.length === 0) {
        this.lag = 0;
        return 0;
      }
      let prev = '';
      let index = 0;
      const streamed: StreamedAcdEvent[] = [];
      for (const { id, event } of entries) {
        index = id === prev ? index + 1 : 0;
        prev = id;
        const seq = streamSeq(id, index);
        await this.apply(c, event, seq);
        streamed.push({ id, seq, event });
      }
      for (const sink of this.opts.sinks ?? []) await sink.persist(c, streamed);
      await c.query('UPDATE acd_event_cursors SET last_id = $2, events = events + $3, updated_at = now() WHERE stream = $1', [
        stream,
        entries[entries.length - 1]!.id,
        entries.length,
      ]);
      return streamed;
    }).then((streamed) => {
      if (typeof streamed === 'number') return streamed;
      this.lag = Math.max(0, this.opts.clock.now() - streamed[streamed.length - 1]!.event.at);
      this.opts.onCommitted?.(streamed.map((s) => s.event));
      return streamed.length;
    });
  }

  private ringsSql(adjustMs: number): string {
    const period = this.opts.ringOnMs + this.opts.ringOffMs;
    // A ring counts once it has started (the same rule as src/call's ringsHeard).
    return `floor(GREATEST(extract(epoch FROM $3::timestamptz - offered_at) * 1000 - ${adjustMs}, 0) / ${period}) + 1`;
  }

  private async endOffer(c: Queryable, callId: string, agentId: string, at: number, outcome: 'answered' | 'rona' | 'cancelled'): Promise<void> {
    // A RONA fires exactly when the last allowed ring ends; 1 ms less keeps it from counting the next ring.
    const rings = this.ringsSql(outcome === 'rona' ? 1 : 0);
    await c.query(
      `UPDATE call_offers SET outcome = $4, ended_at = $3, rings = ${rings}
        WHERE call_id = $1 AND agent_id = $2 AND outcome IS NULL AND offered_at <= $3`,
      [callId, agentId, new Date(at), outcome],
    );
  }

  private async apply(c: Queryable, e: AcdEvent, seq: string): Promise<void> {
    switch (e.type) {
      case 'agent-state':
        await recordAgentState(c, { agentId: e.agentId, state: e.to, at: e.at, seq, ...(e.reason && e.to === 'not-ready' ? { reason: e.reason } : {}) });
        return;
      case 'offered':
        await c.query(
          `INSERT INTO call_offers (call_id, agent_id, queue_id, via, offered_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_id, agent_id, offered_at) DO NOTHING`,
          [e.callId, e.agentId, e.queueId, e.via, new Date(e.at)],
        );
        return;
      case 'answered':
        await this.endOffer(c, e.callId, e.agentId, e.at, 'answered');
        return;
      case 'rona':
        await this.endOffer(c, e.callId, e.agentId, e.at, 'rona');
        return;
      case 'offer-returned':
        // Given back after a failure of ours: the offer ends without a miss charged to the agent.
        await this.endOffer(c, e.callId, e.agentId, e.at, 'cancelled');
        return;
      case 'abandoned':
        if (e.agentId !== undefined) await this.endOffer(c, e.callId, e.agentId, e.at, 'cancelled');
        return;
      case 'removed-dead-instance': {
        if (e.stage === 'offered' && e.agentId !== undefined) await this.endOffer(c, e.callId, e.agentId, e.at, 'cancelled');
        // The arrival time died with the instance unless the call was tracked (AcdStore.trackCall); the removal time
        // stands in for it then. The session's own record wins if it was written (the instance was only cut off,
        // not dead, or died between its record and its untrackCall).
        const where = e.stage === 'ivr' ? 'in the IVR (not queued, or back from the agent)' : e.stage;
        await c.query(
          `INSERT INTO call_records (call_id, instance_id, queue_id, agent_id, caller_number, hotline_number, flow_id, arrival_at, hangup_at, who_hung_up, disposition, failure_reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'system', 'failed', $10) ON CONFLICT (call_id) DO NOTHING`,
          [
            e.callId,
            e.instance,
            e.queueId ?? null,
            e.agentId ?? null,
            e.callerNumber ?? null,
            e.calledNumber ?? null,
            e.flowId ?? null,
            new Date(Math.min(e.arrivedAt ?? e.at, e.at)),
            new Date(e.at),
            `instance ${e.instance} stopped renewing its lease; call removed while ${where}`,
          ],
        );
        return;
      }
      case 'arrived':
      case 'enqueued':
      case 'moved':
      case 'ended':
      case 'instance-dead':
        // Carried by the call record the session writes, or by nothing that needs keeping.
        return;
    }
  }
}

/**
 * A number that grows with the stream position (decimal, beyond 2^53): entry id "<ms>-<n>" and the event's index
 * inside the entry. It only has to order state changes that share a millisecond of the store clock, and stream
 * order is their true order.
 */
export function streamSeq(id: string, index: number): string {
  const [ms, n] = id.split('-');
  return ((BigInt(ms ?? '0') * 1024n + BigInt(Math.min(Number(n ?? 0), 1023))) * 64n + BigInt(Math.min(index, 63))).toString();
}
