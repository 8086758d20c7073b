import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentRepository } from '../../store/pg/agents.js';
import type { TeamRepository } from '../../store/pg/teams.js';
import { STAFF } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { agentRecord, idParam } from '../schemas.js';

export interface TeamRoutesDeps {
  /** The same repository `acd teams` uses. */
  teams: TeamRepository;
  agents: AgentRepository;
}

const TAG = ['teams'];
const team = z
  .object({
    id: z.string(),
    name: z.string(),
    leadAgentId: z.string().nullable().describe("the lead reviews the team's dissatisfied calls; null: the supervisors' pool does"),
    members: z.array(z.string()).describe('agent ids'),
  })
  .meta({ id: 'Team' });
const teamId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)');

/** Teams and leads (admin and supervisor): CRUD, the lead, and an agent's team. */
export function registerTeamRoutes(root: FastifyInstance, deps: TeamRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const mustGet = async (id: string) => {
    const t = await deps.teams.get(id);
    if (!t) throw new ApiError(404, 'NOT_FOUND', `no team ${JSON.stringify(id)}`);
    return t;
  };

  app.get('/api/teams', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'List teams with their leads and members', response: { 200: z.array(team), ...commonErrors } },
  }, () => deps.teams.list());

  app.get('/api/teams/:id', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'One team', params: idParam, response: { 200: team, ...commonErrors } },
  }, (req) => mustGet(req.params.id));

  app.post('/api/teams', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'Create a team (optionally with its lead)',
      body: z.object({ id: teamId, name: z.string().min(1).max(200), leadAgentId: z.string().min(1).max(64).nullable().optional() }),
      response: { 201: team, ...commonErrors },
    },
  }, async (req, reply) => reply.code(201).send(await deps.teams.create(req.body)));

  app.patch('/api/teams/:id', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: "Rename a team or change its lead (null: no lead; its new reviews go to the supervisors' pool)",
      params: idParam,
      body: z.object({ name: z.string().min(1).max(200).optional(), leadAgentId: z.string().min(1).max(64).nullable().optional() }),
      response: { 200: team, ...commonErrors },
    },
  }, async (req) => {
    await mustGet(req.params.id);
    if (req.body.name !== undefined) await deps.teams.rename(req.params.id, req.body.name);
    if (req.body.leadAgentId !== undefined) await deps.teams.setLead(req.params.id, req.body.leadAgentId);
    return mustGet(req.params.id);
  });

  app.delete('/api/teams/:id', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'Delete a team (its agents become team-less)', params: idParam, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    if (!(await deps.teams.delete(req.params.id))) throw new ApiError(404, 'NOT_FOUND', `no team ${JSON.stringify(req.params.id)}`);
    return reply.code(204).send(null);
  });

  app.put('/api/agents/:id/team', {
    config: { roles: STAFF },
    schema: {
      tags: ['agents'],
      summary: "Put a seat in a team (null: no team)",
      params: idParam,
      body: z.object({ teamId: teamId.nullable() }),
      response: { 200: agentRecord, ...commonErrors },
    },
  }, async (req) => {
    await deps.teams.assignAgent(req.params.id, req.body.teamId);
    return (await deps.agents.get(req.params.id))!;
  });
}
