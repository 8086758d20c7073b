import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { assertSchemaName, pgTimeLimits, type PgTimeLimits } from './db.js';
import { StoreError, isConnectionError } from './errors.js';

export interface MigrateOptions {
  url: string;
  schema: string;
  logger?: Logger;
  /** How long to keep retrying while another process holds this schema's migration lock. */
  lockWaitMs?: number;
  /** Only the connect limit applies: a frozen server fails start-up, a long migration on a big table does not. */
  limits?: Partial<PgTimeLimits>;
}

/**
 * Where the versioned SQL files are. Under tsx that is beside this module; a tsc build does not copy .sql files,
 * so dist/ falls back to the sources in the package.
 */
export function migrationsDir(): string {
  const beside = fileURLToPath(new URL('./migrations', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../../src/store/pg/migrations', import.meta.url));
}

/**
 * node-pg-migrate takes a session advisory lock with one well-known id for every database. Keyed by schema
 * instead, test files migrating their own schemas in parallel do not refuse each other, while app instances
 * sharing a schema still migrate one at a time.
 */
export function lockValueFor(schema: string): number {
  let h = 0xcbf29ce4n;
  for (const ch of `hotline-acd:${schema}`) h = ((h ^ BigInt(ch.codePointAt(0)!)) * 0x01000193n) & 0xffffffffffffn;
  return Number(h);
}

/** Bring `schema` up to the newest migration (creating the schema if needed). Returns the names applied now. */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const schema = assertSchemaName(opts.schema);
  const log = opts.logger ?? silentLogger;
  const deadline = Date.now() + (opts.lockWaitMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    try {
      const ran = await runner({
        databaseUrl: { connectionString: opts.url, connectionTimeoutMillis: pgTimeLimits(opts.limits).connectionTimeoutMillis },
        dir: migrationsDir(),
        direction: 'up',
        migrationsTable: 'pgmigrations',
        schema,
        createSchema: true,
        checkOrder: true,
        singleTransaction: true,
        lockValue: lockValueFor(schema),
        logger: {
          debug: (m: string) => log.debug({ migration: true }, m),
          info: (m: string) => log.debug({ migration: true }, m),
          warn: (m: string) => log.warn({ migration: true }, m),
          error: (m: string) => log.error({ migration: true }, m),
        },
      });
      const names = ran.map((m) => m.name);
      if (names.length > 0) log.info({ schema, applied: names }, 'database migrated');
      return names;
    } catch (e) {
      const locked = e instanceof Error && /Another migration is already running/.test(e.message);
      if (locked && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** attempt)));
        continue;
      }
      if (isConnectionError(e)) {
        throw new StoreError('PG_UNAVAILABLE', `cannot migrate schema ${schema}: PostgreSQL unreachable (${(e as Error).message})`, { schema }, { cause: e });
      }
      throw new StoreError('MIGRATION_FAILED', `cannot migrate schema ${schema}: ${e instanceof Error ? e.message : String(e)}`, { schema }, { cause: e });
    }
  }
}
