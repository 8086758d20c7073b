import { Readable } from 'node:stream';
import QueryStream from 'pg-query-stream';
import { fromRow as callbackFromRow, type Callback, type CallbackRow, type CallbackStatus } from './callbacks.js';
import { fromRow as callRecordFromRow, type CallRecord, type CallRecordRow, type Disposition } from './call-records.js';
import type { Db } from './db.js';
import { toStoreError } from './errors.js';

/** Filters of the call-record search (all optional; times are epoch ms, `from` inclusive, `to` exclusive). */
export interface CallRecordFilter {
  from?: number;
  to?: number;
  /** Matches the caller's number or the hotline number dialled. */
  number?: string;
  agentId?: string;
  queueId?: string;
  disposition?: Disposition;
}

function where(f: CallRecordFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, v: unknown): void => {
    params.push(v);
    parts.push(sql(`$${params.length}`));
  };
  if (f.from !== undefined) add((p) => `arrival_at >= ${p}`, new Date(f.from));
  if (f.to !== undefined) add((p) => `arrival_at < ${p}`, new Date(f.to));
  if (f.number !== undefined) add((p) => `(caller_number = ${p} OR hotline_number = ${p})`, f.number);
  // The answering agent or the first one (after a transfer inside the ACD, both handled the call).
  if (f.agentId !== undefined) add((p) => `(agent_id = ${p} OR first_agent_id = ${p})`, f.agentId);
  if (f.queueId !== undefined) add((p) => `queue_id = ${p}`, f.queueId);
  if (f.disposition !== undefined) add((p) => `disposition = ${p}`, f.disposition);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The CSV columns of an export, in order (CallRecord field names). */
export const CSV_COLUMNS = [
  'callId', 'arrivalAt', 'hotlineNumber', 'callerNumber', 'flowId', 'queueId', 'agentId', 'firstAgentId', 'priority',
  'enqueueAt', 'answerAt', 'abandonAt', 'hangupAt', 'offers', 'ringsToAnswer', 'whoHungUp', 'disposition',
  'surveyRating', 'lateWhisper', 'recordingPath', 'transferTarget', 'failureReason',
] as const satisfies readonly (keyof CallRecord)[];

const TIME_FIELDS = new Set(['arrivalAt', 'enqueueAt', 'answerAt', 'abandonAt', 'hangupAt']);

function csvCell(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  const s = TIME_FIELDS.has(field) ? new Date(v as number).toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
  // RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet does not run a caller-controlled formula.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(r: CallRecord): string {
  return `${CSV_COLUMNS.map((c) => csvCell(r[c], c)).join(',')}\r\n`;
}

/** Read side of the call records and callbacks for the API: search pages and a streamed CSV export. */
export class RecordSearch {
  constructor(private readonly db: Db) {}

  /** Newest first, keyset-free paging by offset (admin screens page a few hundred rows at most). */
  async callRecords(f: CallRecordFilter, page: { limit: number; offset: number }): Promise<CallRecord[]> {
    const w = where(f);
    const r = await this.db.query<CallRecordRow>(
      'search call records',
      `SELECT * FROM call_records ${w.sql} ORDER BY arrival_at DESC, call_id LIMIT $${w.params.length + 1} OFFSET $${w.params.length + 2}`,
      [...w.params, page.limit, page.offset],
    );
    return r.rows.map(callRecordFromRow);
  }

  /**
   * The matching records as CSV, header first, oldest first, read through a server-side cursor (pg-query-stream),
   * so an export of a year holds one batch in memory, not the year. The connection returns to the pool when the
   * stream ends, fails or is destroyed (client went away).
   */
  async callRecordsCsv(f: CallRecordFilter): Promise<Readable> {
    const w = where(f);
    let client;
    try {
      client = await this.db.pool.connect();
    } catch (e) {
      throw toStoreError(e, 'export call records');
    }
    const rows = client.query(new QueryStream(`SELECT * FROM call_records ${w.sql} ORDER BY arrival_at, call_id`, w.params, { batchSize: 500 }));
    let released = false;
    const release = (err?: Error): void => {
      if (released) return;
      released = true;
      client.release(err);
    };
    async function* lines(): AsyncGenerator<string> {
      try {
        yield `${CSV_COLUMNS.join(',')}\r\n`;
        for await (const row of rows as AsyncIterable<CallRecordRow>) yield csvLine(callRecordFromRow(row));
        release();
      } catch (e) {
        release(e as Error);
        throw e;
      } finally {
        // Ended early (client disconnected): close the cursor and hand back a connection that is mid-query as broken.
        if (!released) {
          rows.destroy();
          release(new Error('export stopped early'));
        }
      }
    }
    return Readable.from(lines());
  }

  async callbacks(f: { status?: CallbackStatus; queueId?: string }, page: { limit: number; offset: number }): Promise<Callback[]> {
    const parts: string[] = [];
    const params: unknown[] = [];
    if (f.status) parts.push(`status = $${params.push(f.status)}`);
    if (f.queueId) parts.push(`queue_id = $${params.push(f.queueId)}`);
    const r = await this.db.query<CallbackRow>(
      'list callbacks',
      `SELECT * FROM callbacks ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY due_at, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    );
    return r.rows.map(callbackFromRow);
  }
}
