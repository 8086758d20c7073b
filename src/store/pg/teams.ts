import { ReviewError } from '../../reviews/errors.js';
import type { Db, Queryable } from './db.js';
import { StoreError } from './errors.js';
import { requireDisplayText, requireMatch } from './validate.js';

const TEAM_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export interface Team {
  id: string;
  name: string;
  /** The team lead (an agent id), who reviews the team's dissatisfied calls; null: the supervisors' pool does. */
  leadAgentId: string | null;
  /** Agents in the team, by id. */
  members: string[];
}

interface TeamRow {
  id: string;
  name: string;
  lead_agent_id: string | null;
  members: string[] | null;
}

const SELECT_TEAMS = `
  SELECT t.id, t.name, t.lead_agent_id,
         (SELECT array_agg(a.id ORDER BY a.id) FROM agents a WHERE a.team_id = t.id) AS members
    FROM teams t`;

const toTeam = (r: TeamRow): Team => ({ id: r.id, name: r.name, leadAgentId: r.lead_agent_id, members: r.members ?? [] });

const unknownTeam = (id: string) => new ReviewError('UNKNOWN_TEAM', `no team ${JSON.stringify(id)}`, { teamId: id });
const unknownAgent = (id: string) => new StoreError('UNKNOWN_AGENT', `unknown agent ${JSON.stringify(id)}`, { agentId: id });

async function mustHaveAgent(c: Queryable, id: string): Promise<void> {
  const r = await c.query('SELECT 1 FROM agents WHERE id = $1', [id]);
  if (r.rowCount === 0) throw unknownAgent(id);
}

/**
 * Teams and their leads: the one service layer `acd teams` and /api/teams share (as AgentRepository is for seats).
 * A lead need not be a member of the team it leads (a senior agent may lead a team of juniors).
 */
export class TeamRepository {
  constructor(private readonly db: Db) {}

  async create(input: { id: string; name: string; leadAgentId?: string | null | undefined }): Promise<Team> {
    const id = requireMatch('id', input.id, TEAM_ID_RE, 'a team id (letters, digits, _ . -, at most 64)');
    const name = requireDisplayText('name', input.name);
    await this.db.tx('create team', async (c) => {
      if (input.leadAgentId) await mustHaveAgent(c, input.leadAgentId);
      await c.query('INSERT INTO teams (id, name, lead_agent_id) VALUES ($1, $2, $3)', [id, name, input.leadAgentId ?? null]);
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Team | undefined> {
    const r = await this.db.query<TeamRow>('get team', `${SELECT_TEAMS} WHERE t.id = $1`, [id]);
    return r.rows[0] ? toTeam(r.rows[0]) : undefined;
  }

  async list(): Promise<Team[]> {
    const r = await this.db.query<TeamRow>('list teams', `${SELECT_TEAMS} ORDER BY t.id`);
    return r.rows.map(toTeam);
  }

  async rename(id: string, name: string): Promise<Team> {
    const r = await this.db.query('rename team', 'UPDATE teams SET name = $2 WHERE id = $1', [id, requireDisplayText('name', name)]);
    if (r.rowCount === 0) throw unknownTeam(id);
    return (await this.get(id))!;
  }

  /** Set (or with null, clear) the team's lead. Reviews already assigned keep their assignee. */
  async setLead(id: string, leadAgentId: string | null): Promise<Team> {
    await this.db.tx('set team lead', async (c) => {
      if (leadAgentId !== null) await mustHaveAgent(c, leadAgentId);
      const r = await c.query('UPDATE teams SET lead_agent_id = $2 WHERE id = $1', [id, leadAgentId]);
      if (r.rowCount === 0) throw unknownTeam(id);
    });
    return (await this.get(id))!;
  }

  /** Remove a team: its agents become team-less (their next reviews go to the supervisors' pool). */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.query('delete team', 'DELETE FROM teams WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Put an agent in a team, or with null take it out of its team. */
  async assignAgent(agentId: string, teamId: string | null): Promise<void> {
    await this.db.tx('assign agent to team', async (c) => {
      if (teamId !== null) {
        const t = await c.query('SELECT 1 FROM teams WHERE id = $1', [teamId]);
        if (t.rowCount === 0) throw unknownTeam(teamId);
      }
      const r = await c.query('UPDATE agents SET team_id = $2, updated_at = now() WHERE id = $1', [agentId, teamId]);
      if (r.rowCount === 0) throw unknownAgent(agentId);
    });
  }

  /** True when the agent leads at least one team (an agent token's right to the review list). */
  async isLead(agentId: string): Promise<boolean> {
    const r = await this.db.query('is team lead', 'SELECT 1 FROM teams WHERE lead_agent_id = $1 LIMIT 1', [agentId]);
    return (r.rowCount ?? 0) > 0;
  }
}
