import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { AgentStateChange, AgentStateHistoryRepository } from './agent-states.js';
import { callRecordParams, type CallRecord, type CallRecordRepository } from './call-records.js';
import { StoreError } from './errors.js';
import { offerParams, type OfferRecord, type OfferRepository } from './offers.js';
import type { ReplayResult, Spool } from './spool.js';
import { agentStateParams } from './agent-states.js';

type SpoolEntry =
  | { kind: 'call-record'; data: CallRecord }
  | { kind: 'offer'; data: OfferRecord }
  | { kind: 'agent-state'; data: AgentStateChange };

/** written: this call inserted it; duplicate: it was already there; spooled: PostgreSQL is down, kept on disk. */
export type RecordOutcome = 'written' | 'duplicate' | 'spooled';

export interface RecorderDeps {
  callRecords: CallRecordRepository;
  offers: OfferRepository;
  agentStates: AgentStateHistoryRepository;
  spool: Spool;
  clock: Clock;
  logger: Logger;
  /** How often to retry the spool while it holds entries. */
  replayEveryMs?: number;
}

const isOutage = (e: unknown): boolean => e instanceof StoreError && e.code === 'PG_UNAVAILABLE';

/**
 * The durable path for the records the call session writes: straight to PostgreSQL when it answers, to the local
 * spool when it does not (StoreError PG_UNAVAILABLE), replayed in the background until it does. Every write is
 * idempotent, so replaying something that in fact reached the database is harmless and a call record is stored
 * exactly once.
 */
export class DurableRecorder {
  private timer: TimerHandle | undefined;
  private stopped = true;
  private spooledSinceReplay = false;

  constructor(private readonly deps: RecorderDeps) {}

  writeCallRecord(record: CallRecord): Promise<RecordOutcome> {
    // Validate before anything: a record the database would refuse must fail loudly now, not sit in the spool.
    callRecordParams(record);
    return this.write({ kind: 'call-record', data: record });
  }

  writeOffer(offer: OfferRecord): Promise<RecordOutcome> {
    offerParams(offer);
    return this.write({ kind: 'offer', data: offer });
  }

  recordAgentState(change: AgentStateChange): Promise<RecordOutcome> {
    agentStateParams(change);
    return this.write({ kind: 'agent-state', data: change });
  }

  /** Replay the spool now. Entries the database refuses for good go to rejected.jsonl and are logged. */
  async replay(): Promise<ReplayResult> {
    this.spooledSinceReplay = false;
    const result = await this.deps.spool.replay(async (e) => {
      await this.apply(e as SpoolEntry);
    }, isOutage);
    if (result.replayed > 0 || result.rejected > 0) this.deps.logger.info({ ...result }, 'spool replayed');
    if (result.rejected > 0) this.deps.logger.error({ rejected: result.rejected, dir: this.deps.spool.dir }, 'spooled records rejected by PostgreSQL; kept in rejected.jsonl');
    return result;
  }

  /** Entries waiting in the local spool for PostgreSQL (the spool-depth gauge). */
  spoolDepth(): Promise<number> {
    return this.deps.spool.pendingCount();
  }

  /** Start the background replay (also replays whatever an earlier run left in the spool). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async write(entry: SpoolEntry): Promise<RecordOutcome> {
    try {
      return (await this.apply(entry)) ? 'written' : 'duplicate';
    } catch (e) {
      if (!isOutage(e)) throw e;
      await this.deps.spool.append(entry);
      this.spooledSinceReplay = true;
      this.deps.logger.warn({ kind: entry.kind, err: e }, 'PostgreSQL unavailable: record spooled');
      return 'spooled';
    }
  }

  private apply(entry: SpoolEntry): Promise<boolean> {
    switch (entry.kind) {
      case 'call-record':
        return this.deps.callRecords.write(entry.data);
      case 'offer':
        return this.deps.offers.write(entry.data);
      case 'agent-state':
        return this.deps.agentStates.record(entry.data);
      default:
        throw new StoreError('CONSTRAINT', `unknown spool entry kind ${JSON.stringify((entry as { kind?: unknown }).kind)}`);
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      const pending = this.spooledSinceReplay || (await this.deps.spool.pendingCount()) > 0;
      if (pending) await this.replay();
    } catch (e) {
      this.deps.logger.error({ err: e }, 'spool replay failed');
    }
    this.schedule(this.deps.replayEveryMs ?? 5_000);
  }
}
