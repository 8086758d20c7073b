import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.js';
import type { WebhookRepository } from '../../webhooks/repository.js';
import { ADMIN } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';

export interface WebhookRoutesDeps {
  webhooks: Pick<WebhookRepository, 'create' | 'list' | 'delete' | 'deadLetters' | 'resend'>;
  clock: Clock;
}

const TAG = ['webhooks'];
const numericId = z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'a numeric id') });
const webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()).describe('event types delivered; empty: all'),
    description: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Webhook' });
const deadLetter = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    url: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    deadAt: z.string(),
  })
  .meta({ id: 'DeadLetter' });

/** Webhook subscriptions (admin): create (the signing secret is shown once), list, delete; dead letters and re-send. */
export function registerWebhookRoutes(root: FastifyInstance, deps: WebhookRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.post('/api/webhooks', {
    config: { roles: ADMIN },
    schema: {
      tags: TAG,
      summary: 'Subscribe a URL to ACD events; the answer carries the signing secret, shown this once',
      body: z.object({
        url: z.url({ protocol: /^https?$/ }).max(2000),
        events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length).default([]).describe('empty or absent: every event type'),
        description: z.string().min(1).max(200).optional(),
      }),
      response: { 201: webhook.extend({ secret: z.string().describe('HMAC-SHA256 key of X-Hotline-Signature; not shown again') }), ...commonErrors },
    },
  }, async (req, reply) => reply.code(201).send(await deps.webhooks.create(req.body)));

  app.get('/api/webhooks', {
    config: { roles: ADMIN },
    schema: { tags: TAG, summary: 'List subscriptions (never their secrets)', response: { 200: z.array(webhook), ...commonErrors } },
  }, async () => deps.webhooks.list());

  app.delete('/api/webhooks/:id', {
    config: { roles: ADMIN },
    schema: { tags: TAG, summary: 'Delete a subscription, its pending deliveries and its dead letters', params: numericId, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    if (!(await deps.webhooks.delete(req.params.id))) throw new ApiError(404, 'NOT_FOUND', `no webhook with id ${req.params.id}`);
    return reply.code(204).send(null);
  });

  app.get('/api/webhooks/dead-letters', {
    config: { roles: ADMIN },
    schema: {
      tags: TAG,
      summary: 'Deliveries given up after the last attempt, newest first',
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: { 200: z.array(deadLetter), ...commonErrors },
    },
  }, async (req) => deps.webhooks.deadLetters(req.query.limit));

  app.post('/api/webhooks/dead-letters/:id/resend', {
    config: { roles: ADMIN },
    schema: {
      tags: TAG,
      summary: 'Queue a dead letter again, with a fresh set of attempts',
      params: numericId,
      response: { 202: z.object({ id: z.string(), status: z.literal('pending') }), ...commonErrors },
    },
  }, async (req, reply) => {
    if (!(await deps.webhooks.resend(req.params.id, deps.clock.now()))) throw new ApiError(404, 'NOT_FOUND', `no dead letter with id ${req.params.id}`);
    return reply.code(202).send({ id: req.params.id, status: 'pending' as const });
  });
}
