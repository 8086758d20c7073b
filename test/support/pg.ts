import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Db } from '../../src/store/pg/db.js';
import { migrate } from '../../src/store/pg/migrate.js';

/** The real PostgreSQL the tests use (trust auth on loopback, database `test`). */
export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  /** The pool of `db`: its connections have search_path = `schema`. */
  pool: pg.Pool;
  schema: string;
  url: string;
  /** Close the pool and drop the schema. */
  drop(): Promise<void>;
}

/** A fresh schema name, unique across parallel test processes. */
export function uniqueSchema(label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30);
  return `t_${clean}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Create a schema of its own for one test file, migrate it to the newest version, and hand back a pool on it. */
export async function createTestDb(label: string): Promise<TestDb> {
  const schema = uniqueSchema(label);
  await migrate({ url: TEST_DATABASE_URL, schema });
  const db = new Db({ url: TEST_DATABASE_URL, schema, max: 5 });
  return {
    db,
    pool: db.pool,
    schema,
    url: TEST_DATABASE_URL,
    drop: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}
