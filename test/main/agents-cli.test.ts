import { afterAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { parseSkillSpec, register } from '../../src/cli/agents.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';

const schema = uniqueSchema('agents_cli');
afterAll(async () => {
  await dropSchema(schema);
});

function acd(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, SIP_DOMAIN: 'hotline.test' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(input ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ha1Of(username: string): Promise<string> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const r = await c.query<{ digest_ha1: string }>(`SELECT digest_ha1 FROM "${schema}".agents WHERE sip_username = $1`, [username]);
    return r.rows[0]!.digest_ha1;
  } finally {
    await c.end();
  }
}
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('parseSkillSpec', () => {
  it('reads skill:level[:secondary] lists', () => {
    expect(parseSkillSpec('billing:5, tech:3:secondary,vip:1:primary')).toEqual([
      { skill: 'billing', level: 5, primary: true },
      { skill: 'tech', level: 3, primary: false },
      { skill: 'vip', level: 1, primary: true },
    ]);
  });
  it.each([['billing'], ['billing:6'], ['billing:0'], ['billing:2.5'], ['tech:3:maybe'], ['a:1:primary:x']])('refuses %s', (spec) => {
    expect(() => parseSkillSpec(spec)).toThrow(/skills/);
  });
});

/** Run `acd agents ...` in this process (fast); env as the spawned binary gets it. */
async function inProcess(args: string[]): Promise<{ stdout: string; error: unknown }> {
  Object.assign(process.env, { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, SIP_DOMAIN: 'hotline.test' });
  const program = new Command('acd').exitOverride();
  register(program);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await program.parseAsync(['node', 'acd', ...args]);
    return { stdout: lines.join('\n'), error: undefined };
  } catch (error) {
    return { stdout: lines.join('\n'), error };
  } finally {
    spy.mockRestore();
  }
}

describe('acd agents', () => {
  it('adds, lists, re-skills and re-passwords a seat end to end', async () => {
    // The real binary once for each exit path: success, typed error, password from a pipe.
    const add = await acd(['agents', 'add', '2001', '--name', '王芳', '--employee', 'E2001', '--role', 'supervisor', '--password', 'first-secret', '--skills', 'billing:5,tech:3:secondary', '--create-skills']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr.replace(/^npm warn.*\n/gm, '')).toBe('');
    expect(add.stdout).toContain('added 2001 (王芳, supervisor, realm hotline.test): billing:5,tech:3:secondary');
    expect(await ha1Of('2001')).toBe(md5('2001:hotline.test:first-secret'));

    const bad = await acd(['agents', 'skills', '2001', 'billing:6']);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/acd: INVALID_INPUT: skills \(billing\): must be an integer from 1 to 5 \(got 6\)/);

    const pw = await acd(['agents', 'passwd', '2001'], 'second-secret\n');
    expect(pw.code, pw.stderr).toBe(0);
    expect(await ha1Of('2001')).toBe(md5('2001:hotline.test:second-secret'));

    const list = await inProcess(['agents', 'list', '--json']);
    expect(list.error).toBeUndefined();
    const seats = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(seats).toEqual([
      {
        id: '2001', sipUsername: '2001', name: '王芳', employeeNumber: 'E2001', role: 'supervisor', realm: 'hotline.test', active: true,
        skills: [{ skill: 'billing', level: 5, primary: true }, { skill: 'tech', level: 3, primary: false }], teamId: null,
      },
    ]);
    expect(list.stdout).not.toMatch(/ha1|secret/i);

    const unknown = await inProcess(['agents', 'skills', 'ghost', 'billing:2']);
    expect(unknown.error).toMatchObject({ code: 'UNKNOWN_AGENT', message: 'no seat with SIP username "ghost"' });

    const typo = await inProcess(['agents', 'skills', '2001', 'biling:2']);
    expect((typo.error as Error).message).toMatch(/unknown skill biling \(known: billing, tech\)/);

    expect((await inProcess(['agents', 'skills', '2001', 'tech:4'])).stdout).toBe('2001: tech:4');
    expect((await inProcess(['agents', 'deactivate', '2001'])).stdout).toBe('2001 deactivated');

    const table = await inProcess(['agents', 'list']);
    expect(table.stdout.split('\n')[1]).toMatch(/^2001\s+2001\s+王芳\s+E2001\s+supervisor\s+no\s+-\s+tech:4$/);
  });
});
