import pg from 'pg';
import type { Logger } from '../../core/logger.js';
import { toStoreError } from './errors.js';

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgOptions {
  url: string;
  /** Schema holding the hotline's tables; every pooled connection gets it as its search_path. */
  schema: string;
  max?: number;
  /** How long to wait for a connection before the query fails with PG_UNAVAILABLE. */
  connectTimeoutMs?: number;
  /** How long a query may wait for the server's answer before it fails with PG_UNAVAILABLE. */
  queryTimeoutMs?: number;
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
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      // A server that vanishes without closing the socket (host down, network cut) must still fail the query in
      // bounded time, so the record goes to the spool instead of holding the call's cleanup path.
      keepAlive: true,
      query_timeout: opts.queryTimeoutMs ?? 15_000,
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
