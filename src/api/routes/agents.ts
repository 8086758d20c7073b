import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentRepository } from '../../store/pg/agents.js';
import { ADMIN, assertMayActFor, STAFF, ALL_ROLES } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { agentRecord, idParam, skill } from '../schemas.js';

export interface AgentRoutesDeps {
  /** The same repository `acd agents` uses: one set of rules for seats, whether from the CLI or the API. */
  agents: AgentRepository;
  /** Digest realm of new seats when the request names none (SIP_DOMAIN). */
  defaultRealm: string;
}

const TAG = ['agents'];

/** Agents (seats): list, create, skills, activate, deactivate, reset SIP password. */
export function registerAgentRoutes(root: FastifyInstance, deps: AgentRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const mustGet = async (id: string) => {
    const a = await deps.agents.get(id);
    if (!a) throw new ApiError(404, 'NOT_FOUND', `no agent with id ${JSON.stringify(id)}`);
    return a;
  };

  app.get('/api/agents', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'List seats (never credentials)',
      querystring: z.object({ active: z.enum(['true', 'false']).optional().describe('true: only active seats') }),
      response: { 200: z.array(agentRecord), ...commonErrors },
    },
  }, async (req) => deps.agents.list({ activeOnly: req.query.active === 'true' }));

  app.get('/api/agents/:id', {
    config: { roles: ALL_ROLES },
    schema: { tags: TAG, summary: 'One seat (an agent token: only its own)', params: idParam, response: { 200: agentRecord, ...commonErrors } },
  }, async (req) => {
    assertMayActFor(req, req.params.id);
    return mustGet(req.params.id);
  });

  app.post('/api/agents', {
    config: { roles: ADMIN },
    schema: {
      tags: TAG,
      summary: 'Create a seat (the SIP password is stored only as digest HA1)',
      body: z.object({
        sipUsername: z.string().regex(/^[A-Za-z0-9._~+-]{1,64}$/, 'letters, digits and . _ ~ + - (1 to 64)'),
        name: z.string().min(1).max(200),
        id: z.string().min(1).max(64).optional().describe('ACD id (default: the SIP username)'),
        employeeNumber: z.string().min(1).max(64).optional(),
        role: z.enum(['agent', 'supervisor']).default('agent'),
        password: z.string().min(8).max(128),
        realm: z.string().min(1).max(200).optional(),
        skills: z.array(skill).default([]),
        createSkills: z.boolean().default(false).describe('create skills that do not exist yet instead of refusing them'),
      }),
      response: { 201: agentRecord, ...commonErrors },
    },
  }, async (req, reply) => {
    const b = req.body;
    const a = await deps.agents.create(
      {
        sipUsername: b.sipUsername,
        name: b.name,
        role: b.role,
        password: b.password,
        realm: b.realm ?? deps.defaultRealm,
        skills: b.skills,
        ...(b.id !== undefined ? { id: b.id } : {}),
        ...(b.employeeNumber !== undefined ? { employeeNumber: b.employeeNumber } : {}),
      },
      { createMissingSkills: b.createSkills },
    );
    return reply.code(201).send(a);
  });

  app.put('/api/agents/:id/skills', {
    config: { roles: ADMIN },
    schema: {
      tags: TAG,
      summary: "Replace a seat's skills (the ACD applies them at the agent's next log-in)",
      params: idParam,
      body: z.object({ skills: z.array(skill), createSkills: z.boolean().default(false) }),
      response: { 200: agentRecord, ...commonErrors },
    },
  }, async (req) => {
    await deps.agents.setSkills(req.params.id, req.body.skills, { createMissingSkills: req.body.createSkills });
    return mustGet(req.params.id);
  });

  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    app.post(`/api/agents/:id/${action}`, {
      config: { roles: ADMIN },
      schema: {
        tags: TAG,
        summary: active ? 'Allow the seat to register again' : 'Stop the seat registering (history is kept)',
        params: idParam,
        response: { 200: agentRecord, ...commonErrors },
      },
    }, async (req) => {
      await deps.agents.setActive(req.params.id, active);
      return mustGet(req.params.id);
    });
  }

  app.post('/api/agents/:id/password', {
    config: { roles: ADMIN },
    schema: {
      tags: TAG,
      summary: 'Reset the SIP password: the one given, or a generated one returned once',
      params: idParam,
      body: z.object({ password: z.string().min(8).max(128).optional(), realm: z.string().min(1).max(200).optional() }).default({}),
      response: { 200: z.object({ id: z.string(), password: z.string().optional().describe('only when generated: shown this once') }), ...commonErrors },
    },
  }, async (req) => {
    const generated = req.body.password === undefined ? randomBytes(12).toString('base64url') : undefined;
    await deps.agents.setPassword(req.params.id, req.body.password ?? generated!, req.body.realm);
    return { id: req.params.id, ...(generated ? { password: generated } : {}) };
  });
}
