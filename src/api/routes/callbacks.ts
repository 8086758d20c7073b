import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallbackService } from '../../callbacks/service.js';
import { ATTEMPT_OUTCOMES, CALLBACK_SOURCES, CALLBACK_STATUSES, type Callback } from '../../store/pg/callbacks.js';
import { STAFF } from '../auth.js';
import { commonErrors } from '../errors.js';
import { page } from '../schemas.js';

export interface CallbackRoutesDeps {
  callbacks: Pick<CallbackService, 'request' | 'get' | 'list' | 'cancel' | 'attempts'>;
  now: () => number;
}

const callback = z
  .object({
    id: z.string(),
    callId: z.string().nullable(),
    requestedNumber: z.string(),
    queueId: z.string().nullable(),
    preferredAgentId: z.string().nullable(),
    status: z.enum(CALLBACK_STATUSES),
    attempts: z.number().describe('dials that reached the customer side (missed agent offers not counted)'),
    requestedAt: z.number(),
    dueAt: z.number().describe('the deadline (epoch ms): working days on the hotline calendar by reason'),
    reason: z.string().nullable(),
    source: z.enum(CALLBACK_SOURCES),
    note: z.string().nullable(),
    nextAttemptAt: z.number().describe('next dial not before (epoch ms)'),
    overdue: z.boolean().describe('open and past its deadline'),
    overdueAt: z.number().nullable().describe('when a sweep flagged it (and sent callback.overdue)'),
    outcome: z.string().nullable().describe('outcome of the last dial'),
    lastAttemptAt: z.number().nullable(),
    agentId: z.string().nullable(),
    completedAt: z.number().nullable(),
  })
  .meta({ id: 'CallbackTask' });

const attempt = z.object({ at: z.number(), agentId: z.string().nullable(), callId: z.string().nullable(), outcome: z.enum(ATTEMPT_OUTCOMES) });

const params = z.object({ id: z.string().regex(/^\d{1,18}$/, 'a callback id (digits)') });

/** Callback tasks: list (filters, overdue), one with its attempts, create, cancel. Same service as the CLI and IVR. */
export function registerCallbackRoutes(root: FastifyInstance, deps: CallbackRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const view = (c: Callback) => ({ ...c, overdue: (c.status === 'pending' || c.status === 'in-progress') && c.dueAt < deps.now() });

  app.get('/api/callbacks', {
    config: { roles: STAFF },
    schema: {
      tags: ['callbacks'],
      summary: 'Callback tasks, soonest deadline first',
      querystring: z.object({
        status: z.enum(CALLBACK_STATUSES).optional(),
        queue: z.string().min(1).max(64).optional(),
        source: z.enum(CALLBACK_SOURCES).optional(),
        overdue: z.enum(['true', 'false']).optional().describe('true: open tasks past their deadline; false: the others'),
        ...page,
      }),
      response: { 200: z.array(callback), ...commonErrors },
    },
  }, async (req) => {
    const q = req.query;
    const list = await deps.callbacks.list(
      {
        ...(q.status ? { status: q.status } : {}),
        ...(q.queue ? { queueId: q.queue } : {}),
        ...(q.source ? { source: q.source } : {}),
        ...(q.overdue ? { overdue: q.overdue === 'true' } : {}),
      },
      { limit: q.limit, offset: q.offset },
    );
    return list.map(view);
  });

  app.get('/api/callbacks/:id', {
    config: { roles: STAFF },
    schema: { tags: ['callbacks'], summary: 'One callback task with its attempts', params, response: { 200: callback.extend({ attemptLog: z.array(attempt) }), ...commonErrors } },
  }, async (req) => ({ ...view(await deps.callbacks.get(req.params.id)), attemptLog: await deps.callbacks.attempts(req.params.id) }));

  app.post('/api/callbacks', {
    config: { roles: STAFF },
    schema: {
      tags: ['callbacks'],
      summary: 'Create a callback task (deadline from the reason, on the hotline calendar)',
      body: z.object({
        number: z.string().regex(/^\+?[0-9]{3,20}$/, 'a phone number of 3 to 20 digits, optionally with a leading +'),
        reason: z.string().regex(/^[a-z0-9-]{1,40}$/, 'a reason like complaint, return-visit, after-hours').optional(),
        queue: z.string().min(1).max(64).optional(),
        preferredAgent: z.string().min(1).max(64).optional(),
        note: z.string().max(500).optional(),
      }),
      response: { 201: callback, ...commonErrors },
    },
  }, async (req, reply) => {
    const b = req.body;
    const cb = await deps.callbacks.request({
      number: b.number,
      source: 'api',
      ...(b.reason ? { reason: b.reason } : {}),
      ...(b.queue ? { queueId: b.queue } : {}),
      ...(b.preferredAgent ? { preferredAgentId: b.preferredAgent } : {}),
      ...(b.note ? { note: b.note } : {}),
    });
    return reply.code(201).send(view(cb));
  });

  app.post('/api/callbacks/:id/cancel', {
    config: { roles: STAFF },
    schema: { tags: ['callbacks'], summary: 'Cancel an open callback task', params, response: { 200: callback, ...commonErrors } },
  }, async (req) => view(await deps.callbacks.cancel(req.params.id)));
}
