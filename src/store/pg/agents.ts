import type { AgentProfile, AgentSkill, SkillLevel } from '../../acd/model.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Db, Queryable } from './db.js';
import { digestHa1 } from './digest.js';
import { StoreError } from './errors.js';
import { ensureSkills } from './skills.js';
import { SIP_USERNAME_RE, requireDisplayText, requireMatch, requireText, validateSkills } from './validate.js';

export const AGENT_ROLES = ['agent', 'supervisor'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export interface NewAgent {
  /** Stable id used by the ACD (Redis keys, call records). Defaults to the SIP username. */
  id?: string;
  sipUsername: string;
  name: string;
  employeeNumber?: string;
  role?: AgentRole;
  /** Plain password: only its HA1 is stored. */
  password: string;
  /** Digest realm (usually the SIP domain). */
  realm: string;
  skills?: AgentSkill[];
}

export interface AgentRecord {
  id: string;
  sipUsername: string;
  name: string;
  employeeNumber: string | null;
  role: AgentRole;
  realm: string;
  active: boolean;
  skills: AgentSkill[];
  /** The agent's team (whose lead reviews its dissatisfied calls), or null. */
  teamId: string | null;
}

/** What the registrar needs to check a digest response; never the password. */
export interface DigestCredential {
  agentId: string;
  realm: string;
  ha1: string;
}

export interface SkillOptions {
  /** Create skills that do not exist yet instead of refusing them (UNKNOWN_SKILL). */
  createMissingSkills?: boolean;
}

export const MIN_PASSWORD_LENGTH = 8;

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > 128) {
    throw new InvalidInputError('password', `must be ${MIN_PASSWORD_LENGTH} to 128 characters`);
  }
  return password;
}

interface AgentRow {
  id: string;
  sip_username: string;
  name: string;
  employee_number: string | null;
  role: AgentRole;
  digest_realm: string;
  active: boolean;
  skills: { skill: string; level: number; primary: boolean }[] | null;
  team_id: string | null;
}

const SELECT_AGENTS = `
  SELECT a.id, a.sip_username, a.name, a.employee_number, a.role, a.digest_realm, a.active, a.team_id,
         (SELECT json_agg(json_build_object('skill', s.skill_id, 'level', s.level, 'primary', s.is_primary) ORDER BY s.skill_id)
            FROM agent_skills s WHERE s.agent_id = a.id) AS skills
    FROM agents a`;

function toRecord(r: AgentRow): AgentRecord {
  return {
    id: r.id,
    sipUsername: r.sip_username,
    name: r.name,
    employeeNumber: r.employee_number,
    role: r.role,
    realm: r.digest_realm,
    active: r.active,
    skills: (r.skills ?? []).map((s) => ({ skill: s.skill, level: s.level as SkillLevel, primary: s.primary })),
    teamId: r.team_id,
  };
}

/** Seats: provisioning (CLI/admin API), digest credentials (registrar) and skill profiles (ACD). */
export class AgentRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewAgent, opts: SkillOptions = {}): Promise<AgentRecord> {
    const username = requireMatch('username', input.sipUsername, SIP_USERNAME_RE, 'a SIP username (letters, digits, . _ ~ + -)');
    const id = input.id === undefined ? username : requireMatch('id', input.id, SIP_USERNAME_RE, 'an agent id');
    const name = requireDisplayText('name', input.name);
    const employeeNumber = input.employeeNumber === undefined ? null : requireDisplayText('employeeNumber', input.employeeNumber, 64);
    const role = input.role ?? 'agent';
    if (!AGENT_ROLES.includes(role)) throw new InvalidInputError('role', `must be one of ${AGENT_ROLES.join(', ')}`);
    const realm = requireText('realm', input.realm);
    const ha1 = digestHa1(username, realm, checkPassword(input.password));
    const skills = validateSkills(input.skills ?? []);
    await this.db.tx('create agent', async (c) => {
      await c.query(
        `INSERT INTO agents (id, sip_username, name, employee_number, role, digest_realm, digest_ha1)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, username, name, employeeNumber, role, realm, ha1],
      );
      await writeSkills(c, id, skills, opts.createMissingSkills ?? false);
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<AgentRecord | undefined> {
    const r = await this.db.query<AgentRow>('get agent', `${SELECT_AGENTS} WHERE a.id = $1`, [id]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async getByUsername(sipUsername: string): Promise<AgentRecord | undefined> {
    const r = await this.db.query<AgentRow>('get agent', `${SELECT_AGENTS} WHERE a.sip_username = $1`, [sipUsername]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async list(opts: { activeOnly?: boolean } = {}): Promise<AgentRecord[]> {
    const r = await this.db.query<AgentRow>('list agents', `${SELECT_AGENTS} ${opts.activeOnly ? 'WHERE a.active' : ''} ORDER BY a.sip_username`);
    return r.rows.map(toRecord);
  }

  /** Active agents as the ACD sees them. */
  async profiles(): Promise<AgentProfile[]> {
    return (await this.list({ activeOnly: true })).map((a) => ({ id: a.id, name: a.name, skills: a.skills }));
  }

  /**
   * The digest credential for a REGISTER/INVITE from `sipUsername`. Undefined for unknown or deactivated seats,
   * so the registrar answers both the same way (403) and does not reveal which usernames exist.
   */
  async findCredential(sipUsername: string): Promise<DigestCredential | undefined> {
    const r = await this.db.query<{ id: string; digest_realm: string; digest_ha1: string }>(
      'find digest credential',
      'SELECT id, digest_realm, digest_ha1 FROM agents WHERE sip_username = $1 AND active',
      [sipUsername],
    );
    const row = r.rows[0];
    return row ? { agentId: row.id, realm: row.digest_realm, ha1: row.digest_ha1 } : undefined;
  }

  /**
   * Every active seat's digest credential, for the SIP side's in-memory SeatDirectory: one read every refresh
   * instead of one per INVITE or REGISTER, so no call waits on PostgreSQL (issue 9 items 15, 22).
   */
  async credentials(): Promise<(DigestCredential & { sipUsername: string })[]> {
    const r = await this.db.query<{ id: string; sip_username: string; digest_realm: string; digest_ha1: string }>(
      'read digest credentials',
      'SELECT id, sip_username, digest_realm, digest_ha1 FROM agents WHERE active',
    );
    return r.rows.map((row) => ({ sipUsername: row.sip_username, agentId: row.id, realm: row.digest_realm, ha1: row.digest_ha1 }));
  }

  /** New password (and optionally a new realm): HA1 is recomputed, the password itself is not kept. */
  async setPassword(id: string, password: string, realm?: string): Promise<void> {
    checkPassword(password);
    await this.db.tx('set password', async (c) => {
      const cur = await c.query<{ sip_username: string; digest_realm: string }>(
        'SELECT sip_username, digest_realm FROM agents WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = cur.rows[0];
      if (!row) throw unknownAgent(id);
      const newRealm = realm === undefined ? row.digest_realm : requireText('realm', realm);
      await c.query('UPDATE agents SET digest_realm = $2, digest_ha1 = $3, updated_at = now() WHERE id = $1', [
        id,
        newRealm,
        digestHa1(row.sip_username, newRealm, password),
      ]);
    });
  }

  /** Replace the agent's skills with `skills`. */
  async setSkills(id: string, skills: readonly AgentSkill[], opts: SkillOptions = {}): Promise<void> {
    const valid = validateSkills(skills);
    await this.db.tx('set agent skills', async (c) => {
      const found = await c.query('SELECT 1 FROM agents WHERE id = $1 FOR UPDATE', [id]);
      if (found.rowCount === 0) throw unknownAgent(id);
      await c.query('DELETE FROM agent_skills WHERE agent_id = $1', [id]);
      await writeSkills(c, id, valid, opts.createMissingSkills ?? false);
    });
  }

  /** The agent's display name (checked as on create: no control characters or escapes). */
  async rename(id: string, name: string): Promise<void> {
    const valid = requireDisplayText('name', name);
    const r = await this.db.query('rename agent', 'UPDATE agents SET name = $2, updated_at = now() WHERE id = $1', [id, valid]);
    if (r.rowCount === 0) throw unknownAgent(id);
  }

  async setActive(id: string, active: boolean): Promise<void> {
    const r = await this.db.query('set agent active', 'UPDATE agents SET active = $2, updated_at = now() WHERE id = $1', [id, active]);
    if (r.rowCount === 0) throw unknownAgent(id);
  }
}

function unknownAgent(id: string): StoreError {
  return new StoreError('UNKNOWN_AGENT', `unknown agent ${JSON.stringify(id)}`, { agentId: id });
}

async function writeSkills(c: Queryable, agentId: string, skills: AgentSkill[], createMissing: boolean): Promise<void> {
  if (skills.length === 0) return;
  await ensureSkills(c, skills.map((s) => s.skill), createMissing);
  await c.query(
    `INSERT INTO agent_skills (agent_id, skill_id, level, is_primary)
     SELECT $1, * FROM unnest($2::text[], $3::smallint[], $4::boolean[])`,
    [agentId, skills.map((s) => s.skill), skills.map((s) => s.level), skills.map((s) => s.primary)],
  );
}
