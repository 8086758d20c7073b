import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentSnapshot, Maybe } from '../../acd/store.js';
import { InvalidInputError } from '../../core/errors.js';
import type { PlanService } from '../../plan/service.js';
import { ALL_ROLES, assertMayActFor, principalOf, STAFF } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { idParam, instant } from '../schemas.js';

export interface PlanRoutesDeps {
  plan: Pick<PlanService, 'status' | 'history' | 'createCampaign' | 'listCampaigns' | 'deleteCampaign' | 'notices'>;
  acd: { agent(agentId: string): Maybe<AgentSnapshot | null> };
  exists(agentId: string): Promise<boolean>;
}

const TAG = ['peak plan'];
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const campaign = z.object({ id: z.string(), name: z.string(), from: z.string(), to: z.string() }).meta({ id: 'PlanCampaign' });
const toCampaign = (c: { id: string; name: string; from: number; to: number }): z.infer<typeof campaign> => ({ id: c.id, name: c.name, from: iso(c.from)!, to: iso(c.to)! });
const level = z.union([z.literal(0), z.literal(1), z.literal(2)]);
const planStatus = z
  .object({
    level: level.describe('0 none, 1 (>= 8 waiting sustained): breaks suspended, callbacks paused; 2 (>= 16): supervisors and every seat take calls'),
    since: z.string().nullable().describe('when the current level started (at 0: the last stand-down)'),
    scopes: z.record(z.string(), z.object({ level, since: z.string().nullable(), waiting: z.number().int(), peakWaiting: z.number().int() })).describe("'*' the whole hotline; a queue id for a queue with its own peakPlan"),
    campaign: campaign.nullable().describe('the campaign (planned peak) running now'),
    drafted: z.array(z.string()).describe('supervisors the plan made ready'),
    callbacks: z.object({ allowed: z.boolean(), maxSeats: z.number().int().nullable().describe('null: no limit from the plan') }),
  })
  .meta({ id: 'PlanStatus' });
const activation = z
  .object({ id: z.string(), scope: z.string(), level: z.number().int(), startedAt: z.string(), endedAt: z.string().nullable(), figures: z.record(z.string(), z.unknown()), endFigures: z.record(z.string(), z.unknown()).nullable() })
  .meta({ id: 'PlanActivation' });
const numericId = z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'a numeric id') });

/** The peak-load emergency plan (standard §5): its level, history, campaigns, and an agent's notices. */
export function registerPlanRoutes(root: FastifyInstance, deps: PlanRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get('/api/plan', {
    config: { roles: ALL_ROLES },
    schema: { tags: TAG, summary: 'Current plan level, per scope, since when, the campaign running, whether callbacks may run', response: { 200: planStatus, ...commonErrors } },
  }, async () => {
    const s = await deps.plan.status();
    return {
      level: s.level,
      since: iso(s.since),
      scopes: Object.fromEntries(Object.entries(s.scopes).map(([k, v]) => [k, { ...v, since: iso(v.since) }])),
      campaign: s.campaign ? toCampaign(s.campaign) : null,
      drafted: s.drafted,
      callbacks: { allowed: s.callbacks.allowed, maxSeats: Number.isFinite(s.callbacks.maxSeats) ? s.callbacks.maxSeats : null },
    };
  });

  app.get('/api/plan/history', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'Activations (one per level and scope) with their figures, newest first',
      querystring: z.object({ from: instant.optional(), to: instant.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: { 200: z.array(activation), ...commonErrors },
    },
  }, async (req) => deps.plan.history(req.query));

  app.post('/api/plan/campaigns', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'Declare a planned peak: no leave granted, at most PLAN_CAMPAIGN_CALLBACK_SEATS seats on callbacks',
      body: z.object({ name: z.string().trim().min(1).max(200), from: instant, to: instant }),
      response: { 201: campaign, ...commonErrors },
    },
  }, async (req, reply) => {
    if (!(req.body.to > req.body.from)) throw new InvalidInputError('body.to', 'must be after from');
    const c = await deps.plan.createCampaign({ ...req.body, createdBy: principalOf(req).name });
    return reply.code(201).send(toCampaign(c));
  });

  app.get('/api/plan/campaigns', {
    config: { roles: ALL_ROLES },
    schema: { tags: TAG, summary: 'Campaigns not yet over (all=true: every one)', querystring: z.object({ all: z.enum(['true', 'false']).default('false') }), response: { 200: z.array(campaign), ...commonErrors } },
  }, async (req) => (await deps.plan.listCampaigns(req.query.all === 'true')).map(toCampaign));

  app.delete('/api/plan/campaigns/:id', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'Delete a campaign', params: numericId, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    if (!(await deps.plan.deleteCampaign(req.params.id))) throw new ApiError(404, 'NOT_FOUND', `no campaign with id ${req.params.id}`);
    return reply.code(204).send(null);
  });

  app.get('/api/agents/:id/notices', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: "What the agent's client should show now: back to the queue (plan active and on a break), made ready by the plan, campaign running",
      params: idParam,
      response: { 200: z.array(z.object({ kind: z.enum(['return-to-queue', 'drafted', 'campaign']), level, message: z.string(), campaign: campaign.optional() })), ...commonErrors },
    },
  }, async (req) => {
    assertMayActFor(req, req.params.id);
    if (!(await deps.exists(req.params.id))) throw new ApiError(404, 'NOT_FOUND', `no agent with id ${JSON.stringify(req.params.id)}`);
    const notices = await deps.plan.notices(await deps.acd.agent(req.params.id));
    return notices.map((n) => ({ kind: n.kind, level: n.level, message: n.message, ...(n.campaign ? { campaign: toCampaign(n.campaign) } : {}) }));
  });
}
