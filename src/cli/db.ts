import type { Command } from 'commander';
import pg from 'pg';
import { ConfigError, loadConfig } from '../config/index.js';
import { HotlineError } from '../core/errors.js';
import { migrate } from '../store/pg/migrate.js';

/**
 * `acd db create`: the first step of a new install. Creates the database named in DATABASE_URL when the server
 * does not have it (connecting to the server's `postgres` database to do so, as `createdb` does), then brings the
 * schema up to date. Safe to run again: an existing database is kept and only missing migrations run.
 */
export interface CreateDatabaseResult {
  database: string;
  created: boolean;
  migrations: string[];
}

/** Where a URL points, without its password (for messages). */
function where(url: URL): string {
  return `${url.hostname}:${url.port || '5432'}`;
}

export async function createDatabase(databaseUrl: string, schema: string): Promise<CreateDatabaseResult> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '') throw new HotlineError('DB_CREATE_FAILED', 'DATABASE_URL names no database (postgres://user@host:5432/NAME)');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000, statement_timeout: 30_000 });
  let created = false;
  try {
    await client.connect();
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      // Identifiers cannot be bound as parameters: quote it (double any ").
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      created = true;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    // 42P04: created by someone else between the check and CREATE; the database is there, as wanted.
    if (code !== '42P04') {
      throw new HotlineError('DB_CREATE_FAILED', `cannot create database ${JSON.stringify(database)} on ${where(url)}: ${(e as Error).message}`, { database }, { cause: e });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  const migrations = await migrate({ url: databaseUrl, schema });
  return { database, created, migrations };
}

export function register(program: Command): void {
  const db = program.command('db').description('the PostgreSQL database (DATABASE_URL, DATABASE_SCHEMA)');
  db.command('create')
    .description('create the database named in DATABASE_URL if it is missing, then migrate its schema (safe to repeat)')
    .action(async () => {
      let config;
      try {
        config = loadConfig();
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const p of e.problems) console.error(`acd db: ${p}`);
        process.exitCode = 1;
        return;
      }
      const r = await createDatabase(config.DATABASE_URL, config.DATABASE_SCHEMA);
      console.log(`${r.created ? 'created' : 'found'} database ${r.database}; schema ${config.DATABASE_SCHEMA}: ${r.migrations.length === 0 ? 'up to date' : `applied ${r.migrations.join(', ')}`}`);
    });
}
