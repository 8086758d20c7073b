import { afterAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { register as registerAgents } from '../../src/cli/agents.js';
import { register as registerTeams } from '../../src/cli/teams.js';
import { Db } from '../../src/store/pg/db.js';
import { TeamRepository } from '../../src/store/pg/teams.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';

const schema = uniqueSchema('teams_cli');
afterAll(async () => {
  await dropSchema(schema);
});

/** `acd agents|teams ...` in this process, on the test's own schema. */
async function acd(args: string[]): Promise<{ stdout: string; error: unknown }> {
  Object.assign(process.env, { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, SIP_DOMAIN: 'hotline.test' });
  const program = new Command('acd').exitOverride();
  registerAgents(program);
  registerTeams(program);
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

describe('acd teams', () => {
  it('adds a team with its lead, puts a seat in it, changes and clears the lead: the same rows the API reads', async () => {
    expect((await acd(['agents', 'add', '3001', '--name', 'Lead', '--password', 'secret-3001'])).error).toBeUndefined();
    expect((await acd(['agents', 'add', '3002', '--name', 'Agent', '--password', 'secret-3002'])).error).toBeUndefined();
    expect((await acd(['teams', 'add', 'red', '--name', 'Red team', '--lead', '3001'])).stdout).toBe('added team red (Red team), lead 3001');
    expect((await acd(['agents', 'team', '3002', 'red'])).stdout).toBe('3002 is in team red');
    expect((await acd(['teams', 'list'])).stdout.split('\n')).toEqual(['ID   NAME      LEAD  MEMBERS', 'red  Red team  3001  3002']);
    expect((await acd(['agents', 'list'])).stdout).toMatch(/^3002 .* red +-$/m);

    const db = new Db({ url: TEST_DATABASE_URL, schema, max: 1 });
    try {
      expect(await new TeamRepository(db).get('red')).toEqual({ id: 'red', name: 'Red team', leadAgentId: '3001', members: ['3002'] });
      expect((await acd(['teams', 'set-lead', 'red', '-'])).stdout).toBe('team red has no lead');
      expect((await new TeamRepository(db).get('red'))?.leadAgentId).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('unknown teams and seats are one typed error each', async () => {
    expect((await acd(['teams', 'set-lead', 'blue', '3001'])).error).toMatchObject({ code: 'UNKNOWN_TEAM' });
    expect((await acd(['agents', 'team', '3002', 'blue'])).error).toMatchObject({ code: 'UNKNOWN_TEAM' });
    expect((await acd(['teams', 'add', 'green', '--name', 'Green', '--lead', '9999'])).error).toMatchObject({ code: 'UNKNOWN_AGENT' });
  });
});
