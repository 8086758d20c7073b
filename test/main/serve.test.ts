import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const schema = uniqueSchema('serve');
let spoolDir = '';

afterAll(async () => {
  await dropSchema(schema);
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

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
  const child = spawn(TSX, ['src/cli.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  it('migrates, serves /healthz, and exits 0 on SIGTERM', async () => {
    spoolDir = await mkdtemp(join(tmpdir(), 'acd-serve-spool-'));
    const port = await freePort();
    const child = acd(['serve'], {
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      TELEPHONY_ENABLED: 'false',
      PG_SPOOL_DIR: spoolDir,
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

    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.stdout).toContain('"msg":"hotline-acd stopped"');

    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      const ran = await c.query<{ name: string }>(`SELECT name FROM "${schema}".pgmigrations`);
      expect(ran.rows.map((r) => r.name)).toEqual(['20261124120000000_initial']);
    } finally {
      await c.end();
    }
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
});
