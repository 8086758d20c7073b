import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AgentRepository } from '../../../src/store/pg/agents.js';
import { SkillRepository } from '../../../src/store/pg/skills.js';
import { StoreError } from '../../../src/store/pg/errors.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

let t: TestDb;
let agents: AgentRepository;

beforeAll(async () => {
  t = await createTestDb('agents');
  agents = new AgentRepository(t.db);
  await new SkillRepository(t.db).add('billing');
  await new SkillRepository(t.db).add('tech');
});
afterAll(async () => {
  await t.drop();
});

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('AgentRepository', () => {
  it('stores HA1 = md5(username:realm:password), never the password', async () => {
    const a = await agents.create({ sipUsername: '1001', name: '张伟', employeeNumber: 'E-1001', password: 's3cret-pass', realm: 'hotline.local', skills: [{ skill: 'billing', level: 5, primary: true }] });
    expect(a).toMatchObject({ id: '1001', sipUsername: '1001', role: 'agent', active: true, realm: 'hotline.local' });
    const row = await t.pool.query('SELECT * FROM agents WHERE id = $1', ['1001']);
    expect(row.rows[0].digest_ha1).toBe(md5('1001:hotline.local:s3cret-pass'));
    expect(JSON.stringify(row.rows[0])).not.toContain('s3cret-pass');
    expect(await agents.findCredential('1001')).toEqual({ agentId: '1001', realm: 'hotline.local', ha1: md5('1001:hotline.local:s3cret-pass') });
  });

  it('changes the password by recomputing HA1, optionally for a new realm', async () => {
    await agents.create({ sipUsername: '1002', name: 'Li Na', password: 'first-pass', realm: 'hotline.local' });
    await agents.setPassword('1002', 'second-pass');
    expect((await agents.findCredential('1002'))?.ha1).toBe(md5('1002:hotline.local:second-pass'));
    await agents.setPassword('1002', 'third-pass', 'sip.example.cn');
    expect(await agents.findCredential('1002')).toMatchObject({ realm: 'sip.example.cn', ha1: md5('1002:sip.example.cn:third-pass') });
  });

  it('hides deactivated seats from digest auth but keeps them listed', async () => {
    await agents.create({ sipUsername: '1003', name: 'Wang', password: 'password-3', realm: 'r' });
    await agents.setActive('1003', false);
    expect(await agents.findCredential('1003')).toBeUndefined();
    expect(await agents.findCredential('nobody')).toBeUndefined();
    expect((await agents.list()).map((a) => a.id)).toContain('1003');
    expect((await agents.list({ activeOnly: true })).map((a) => a.id)).not.toContain('1003');
  });

  it('sets skills (primary and secondary) and exposes them as ACD profiles', async () => {
    await agents.create({ sipUsername: '1004', name: 'Zhao', role: 'supervisor', password: 'password-4', realm: 'r' });
    await agents.setSkills('1004', [{ skill: 'tech', level: 3, primary: false }, { skill: 'billing', level: 4, primary: true }]);
    const p = (await agents.profiles()).find((x) => x.id === '1004');
    expect(p?.skills).toEqual([{ skill: 'billing', level: 4, primary: true }, { skill: 'tech', level: 3, primary: false }]);
    await agents.setSkills('1004', [{ skill: 'tech', level: 2, primary: true }]);
    expect((await agents.get('1004'))?.skills).toEqual([{ skill: 'tech', level: 2, primary: true }]);
  });

  it('refuses bad input with clear typed errors', async () => {
    const unknown = await agents.setSkills('ghost', [{ skill: 'tech', level: 3, primary: true }]).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(StoreError);
    expect((unknown as StoreError).code).toBe('UNKNOWN_AGENT');

    const level6 = await agents.setSkills('1001', [{ skill: 'tech', level: 6 as never, primary: true }]).catch((e: unknown) => e);
    expect(level6).toBeInstanceOf(InvalidInputError);
    expect((level6 as InvalidInputError).message).toMatch(/level.*1 to 5.*6/);

    const typo = await agents.setSkills('1001', [{ skill: 'biling', level: 3, primary: true }]).catch((e: unknown) => e);
    expect((typo as StoreError).code).toBe('UNKNOWN_SKILL');
    expect((typo as StoreError).message).toContain('biling');
    // The failed call changed nothing.
    expect((await agents.get('1001'))?.skills).toEqual([{ skill: 'billing', level: 5, primary: true }]);

    await agents.setSkills('1001', [{ skill: 'complaints', level: 2, primary: true }], { createMissingSkills: true });
    expect((await agents.get('1001'))?.skills[0]?.skill).toBe('complaints');

    const dup = await agents.create({ sipUsername: '1001', name: 'Again', password: 'password-x', realm: 'r' }).catch((e: unknown) => e);
    expect((dup as StoreError).code).toBe('DUPLICATE');

    const shortPw = await agents.create({ sipUsername: '1009', name: 'Short', password: 'abc', realm: 'r' }).catch((e: unknown) => e);
    expect((shortPw as InvalidInputError).field).toBe('password');
    expect(await agents.get('1009')).toBeUndefined();

    const pwUnknown = await agents.setPassword('ghost', 'whatever-1').catch((e: unknown) => e);
    expect((pwUnknown as StoreError).code).toBe('UNKNOWN_AGENT');
  });

  it('the database itself refuses a level of 6 (the CHECK is the backstop)', async () => {
    await expect(t.pool.query("INSERT INTO agent_skills (agent_id, skill_id, level) VALUES ('1002', 'tech', 6)")).rejects.toThrow(/check constraint/);
  });
});
