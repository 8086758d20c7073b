import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { AgentStateHistoryRepository } from './agent-states.js';
import { AgentRepository } from './agents.js';
import { ApiTokenRepository } from './api-tokens.js';
import { CallRecordRepository } from './call-records.js';
import { CallbackRepository } from './callbacks.js';
import { Db, type PgTimeLimits } from './db.js';
import { OfferRepository } from './offers.js';
import { QueueRepository } from './queues.js';
import { ReportRepository } from './reports.js';
import { RecordSearch } from './search.js';
import { DurableRecorder } from './recorder.js';
import { SkillRepository } from './skills.js';
import { Spool } from './spool.js';
import { WebhookRepository } from '../../webhooks/repository.js';
import { TeamRepository } from './teams.js';

export { StoreError } from './errors.js';
export { migrate } from './migrate.js';
export type { CallRecord, Disposition, HangupParty } from './call-records.js';
export type { OfferRecord, OfferOutcome } from './offers.js';
export type { AgentStateChange } from './agent-states.js';
export type { AgentRecord, DigestCredential, NewAgent } from './agents.js';
export type { RecordOutcome } from './recorder.js';
export type { AgentKpi, LowRating, QueueKpi } from './reports.js';
export { sessionCallRecordSink } from './session-sink.js';
export { AcdEventWriter, type AcdEventSource, type AcdEventSink, type StreamedAcdEvent } from './acd-events.js';

export interface PgStore {
  db: Db;
  agents: AgentRepository;
  skills: SkillRepository;
  queues: QueueRepository;
  callRecords: CallRecordRepository;
  offers: OfferRepository;
  agentStates: AgentStateHistoryRepository;
  callbacks: CallbackRepository;
  /** Teams and their leads (`acd teams`, /api/teams). */
  teams: TeamRepository;
  reports: ReportRepository;
  /** HTTP API tokens (hashed). */
  tokens: ApiTokenRepository;
  /** Call-record search and CSV export, callbacks list (the API's read side). */
  search: RecordSearch;
  /** The outage-proof path for call records, offers and agent states: use it from the call session. */
  recorder: DurableRecorder;
  close(): Promise<void>;
}

export interface PgStoreOptions {
  url: string;
  schema: string;
  spoolDir: string;
  clock: Clock;
  logger: Logger;
  poolSize?: number;
  limits?: Partial<PgTimeLimits>;
}

/** Wire the repositories on one pool. Run `migrate` first. */
export function openPgStore(opts: PgStoreOptions): PgStore {
  const db = new Db({ url: opts.url, schema: opts.schema, logger: opts.logger, ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.poolSize ? { max: opts.poolSize } : {}) });
  const callRecords = new CallRecordRepository(db);
  const offers = new OfferRepository(db);
  const agentStates = new AgentStateHistoryRepository(db);
  const recorder = new DurableRecorder({
    callRecords,
    offers,
    agentStates,
    spool: new Spool(opts.spoolDir),
    clock: opts.clock,
    logger: opts.logger.child({ component: 'pg-recorder' }),
  });
  return {
    db,
    agents: new AgentRepository(db),
    skills: new SkillRepository(db),
    queues: new QueueRepository(db),
    callRecords,
    offers,
    agentStates,
    callbacks: new CallbackRepository(db, new WebhookRepository(db)),
    teams: new TeamRepository(db),
    reports: new ReportRepository(db),
    tokens: new ApiTokenRepository(db),
    search: new RecordSearch(db),
    recorder,
    close: async () => {
      recorder.stop();
      await db.close();
    },
  };
}
