import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROUTING_POLICIES, type QueueDefinition } from '../../acd/model.js';
import type { Maybe } from '../../acd/store.js';
import { ALL_ROLES } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { idParam } from '../schemas.js';

export interface QueueRoutesDeps {
  /** The last good queues.yaml (the flow registry). */
  queues(): QueueDefinition[] | undefined;
  queueLength(queueId: string): Maybe<number>;
}

const queue = z
  .object({
    id: z.string(),
    name: z.string(),
    requiredSkills: z.array(z.object({ skill: z.string(), minLevel: z.number().int() })),
    priority: z.number(),
    policy: z.enum(ROUTING_POLICIES),
    overflow: z.object({ secondaryAfterSec: z.number().optional(), toQueue: z.string().optional(), queueAfterSec: z.number().optional() }),
    serviceLevel: z.object({ fraction: z.number(), seconds: z.number() }),
    wrapUpSec: z.number(),
    answerRings: z.number().int(),
    stickyAgentSec: z.number(),
    maxWaitSec: z.number(),
    telephony: z
      .object({ silentCall: z.boolean().optional(), lateWhisper: z.boolean().optional(), record: z.boolean().optional(), releaseMedia: z.boolean().optional() })
      .optional()
      .describe('queues.yaml `telephony:`; options left out follow SILENT_CALL_QUEUES, LATE_WHISPER_QUEUES, RECORD_QUEUES, MEDIA_RELEASE_QUEUES'),
    waiting: z.number().int().describe('calls waiting now (Redis)'),
  })
  .meta({ id: 'Queue' });

/** Queues as queues.yaml defines them (edit them through /api/flows/files), with their waiting calls. */
export function registerQueueRoutes(root: FastifyInstance, deps: QueueRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const view = async (q: QueueDefinition) => ({ ...q, waiting: await deps.queueLength(q.id) });

  app.get('/api/queues', {
    config: { roles: ALL_ROLES },
    schema: { tags: ['queues'], summary: 'Queues with their calls waiting', response: { 200: z.array(queue), ...commonErrors } },
  }, async () => Promise.all((deps.queues() ?? []).map(view)));

  app.get('/api/queues/:id', {
    config: { roles: ALL_ROLES },
    schema: { tags: ['queues'], summary: 'One queue', params: idParam, response: { 200: queue, ...commonErrors } },
  }, async (req) => {
    const q = (deps.queues() ?? []).find((x) => x.id === req.params.id);
    if (!q) throw new ApiError(404, 'NOT_FOUND', `no queue ${JSON.stringify(req.params.id)} in queues.yaml`);
    return view(q);
  });
}
