import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { formatAgentTable } from '../../src/cli/agents.js';
import { escapeForTerminal } from '../../src/cli/text.js';
import { AgentRepository } from '../../src/store/pg/agents.js';
import { requireDisplayText } from '../../src/store/pg/validate.js';
import { createTestDb, type TestDb } from '../support/pg.js';

/** Issue 9 item 18 (names): agent names cannot carry terminal escapes or line breaks, and old ones print escaped. */
const root = join(import.meta.dirname, '..', '..');
let t: TestDb;
let repo: AgentRepository;
beforeAll(async () => {
  t = await createTestDb('agent_names');
  repo = new AgentRepository(t.db);
});
afterAll(async () => {
  await t.drop();
});

const ESC_NAME = 'Mallory\x1b[2J\x1b]0;pwned\x07';
const seat = (u: string, name: string) => ({ sipUsername: u, name, password: 'long-enough', realm: 'hotline.local' });

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

describe('requireDisplayText', () => {
  it('refuses newlines, tabs, ESC, DEL, C1 CSI and bidi overrides, naming the character', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\tb', ESC_NAME, 'a\x7fb', 'a\u009b2Jb', 'abc\u202Egnp.exe']) {
      expect(() => requireDisplayText('name', bad)).toThrow(InvalidInputError);
    }
    expect(() => requireDisplayText('name', 'Mallory\x1b[2J')).toThrow('name: must not contain control characters, terminal escapes or line breaks (found U+001B at character 8)');
  });
  it('keeps ordinary names, CJK and accents included', () => {
    for (const ok of ['张伟', 'José Müller-Łukasz', "O'Brien (night shift)"]) expect(requireDisplayText('name', ok)).toBe(ok);
  });
});

describe('agent names in the repository and in `agents list`', () => {
  it('create and rename refuse a name with escapes; nothing is stored', async () => {
    await expect(repo.create(seat('2001', ESC_NAME))).rejects.toThrow(/^name: must not contain control characters/);
    await expect(repo.create({ ...seat('2001', 'Ok'), employeeNumber: 'E1\n' })).rejects.toThrow(/^employeeNumber: must not contain/);
    expect(await repo.getByUsername('2001')).toBeUndefined();
    await repo.create(seat('2002', 'Alice'));
    await expect(repo.rename('2002', 'Alice\nroot  x  admin')).rejects.toThrow(/^name: must not contain/);
    await repo.rename('2002', 'Alice Wong');
    expect((await repo.get('2002'))?.name).toBe('Alice Wong');
  });

  it('a name stored before the check prints escaped, one row per seat', async () => {
    await repo.create(seat('2003', 'placeholder'));
    await t.pool.query('UPDATE agents SET name = $1 WHERE id = $2', [`${ESC_NAME}\nfake row`, '2003']);
    const table = formatAgentTable(await repo.list());
    // Rows are the only line breaks; no other control character reaches the terminal.
    expect(table.split('\n')).toHaveLength(1 + (await repo.list()).length);
    for (const row of table.split('\n')) expect([...row].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toBe(false);
    expect(table).toContain('Mallory\\x1b[2J\\x1b]0;pwned\\x07\\nfake row');
    expect(escapeForTerminal('C:\\x')).toBe('C:\\x');
    expect(escapeForTerminal('C:\\x\x1b')).toBe('C:\\\\x\\x1b');
  });

  it('spawned: `agents add` with an escape is one line and exit 1; `agents list` prints escapes', async () => {
    const env = { DATABASE_URL: t.url, DATABASE_SCHEMA: t.schema, TELEPHONY_ENABLED: 'false' };
    const [add, list] = await Promise.all([
      acd(env, 'agents', 'add', '2004', '--name', 'Eve\x1b[31mred', '--password', 'long-enough'),
      acd(env, 'agents', 'list'),
    ]);
    expect(add.status).toBe(1);
    expect(add.stderr.trim().split('\n')).toEqual(['acd: INVALID_INPUT: name: must not contain control characters, terminal escapes or line breaks (found U+001B at character 4)']);
    expect(list.status).toBe(0);
    expect(list.stdout).not.toContain('\x1b');
    expect(list.stdout).toContain('Mallory\\x1b[2J');
  });
});
