import pg from 'pg';
import type { Logger } from '../../core/logger.js';
import { toStoreError } from './errors.js';

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** How long anything may wait on PostgreSQL (issue 9 item 14: a frozen server must not hang start-up or a call). */
export interface PgTimeLimits {
  /** Connecting, including the server's answer to the start-up message: a frozen server fails here. */
  connectTimeoutMs: number;
  /** The server cancels a statement running longer (SET statement_timeout). */
  statementTimeoutMs: number;
  /** The client gives up waiting for a query's answer (a server that stopped answering cannot cancel anything). */
  queryTimeoutMs: number;
}

export const DEFAULT_PG_TIME_LIMITS: PgTimeLimits = { connectTimeoutMs: 5_000, statementTimeoutMs: 10_000, queryTimeoutMs: 15_000 };

/** The node-postgres client settings for `limits` (defaults for what is not given); for Pool and Client alike. */
export function pgTimeLimits(limits: Partial<PgTimeLimits> = {}): { connectionTimeoutMillis: number; statement_timeout: number; query_timeout: number } {
  const l = { ...DEFAULT_PG_TIME_LIMITS, ...limits };
  return { connectionTimeoutMillis: l.connectTimeoutMs, statement_timeout: l.statementTimeoutMs, query_timeout: l.queryTimeoutMs };
}

export interface PgOptions {
  url: string;
  /** Schema holding the hotline's tables; every pooled connection gets it as its search_path. */
  schema: string;
  max?: number;
  /** Time limits; a connection or query past them fails with PG_UNAVAILABLE. */
  limits?: Partial<PgTimeLimits>;
  logger?: Logger;
}

export function assertSchemaName(schema: string): string {
  // The schema goes into SET/CREATE statements as an identifier, which cannot be a bind parameter.
  if (!SCHEMA_RE.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The store's handle on PostgreSQL: a pg Pool pinned to one schema, with every failure translated into a StoreError
 * where it means something (PG_UNAVAILABLE, DUPLICATE, CONSTRAINT). Repositories take a Db, never a raw Pool.
 */
export class Db {
  readonly pool: pg.Pool;
  readonly schema: string;

  constructor(opts: PgOptions) {
    this.schema = assertSchemaName(opts.schema);
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      ...pgTimeLimits(opts.limits),
      idleTimeoutMillis: 30_000,
      // A server that vanishes without closing the socket (host down, network cut) must still fail the query in
      // bounded time, so the record goes to the spool instead of holding the call's cleanup path.
      keepAlive: true,
      options: `-c search_path=${this.schema}`,
      application_name: 'hotline-acd',
    });
    const logger = opts.logger;
    // An idle client losing its connection emits 'error' on the pool; unhandled, that would kill the process.
    // The next query reports the outage as PG_UNAVAILABLE, so logging is all that is needed here.
    this.pool.on('error', (err) => logger?.warn({ err }, 'idle PostgreSQL connection failed'));
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(context: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (e) {
      throw toStoreError(e, context);
    }
  }

  /** Run `fn` in one transaction; rolled back on any error. */
  async tx<T>(context: string, fn: (c: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw toStoreError(e, context);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw toStoreError(e, context);
    } finally {
      // A client whose ROLLBACK failed has a dead or confused connection: destroy it rather than pool it.
      client.release(broken);
    }
  }

  /** Cheap reachability probe for /healthz. */
  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
