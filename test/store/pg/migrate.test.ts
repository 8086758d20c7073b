import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { migrate, migrationsDir } from '../../../src/store/pg/migrate.js';
import { StoreError } from '../../../src/store/pg/errors.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../../support/pg.js';

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

async function tablesIn(schema: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const r = await c.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return r.rows.map((x) => x.table_name);
  } finally {
    await c.end();
  }
}

describe('migrate', () => {
  it('creates the schema and every table, and a second run applies nothing', async () => {
    const schema = uniqueSchema('migrate');
    schemas.push(schema);
    const first = await migrate({ url: TEST_DATABASE_URL, schema });
    expect(first).toEqual(['20261124120000000_initial', '20261124130000000_acd-event-cursor', '20261207120000000_api-tokens', '20261207131000000_webhooks', '20261207132000000_live-calls', '20261207150000000_peak-plan', '20261207151000000_callback-tasks', '20261207152000000_reviews', '20261207153000000_work-orders']);
    expect(await tablesIn(schema)).toEqual([
      'acd_event_cursors', 'agent_skills', 'agent_state_history', 'agents', 'api_tokens', 'call_offers', 'call_records', 'callback_attempts', 'callbacks', 'pgmigrations', 'plan_activations', 'plan_campaigns', 'providers', 'queue_skills', 'queues', 'review_tasks', 'skills', 'teams', 'webhook_deliveries', 'webhooks', 'work_orders',
    ]);
    expect(await migrate({ url: TEST_DATABASE_URL, schema })).toEqual([]);

    // Every migration has a working Down section: roll all back, then forward again.
    const down = await runner({ databaseUrl: TEST_DATABASE_URL, dir: migrationsDir(), direction: 'down', count: Infinity, migrationsTable: 'pgmigrations', schema, log: () => undefined });
    expect(down.map((m) => m.name)).toEqual(['20261207153000000_work-orders', '20261207152000000_reviews', '20261207151000000_callback-tasks', '20261207150000000_peak-plan', '20261207132000000_live-calls', '20261207131000000_webhooks', '20261207120000000_api-tokens', '20261124130000000_acd-event-cursor', '20261124120000000_initial']);
    expect(await tablesIn(schema)).toEqual(['pgmigrations']);
    expect(await migrate({ url: TEST_DATABASE_URL, schema })).toHaveLength(9);
  });

  it('lets two instances start at once on one schema: one migrates, the other waits and finds nothing to do', async () => {
    const schema = uniqueSchema('migrate_race');
    schemas.push(schema);
    const [a, b] = await Promise.all([
      migrate({ url: TEST_DATABASE_URL, schema }),
      migrate({ url: TEST_DATABASE_URL, schema }),
    ]);
    expect([...a, ...b]).toEqual(['20261124120000000_initial', '20261124130000000_acd-event-cursor', '20261207120000000_api-tokens', '20261207131000000_webhooks', '20261207132000000_live-calls', '20261207150000000_peak-plan', '20261207151000000_callback-tasks', '20261207152000000_reviews', '20261207153000000_work-orders']);
  });

  it('reports an unreachable server as PG_UNAVAILABLE', async () => {
    const err = await migrate({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'never_created' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('PG_UNAVAILABLE');
  });
});
