import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/cli/db.js';

/** Issue 9 item 23: `acd --version`, and `acd db create` for a newcomer whose server has no `hotline` database. */
const root = join(import.meta.dirname, '..', '..');
const SERVER = 'postgres://postgres@127.0.0.1:5432';
const DB = `acd_cli_create_${process.pid}`;

function acd(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

afterAll(async () => {
  // Only the database this file created (never a shared one).
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describe('acd --version', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const [long, short] = await Promise.all([acd({}, '--version'), acd({}, '-V')]);
    expect(long).toMatchObject({ status: 0, stdout: `${version}\n`, stderr: '' });
    expect(short.stdout).toBe(`${version}\n`);
  });
});

describe('acd db create', () => {
  it('creates the missing database and migrates it; a second run keeps it and has nothing to apply', async () => {
    const url = `${SERVER}/${DB}`;
    const first = await createDatabase(url, 'public');
    expect(first).toMatchObject({ database: DB, created: true });
    expect(first.migrations.length).toBeGreaterThan(0);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      expect((await c.query("SELECT to_regclass('public.agents') AS t")).rows[0].t).toBe('agents');
    } finally {
      await c.end();
    }
    expect(await createDatabase(url, 'public')).toEqual({ database: DB, created: false, migrations: [] });
  });

  it('spawned: reports what it did; an unreachable server is one line without the password', async () => {
    const [again, down] = await Promise.all([
      acd({ DATABASE_URL: `${SERVER}/${DB}` }, 'db', 'create'),
      acd({ DATABASE_URL: 'postgres://postgres:S3cret@127.0.0.1:1/hotline' }, 'db', 'create'),
    ]);
    expect(again.stdout.trim()).toBe(`found database ${DB}; schema public: up to date`);
    expect(down.status).toBe(1);
    expect(down.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^acd: DB_CREATE_FAILED: cannot create database "hotline" on 127\.0\.0\.1:1: /)]);
    expect(down.stderr).not.toContain('S3cret');
  });
});
