import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentState, describeState } from '../../src/cli/agent-state.js';
import { SystemClock } from '../../src/core/clock.js';
import { AgentRepository } from '../../src/store/pg/agents.js';
import { SkillRepository } from '../../src/store/pg/skills.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { queue } from '../acd/fixtures.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { testRedis, TEST_REDIS_URL, uniqueHotline } from '../support/redis.js';

/** Issue 9 item 23: an agent can be made ready (and not ready, logged out) from the CLI, through the seats' rules. */
const root = join(import.meta.dirname, '..', '..');
let t: TestDb;
let redis: Redis;
let store: RedisAcdStore;
let repo: AgentRepository;
const hotline = uniqueHotline('agentstate');

beforeAll(async () => {
  t = await createTestDb('agent_state');
  repo = new AgentRepository(t.db);
  await new SkillRepository(t.db).add('billing');
  redis = await testRedis();
  store = new RedisAcdStore({ redis, hotlineId: hotline, clock: new SystemClock(), leaseMs: 10_000 });
  await store.configure({ skills: ['billing'], queues: [queue('billing', { requiredSkills: [{ skill: 'billing', minLevel: 1 }] })] });
  for (const u of ['3001', '3002', '3003']) await repo.create({ sipUsername: u, name: `Agent ${u}`, password: 'long-enough', realm: 'hotline.local', skills: [{ skill: 'billing', level: 3, primary: true }] });
  await repo.setActive('3003', false);
});
afterAll(async () => {
  const keys = await redis.keys(`*${hotline}*`);
  if (keys.length > 0) await redis.del(keys);
  redis.disconnect();
  await t.drop();
});

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

describe('agentState', () => {
  const deps = () => ({ store, agents: repo });
  it('ready logs the agent in and makes it ready; not-ready with a reason; logout', async () => {
    expect(await agentState(deps(), '3001')).toBeNull();
    expect(await agentState(deps(), '3001', 'ready')).toMatchObject({ id: '3001', state: 'ready' });
    expect(await agentState(deps(), '3001', 'not-ready', 'lunch')).toMatchObject({ state: 'not-ready', reason: 'lunch' });
    expect(describeState('3001', await agentState(deps(), '3001'))).toBe('3001: not-ready (lunch)');
    await agentState(deps(), '3001', 'logout');
    expect(describeState('3001', await agentState(deps(), '3001'))).toBe('3001: logged-out');
  });

  it('refuses an unknown seat, a deactivated seat, an unknown state and the ACD\'s own reasons', async () => {
    await expect(agentState(deps(), 'nobody', 'ready')).rejects.toMatchObject({ code: 'UNKNOWN_AGENT' });
    await expect(agentState(deps(), '3003', 'ready')).rejects.toThrow(/deactivated/);
    await expect(agentState(deps(), '3001', 'busy')).rejects.toThrow('state: must be one of ready, not-ready, logout (got "busy")');
    await expect(agentState(deps(), '3001', 'not-ready', 'missed')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.agent('3003')).toBeNull();
  });

  it('spawned: `acd agents state 3002 ready` changes the state in Redis; a bad Redis URL is one line without its password', async () => {
    const env = { DATABASE_URL: t.url, DATABASE_SCHEMA: t.schema, REDIS_URL: TEST_REDIS_URL, HOTLINE_ID: hotline };
    const [ok, down] = await Promise.all([
      acd(env, 'agents', 'state', '3002', 'ready'),
      acd({ ...env, REDIS_URL: 'redis://default:S3cret@127.0.0.1:1' }, 'agents', 'state', '3002'),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('3002: ready');
    expect(await store.agent('3002')).toMatchObject({ state: 'ready' });
    expect(down.status).toBe(1);
    expect(down.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^acd: REDIS_UNREACHABLE: cannot connect to Redis at 127\.0\.0\.1:1: /)]);
    expect(down.stderr).not.toContain('S3cret');
  });

  it('spawned: a break is refused while the peak-load plan is active (the same gate as the seats and the API)', async () => {
    const env = { DATABASE_URL: t.url, DATABASE_SCHEMA: t.schema, REDIS_URL: TEST_REDIS_URL, HOTLINE_ID: hotline };
    await redis.hset(`acd:{${hotline}}:plan:state`, 'level', '1');
    try {
      const refused = await acd(env, 'agents', 'state', '3002', 'not-ready', '--reason', 'break');
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toMatch(/^acd: PLAN_BREAKS_SUSPENDED: break refused: the peak-load plan is at level 1$/);
    } finally {
      await redis.del(`acd:{${hotline}}:plan:state`);
    }
    const after = await acd(env, 'agents', 'state', '3002', 'not-ready', '--reason', 'break');
    expect(after.stdout.trim()).toBe('3002: not-ready (break)');
  });
});
