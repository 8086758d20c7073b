import { InvalidInputError } from '../../core/errors.js';
import type { Db, Queryable } from './db.js';
import { isConnectionError } from './errors.js';
import { optionalTime, requireInt, requireText, requireTime } from './validate.js';

/** How a call ended. A call that was RONA-requeued and then answered ends `answered`; its offers keep the RONA. */
export const DISPOSITIONS = [
  'answered',
  'abandoned',
  'silent',
  'rona-requeued',
  'after-hours',
  'callback-requested',
  'voicemail',
  'transferred',
  'transfer-failed',
  'ivr-completed',
  'ivr-hangup',
  'no-match',
  'no-agents',
  'max-wait',
  'overload',
  'failed',
  // Hung up by a supervisor (API) before an agent answered (migration 20261207132000000).
  'ended-by-operator',
] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const HANGUP_PARTIES = ['caller', 'agent', 'system'] as const;
export type HangupParty = (typeof HANGUP_PARTIES)[number];

/**
 * One row per call, written by the call's single cleanup path. Times are epoch milliseconds (Clock.now()); optional
 * fields the call never reached stay undefined.
 */
export interface CallRecord {
  callId: string;
  /** The app instance that carried the call. */
  instanceId?: string;
  hotlineNumber?: string;
  callerNumber?: string;
  flowId?: string;
  flowRevision?: string;
  queueId?: string;
  /** The agent who answered (last one, after transfers inside the ACD). */
  agentId?: string;
  /** First agent who answered: owns the case under first-contact responsibility. */
  firstAgentId?: string;
  /** Agent the call was held for as a returning caller (sticky routing), if any. */
  stickyAgentId?: string;
  priority?: number;
  arrivalAt: number;
  ivrExitAt?: number;
  enqueueAt?: number;
  answerAt?: number;
  abandonAt?: number;
  hangupAt?: number;
  /** How many offers were made (each RONA adds one). */
  offers?: number;
  /** Agents who let the call ring out (RONA), in order. */
  missedAgents?: string[];
  ringsToAnswer?: number;
  whoHungUp?: HangupParty;
  disposition: Disposition;
  /** Satisfaction rating 1 (very dissatisfied) .. 5 (very satisfied). */
  surveyRating?: number;
  /** The late-answer apology whisper played to the agent. */
  lateWhisper?: boolean;
  recordingPath?: string;
  transferTarget?: string;
  failureReason?: string;
  /** 'outbound' for a callback the ACD dialled (migration 20261207151000000); inbound when left out. */
  direction?: CallDirection;
}

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

const COLUMNS = [
  'call_id', 'instance_id', 'hotline_number', 'caller_number', 'flow_id', 'flow_revision', 'queue_id', 'agent_id',
  'first_agent_id', 'sticky_agent_id', 'priority', 'arrival_at', 'ivr_exit_at', 'enqueue_at', 'answer_at',
  'abandon_at', 'hangup_at', 'offers', 'missed_agents', 'rings_to_answer', 'who_hung_up', 'disposition',
  'survey_rating', 'late_whisper', 'recording_path', 'transfer_target', 'failure_reason', 'direction',
] as const;

const INSERT_SQL = `INSERT INTO call_records (${COLUMNS.join(', ')})
  VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (call_id) DO NOTHING`;

function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new InvalidInputError(field, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

const opt = (field: string, v: unknown): string | null => (v === undefined || v === null ? null : requireText(field, v, 500));

/** Validate and turn a record into the INSERT's parameters (in COLUMNS order). */
export function callRecordParams(r: CallRecord): unknown[] {
  if (!DISPOSITIONS.includes(r.disposition)) {
    throw new InvalidInputError('disposition', `must be one of ${DISPOSITIONS.join(', ')} (got ${JSON.stringify(r.disposition)})`);
  }
  if (r.whoHungUp !== undefined && !HANGUP_PARTIES.includes(r.whoHungUp)) {
    throw new InvalidInputError('whoHungUp', `must be one of ${HANGUP_PARTIES.join(', ')}`);
  }
  if (r.disposition === 'answered' && (r.answerAt === undefined || r.agentId === undefined)) {
    throw new InvalidInputError('disposition', 'an answered call needs answerAt and agentId');
  }
  if (r.ringsToAnswer !== undefined && !(typeof r.ringsToAnswer === 'number' && r.ringsToAnswer >= 0 && r.ringsToAnswer < 10_000)) {
    throw new InvalidInputError('ringsToAnswer', 'must be a number of rings >= 0');
  }
  return [
    requireText('callId', r.callId),
    opt('instanceId', r.instanceId),
    opt('hotlineNumber', r.hotlineNumber),
    opt('callerNumber', r.callerNumber),
    opt('flowId', r.flowId),
    opt('flowRevision', r.flowRevision),
    opt('queueId', r.queueId),
    opt('agentId', r.agentId),
    opt('firstAgentId', r.firstAgentId),
    opt('stickyAgentId', r.stickyAgentId),
    r.priority === undefined ? 0 : requireInt('priority', r.priority, -1000, 1000),
    requireTime('arrivalAt', r.arrivalAt),
    optionalTime('ivrExitAt', r.ivrExitAt),
    optionalTime('enqueueAt', r.enqueueAt),
    optionalTime('answerAt', r.answerAt),
    optionalTime('abandonAt', r.abandonAt),
    optionalTime('hangupAt', r.hangupAt),
    r.offers === undefined ? 0 : requireInt('offers', r.offers, 0),
    (r.missedAgents ?? []).map((a, i) => requireText(`missedAgents[${i}]`, a)),
    r.ringsToAnswer ?? null,
    r.whoHungUp ?? null,
    r.disposition,
    r.surveyRating === undefined ? null : requireInt('surveyRating', r.surveyRating, 1, 5),
    r.lateWhisper === true,
    opt('recordingPath', r.recordingPath),
    opt('transferTarget', r.transferTarget),
    opt('failureReason', r.failureReason),
    r.direction === undefined ? 'inbound' : oneOf('direction', r.direction, CALL_DIRECTIONS),
  ];
}

export interface CallRecordRow {
  call_id: string;
  instance_id: string | null;
  hotline_number: string | null;
  caller_number: string | null;
  flow_id: string | null;
  flow_revision: string | null;
  queue_id: string | null;
  agent_id: string | null;
  first_agent_id: string | null;
  sticky_agent_id: string | null;
  priority: number;
  arrival_at: Date;
  ivr_exit_at: Date | null;
  enqueue_at: Date | null;
  answer_at: Date | null;
  abandon_at: Date | null;
  hangup_at: Date | null;
  offers: number;
  missed_agents: string[];
  late_whisper: boolean;
  rings_to_answer: string | null;
  who_hung_up: HangupParty | null;
  disposition: Disposition;
  survey_rating: number | null;
  recording_path: string | null;
  transfer_target: string | null;
  failure_reason: string | null;
  direction?: CallDirection;
}

export function fromRow(row: CallRecordRow): CallRecord {
  const out: CallRecord = { callId: row.call_id, arrivalAt: row.arrival_at.getTime(), disposition: row.disposition, priority: row.priority, offers: row.offers };
  const text = { instanceId: row.instance_id, hotlineNumber: row.hotline_number, callerNumber: row.caller_number, flowId: row.flow_id, flowRevision: row.flow_revision, queueId: row.queue_id, agentId: row.agent_id, firstAgentId: row.first_agent_id, stickyAgentId: row.sticky_agent_id, recordingPath: row.recording_path, transferTarget: row.transfer_target, failureReason: row.failure_reason } as const;
  for (const [k, v] of Object.entries(text)) if (v !== null) (out as unknown as Record<string, unknown>)[k] = v;
  const times = { ivrExitAt: row.ivr_exit_at, enqueueAt: row.enqueue_at, answerAt: row.answer_at, abandonAt: row.abandon_at, hangupAt: row.hangup_at } as const;
  for (const [k, v] of Object.entries(times)) if (v !== null) (out as unknown as Record<string, unknown>)[k] = v.getTime();
  if (row.missed_agents.length > 0) out.missedAgents = row.missed_agents;
  if (row.late_whisper) out.lateWhisper = true;
  if (row.rings_to_answer !== null) out.ringsToAnswer = Number(row.rings_to_answer);
  if (row.who_hung_up !== null) out.whoHungUp = row.who_hung_up;
  if (row.survey_rating !== null) out.surveyRating = row.survey_rating;
  if (row.direction === 'outbound') out.direction = 'outbound';
  return out;
}

/**
 * Work that must happen exactly once per stored call (a review task for a dissatisfied rating): run in the INSERT's
 * transaction, and only when that INSERT inserted, so a record written again (spool replay, a cleanup run twice)
 * runs nothing and a crash between the two leaves neither.
 */
export type CallRecordInsertHook = (c: Queryable, record: CallRecord) => Promise<void>;

export class CallRecordRepository {
  private readonly hooks: { run: CallRecordInsertHook; failed: (err: unknown, record: CallRecord) => void }[] = [];

  constructor(private readonly db: Db) {}

  /**
   * Run `hook` with every record this repository inserts from now on (main.ts: before the spool replay starts). A
   * hook that fails for any reason but an outage is undone alone (savepoint) and reported to `failed`: a record is a
   * fact that must never be refused because of the work that follows it. An outage fails the whole write, which the
   * recorder then spools and replays, hook included.
   */
  onInserted(hook: CallRecordInsertHook, failed: (err: unknown, record: CallRecord) => void): void {
    this.hooks.push({ run: hook, failed });
  }

  /**
   * Write the call's record. Idempotent by call id: the first write wins and later ones (a cleanup path run twice,
   * a spool replay) change nothing. Returns true when this call inserted the row.
   */
  async write(record: CallRecord): Promise<boolean> {
    const params = callRecordParams(record);
    if (this.hooks.length === 0) {
      const r = await this.db.query('write call record', INSERT_SQL, params);
      return r.rowCount === 1;
    }
    return this.db.tx('write call record', async (c) => {
      const r = await c.query(INSERT_SQL, params);
      if (r.rowCount !== 1) return false;
      for (const hook of this.hooks) {
        await c.query('SAVEPOINT after_insert');
        try {
          await hook.run(c, record);
          await c.query('RELEASE SAVEPOINT after_insert');
        } catch (e) {
          if (isConnectionError(e) || (e instanceof Error && (e as { code?: unknown }).code === 'PG_UNAVAILABLE')) throw e;
          await c.query('ROLLBACK TO SAVEPOINT after_insert');
          hook.failed(e, record);
        }
      }
      return true;
    });
  }

  async get(callId: string): Promise<CallRecord | undefined> {
    const r = await this.db.query<CallRecordRow>('get call record', 'SELECT * FROM call_records WHERE call_id = $1', [callId]);
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  /** The agent who last answered this caller since `sinceMs` (sticky routing for returning callers). */
  async lastAgentFor(callerNumber: string, sinceMs: number): Promise<string | undefined> {
    const r = await this.db.query<{ agent_id: string }>(
      'last agent for caller',
      `SELECT agent_id FROM call_records
        WHERE caller_number = $1 AND arrival_at >= $2 AND agent_id IS NOT NULL AND answer_at IS NOT NULL
        ORDER BY arrival_at DESC LIMIT 1`,
      [callerNumber, new Date(sinceMs)],
    );
    return r.rows[0]?.agent_id;
  }
}
