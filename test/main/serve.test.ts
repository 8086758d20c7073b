import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';

const schema = uniqueSchema('serve');
let workDir = '';

afterAll(async () => {
  await dropSchema(schema);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const queuesYaml = (wrapUp: number) => `version: 1
queues:
  - id: billing
    name: Billing
    requiredSkills: [{ skill: billing, minLevel: 2 }]
    wrapUpSec: ${wrapUp}
`;

async function queryTest<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Child {
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the first JSON log line whose msg is `msg`. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
}

function acd(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Child = {
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: (signal) => child.kill(signal),
    waitForLog: (msg) =>
      new Promise((resolve, reject) => {
        const look = () => {
          for (const line of out.stdout.split('\n')) {
            try {
              const j = JSON.parse(line) as Record<string, unknown>;
              if (j.msg === msg) return resolve(j);
            } catch {
              // not a log line
            }
          }
        };
        child.stdout.on('data', look);
        void out.exited.then(() => reject(new Error(`exited before logging "${msg}": ${out.stderr}${out.stdout}`)));
      }),
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  return out;
}

describe('acd serve', () => {
  it('migrates, saves queues.yaml (and its edits), serves /healthz, and exits 0 on SIGTERM', async () => {
    workDir = await mkdtemp(join(tmpdir(), 'acd-serve-'));
    const flowsDir = join(workDir, 'flows');
    await mkdir(flowsDir);
    await writeFile(join(flowsDir, 'queues.yaml'), queuesYaml(2.5));
    const port = await freePort();
    const child = acd(['serve'], {
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      // Its own Redis hash tag too, so the ACD event writer reads an empty stream rather than other tests' events.
      HOTLINE_ID: schema.slice(0, 32),
      REDIS_URL: 'redis://127.0.0.1:6379',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      TELEPHONY_ENABLED: 'false',
      FLOWS_DIR: flowsDir,
      PG_SPOOL_DIR: join(workDir, 'spool'),
      SHUTDOWN_DRAIN_MS: '5000',
    });
    const started = await child.waitForLog('hotline-acd started');
    expect(started.httpUrl).toBe(`http://127.0.0.1:${port}`);

    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ok');
    expect(body.checks.postgres!.ok).toBe(true);
    expect(body.checks.redis!.ok).toBe(true);
    // The API is wired: public /metrics and docs, everything under /api needs a token.
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/docs/json`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/api/queues`)).status).toBe(401);

    expect(await queryTest(`SELECT id, wrap_up_sec::float AS w, active FROM "${schema}".queues`)).toEqual([{ id: 'billing', w: 2.5, active: true }]);
    // An admin edit is picked up by the watcher and saved again.
    await writeFile(join(flowsDir, 'queues.yaml'), queuesYaml(45));
    let w = 2.5;
    for (let i = 0; i < 100 && w !== 45; i++) {
      await new Promise((r) => setTimeout(r, 100));
      w = (await queryTest<{ w: number }>(`SELECT wrap_up_sec::float AS w FROM "${schema}".queues WHERE id = 'billing'`))[0]!.w;
    }
    expect(w).toBe(45);

    child.kill('SIGTERM');
    expect(await child.exited, child.stderr).toEqual({ code: 0, signal: null });
    expect(child.stdout).toContain('"msg":"hotline-acd stopped"');

    // The ACD event writer ran (its cursor row exists) and stopped with the server.
    expect(await queryTest(`SELECT stream FROM "${schema}".acd_event_cursors`)).toEqual([{ stream: schema.slice(0, 32) }]);
    const ran = await queryTest<{ name: string }>(`SELECT name FROM "${schema}".pgmigrations`);
    expect(ran.map((r) => r.name)).toEqual(['20261124120000000_initial', '20261124130000000_acd-event-cursor', '20261207120000000_api-tokens', '20261207131000000_webhooks', '20261207132000000_live-calls', '20261207150000000_peak-plan', '20261207151000000_callback-tasks', '20261207152000000_reviews', '20261207153000000_work-orders']);
  });

  it('prints one line per bad variable and exits 1', async () => {
    const child = acd(['serve'], { HTTP_PORT: 'abc', REDIS_URL: 'http://nowhere', DATABASE_SCHEMA: 'Bad-Schema' });
    expect((await child.exited).code).toBe(1);
    const lines = child.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(':')[1]!.trim()).sort()).toEqual(['DATABASE_SCHEMA', 'HTTP_PORT', 'REDIS_URL']);
    expect(lines.every((l) => l.startsWith('acd serve: '))).toBe(true);
  });

  it('refuses to start when PostgreSQL is unreachable, with one clear line and exit 1', async () => {
    const child = acd(['serve'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test', DATABASE_SCHEMA: 'never_made', TELEPHONY_ENABLED: 'false', HTTP_PORT: String(await freePort()) });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr).toMatch(/^acd: PG_UNAVAILABLE: cannot migrate schema never_made/m);
  });

  it('refuses to start when Redis is unreachable, naming the cause', async () => {
    const child = acd(['serve'], {
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: 'redis://127.0.0.1:1',
      TELEPHONY_ENABLED: 'false',
      FLOWS_DIR: join(tmpdir(), 'acd-no-flows-here'),
      HTTP_PORT: String(await freePort()),
    });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr).toMatch(/^acd: REDIS_UNAVAILABLE: cannot connect to Redis at redis:\/\/127.0.0.1:1: connect ECONNREFUSED/m);
  });
});
