import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PRIORITIES, WORK_ORDER_FIELDS, WORK_ORDER_STATUSES } from '../../workflow/work-order-rules.js';
import type { ProviderRepository } from '../../workflow/providers.js';
import type { Actor, WorkOrderService } from '../../workflow/work-orders.js';
import { ALL_ROLES, principalOf, STAFF } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { idParam, instant, page } from '../schemas.js';

export interface WorkOrderRoutesDeps {
  service: Pick<WorkOrderService, 'create' | 'get' | 'list' | 'dispatch' | 'accept' | 'answer' | 'close' | 'complaintRate' | 'categories'>;
  providers: Pick<ProviderRepository, 'create' | 'list' | 'get' | 'update' | 'delete'>;
}

const TAG = ['work orders'];
/** Routes a provider token reaches too: seeing and accepting the orders dispatched to it. */
const WITH_PROVIDER = [...ALL_ROLES, 'provider'] as const;
const ms = z.number().nullable();

const workOrder = z
  .object({
    id: z.string(),
    callId: z.string(),
    category: z.string(),
    priority: z.enum(PRIORITIES),
    callerName: z.string().nullable(),
    address: z.string().nullable(),
    contactNumber: z.string().nullable(),
    need: z.string(),
    ownerAgentId: z.string().nullable().describe('first-contact responsibility: the agent who took the call owns the order'),
    createdBy: z.string(),
    createdAt: z.number(),
    status: z.enum(WORK_ORDER_STATUSES),
    providerId: z.string().nullable(),
    dispatchedAt: ms,
    dispatchedBy: z.string().nullable(),
    escalateAt: ms.describe('dispatch + the acceptance limit (WORK_ORDER_ACCEPT_MINUTES)'),
    escalated: z.boolean().describe('not accepted in time: chased (督办); cleared by a new dispatch'),
    escalatedAt: ms,
    acceptedAt: ms,
    acceptedBy: z.string().nullable(),
    answerDueAt: ms.describe('complaints: 1 working day on the hotline calendar'),
    overdue: z.boolean().describe('a complaint not answered by answerDueAt'),
    overdueAt: ms,
    answeredAt: ms,
    answeredBy: z.string().nullable(),
    answer: z.string().nullable(),
    closedAt: ms,
    closedBy: z.string().nullable(),
    callerSatisfied: z.boolean().nullable(),
    resolution: z.string().nullable(),
  })
  .meta({ id: 'WorkOrder' });

const provider = z
  .object({ id: z.string(), name: z.string(), contact: z.string().nullable(), webhookUrl: z.string().nullable(), active: z.boolean() })
  .meta({ id: 'Provider' });
const providerBody = z.object({
  name: z.string().trim().min(1).max(200),
  contact: z.string().max(200).nullable().optional(),
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2000).nullable().optional(),
  active: z.boolean().optional(),
});
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const text = (max: number) => z.string().max(max);

function actorOf(req: FastifyRequest): Actor {
  const p = principalOf(req);
  return { role: p.role, name: p.name, agentId: p.agentId, providerId: p.providerId };
}

/** Work orders (§7) and complaints (§6): one service, the same the CLI uses; providers they are dispatched to. */
export function registerWorkOrderRoutes(root: FastifyInstance, deps: WorkOrderRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const svc = deps.service;

  app.post('/api/work-orders', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'Record a work order taken on a call (an agent token: only for a call it handled or is handling)',
      description:
        'The call is a call record or a call live in the ACD (its record is written when it ends). Required fields depend on the category ' +
        '(GET /api/work-orders/categories); a missing one is 400 naming it (body.address). A `complaint` gets an answer deadline of 1 working day.',
      body: z.object({
        callId: z.string().min(1).max(200),
        category: z.string().min(1).max(32),
        priority: z.enum(PRIORITIES).optional(),
        callerName: text(100).optional(),
        address: text(500).optional(),
        contactNumber: text(32).optional(),
        need: text(4000).optional(),
      }),
      response: { 201: workOrder, ...commonErrors },
    },
  }, async (req, reply) => reply.code(201).send(await svc.create(actorOf(req), req.body)));

  app.get('/api/work-orders', {
    config: { roles: WITH_PROVIDER },
    schema: {
      tags: TAG,
      summary: 'Work orders, newest first (an agent: those it owns; a provider: those dispatched to it)',
      querystring: z.object({
        status: z.enum(WORK_ORDER_STATUSES).optional(),
        category: z.string().min(1).max(32).optional(),
        overdue: bool.optional(),
        escalated: bool.optional(),
        agent: z.string().min(1).max(64).optional().describe('owning agent'),
        call: z.string().min(1).max(200).optional().describe('call id'),
        provider: z.string().min(1).max(64).optional(),
        ...page,
      }),
      response: { 200: z.array(workOrder), ...commonErrors },
    },
  }, async (req) => {
    const q = req.query;
    return svc.list(actorOf(req), { status: q.status, category: q.category, overdue: q.overdue, escalated: q.escalated, agentId: q.agent, callId: q.call, providerId: q.provider }, { limit: q.limit, offset: q.offset });
  });

  app.get('/api/work-orders/categories', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'The categories (WORK_ORDER_CATEGORIES) and the fields each requires',
      response: { 200: z.array(z.object({ id: z.string(), requires: z.array(z.enum(WORK_ORDER_FIELDS)) })), ...commonErrors },
    },
  }, () => svc.categories().map((c) => ({ id: c.id, requires: [...c.requires] })));

  app.get('/api/work-orders/complaint-rate', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'Complaint rate (complaints / calls, target ≤ 0.1%) per day of 24 h from `from` (pass a local midnight)',
      querystring: z.object({ from: instant, to: instant }),
      response: {
        200: z.object({
          target: z.number(),
          days: z.array(z.object({ dayStart: z.number(), calls: z.number().int(), complaints: z.number().int(), rate: z.number().nullable() })),
          total: z.object({ calls: z.number().int(), complaints: z.number().int(), rate: z.number().nullable(), met: z.boolean().nullable() }),
        }),
        ...commonErrors,
      },
    },
  }, async (req) => svc.complaintRate(req.query.from, req.query.to));

  app.get('/api/work-orders/:id', {
    config: { roles: WITH_PROVIDER },
    schema: { tags: TAG, summary: 'One work order', params: idParam, response: { 200: workOrder, ...commonErrors } },
  }, async (req) => svc.get(actorOf(req), req.params.id));

  app.post('/api/work-orders/:id/dispatch', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'Assign to a provider; not accepted within WORK_ORDER_ACCEPT_MINUTES (30) it is escalated once (webhook work_order.escalated)',
      description: 'Staff or the owning agent. Again while not accepted: another provider, a new acceptance clock. 409 WORK_ORDER_BAD_STATE once accepted or closed.',
      params: idParam,
      body: z.object({ provider: z.string().min(1).max(64) }),
      response: { 200: workOrder, ...commonErrors },
    },
  }, async (req) => svc.dispatch(actorOf(req), req.params.id, req.body.provider));

  app.post('/api/work-orders/:id/accept', {
    config: { roles: [...STAFF, 'provider'] },
    schema: {
      tags: TAG,
      summary: 'The provider accepts the order (its provider token, or a supervisor on its behalf)',
      params: idParam,
      response: { 200: workOrder, ...commonErrors },
    },
  }, async (req) => svc.accept(actorOf(req), req.params.id));

  app.post('/api/work-orders/:id/answer', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'Record the answer given to the caller (a complaint: within 1 working day); again keeps the first time',
      params: idParam,
      body: z.object({ answer: z.string().min(1).max(4000) }),
      response: { 200: workOrder, ...commonErrors },
    },
  }, async (req) => svc.answer(actorOf(req), req.params.id, req.body.answer));

  app.post('/api/work-orders/:id/close', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'Close; a complaint only once answered and with callerSatisfied: true (409 COMPLAINT_NOT_SATISFIED otherwise)',
      params: idParam,
      body: z.object({ callerSatisfied: z.boolean().optional(), resolution: z.string().max(4000).optional() }),
      response: { 200: workOrder, ...commonErrors },
    },
  }, async (req) => svc.close(actorOf(req), req.params.id, req.body));

  app.get('/api/providers', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'Providers work orders are dispatched to', response: { 200: z.array(provider), ...commonErrors } },
  }, async () => deps.providers.list());

  app.post('/api/providers', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'Add a provider (a provider token for it: acd tokens create --role provider --provider <id>)',
      body: providerBody.extend({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ or -, at most 64') }),
      response: { 201: provider, ...commonErrors },
    },
  }, async (req, reply) => reply.code(201).send(await deps.providers.create(req.body.id, req.body)));

  app.get('/api/providers/:id', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'One provider', params: idParam, response: { 200: provider, ...commonErrors } },
  }, async (req) => {
    const p = await deps.providers.get(req.params.id);
    if (!p) throw new ApiError(404, 'NOT_FOUND', `no provider ${JSON.stringify(req.params.id)}`);
    return p;
  });

  app.put('/api/providers/:id', {
    config: { roles: STAFF },
    schema: { tags: TAG, summary: 'Replace a provider\'s details', params: idParam, body: providerBody, response: { 200: provider, ...commonErrors } },
  }, async (req) => {
    const p = await deps.providers.update(req.params.id, req.body);
    if (!p) throw new ApiError(404, 'NOT_FOUND', `no provider ${JSON.stringify(req.params.id)}`);
    return p;
  });

  app.delete('/api/providers/:id', {
    config: { roles: STAFF },
    schema: {
      tags: TAG,
      summary: 'Delete a provider; one with work orders or tokens is deactivated instead (its history stays)',
      params: idParam,
      response: { 200: z.object({ id: z.string(), outcome: z.enum(['deleted', 'deactivated']) }), ...commonErrors },
    },
  }, async (req) => {
    const outcome = await deps.providers.delete(req.params.id);
    if (outcome === 'unknown') throw new ApiError(404, 'NOT_FOUND', `no provider ${JSON.stringify(req.params.id)}`);
    return { id: req.params.id, outcome };
  });
}
