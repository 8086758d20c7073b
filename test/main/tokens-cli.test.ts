import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiTokenRepository, hashToken } from '../../src/store/pg/api-tokens.js';
import { Db } from '../../src/store/pg/db.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const schema = uniqueSchema('tokens_cli');
afterAll(async () => {
  await dropSchema(schema);
});

function acd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ['src/cli.ts', ...args], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, SIP_DOMAIN: 'hotline.test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('acd tokens', () => {
  it('creates (token printed once, only its hash stored), lists without tokens, revokes; bad input is one line', async () => {
    const created = await acd(['tokens', 'create', '--role', 'supervisor', '--name', 'wallboard']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^acd_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown only now');

    const db = new Db({ url: TEST_DATABASE_URL, schema, max: 1 });
    try {
      const found = await new ApiTokenRepository(db).findByHash(hashToken(token));
      expect(found).toMatchObject({ name: 'wallboard', role: 'supervisor', agentId: null });

      const list = await acd(['tokens', 'list']);
      expect(list.stdout).toMatch(/^ID\s+ROLE\s+AGENT\s+NAME/);
      expect(list.stdout).toContain('wallboard');
      expect(list.stdout).not.toContain(token);

      expect((await acd(['tokens', 'revoke', found!.id])).stdout).toContain(`token ${found!.id} revoked`);
      expect(await new ApiTokenRepository(db).findByHash(hashToken(token))).toBeUndefined();
    } finally {
      await db.close();
    }

    const bad = await acd(['tokens', 'create', '--role', 'root', '--name', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('acd: INVALID_INPUT: role: must be one of admin, supervisor, agent, provider');
    const noAgent = await acd(['tokens', 'create', '--role', 'agent', '--name', 'x', '--agent', 'ghost']);
    expect(noAgent.stderr.trim()).toBe('acd: UNKNOWN_AGENT: no agent with id "ghost"');
    // Each spawn starts tsx afresh: on a loaded machine that is many seconds, hence the longer limit below.
    const noProvider = await acd(['tokens', 'create', '--role', 'provider', '--name', 'x', '--provider', 'ghost']);
    expect(noProvider.stderr.trim()).toBe('acd: INVALID_INPUT: provider: no provider with id "ghost"');
  }, 240_000);
});
