import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db, pgTimeLimits } from '../../../src/store/pg/db.js';
import { migrate } from '../../../src/store/pg/migrate.js';
import { createTestDb, type TestDb } from '../../support/pg.js';
import { frozenServer } from '../../main/spawn.js';

// Issue 9 item 14: every connection and query to PostgreSQL has a time limit.
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('timelimits');
});
afterAll(() => t.drop());

describe('PostgreSQL time limits', () => {
  it('defaults: connect 5 s, statement 10 s, query 15 s; each configurable', () => {
    expect(pgTimeLimits()).toEqual({ connectionTimeoutMillis: 5_000, statement_timeout: 10_000, query_timeout: 15_000 });
    expect(pgTimeLimits({ statementTimeoutMs: 250 })).toEqual({ connectionTimeoutMillis: 5_000, statement_timeout: 250, query_timeout: 15_000 });
  });

  it('a frozen server (accepts, never answers) fails a query with PG_UNAVAILABLE within the connect limit', async () => {
    const frozen = await frozenServer();
    const db = new Db({ url: `postgres://postgres@127.0.0.1:${frozen.port}/test`, schema: 'public', limits: { connectTimeoutMs: 400 } });
    try {
      const started = Date.now();
      await expect(db.ping()).rejects.toMatchObject({ code: 'PG_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await db.close();
      await frozen.close();
    }
  });

  it('migrate against a frozen server: PG_UNAVAILABLE within the connect limit', async () => {
    const frozen = await frozenServer();
    try {
      const started = Date.now();
      await expect(migrate({ url: `postgres://postgres@127.0.0.1:${frozen.port}/test`, schema: 'frozen_probe', limits: { connectTimeoutMs: 400 } })).rejects.toMatchObject({
        code: 'PG_UNAVAILABLE',
      });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await frozen.close();
    }
  });

  it('a statement running past the statement limit is cancelled by the server', async () => {
    const db = new Db({ url: t.url, schema: t.schema, limits: { statementTimeoutMs: 300 } });
    try {
      const started = Date.now();
      await expect(db.query('sleep', 'SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(3_000);
      // The connection is still usable afterwards.
      await db.ping();
    } finally {
      await db.close();
    }
  });
});
