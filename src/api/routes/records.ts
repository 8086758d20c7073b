import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CALLBACK_STATUSES } from '../../store/pg/callbacks.js';
import { DISPOSITIONS, HANGUP_PARTIES } from '../../store/pg/call-records.js';
import type { CallRecordFilter, RecordSearch } from '../../store/pg/search.js';
import { ALL_ROLES, principalOf, STAFF } from '../auth.js';
import { commonErrors } from '../errors.js';
import { instant, page } from '../schemas.js';

const filter = z.object({
  from: instant.optional().describe('arrival at or after (epoch ms or ISO 8601)'),
  to: instant.optional().describe('arrival before (epoch ms or ISO 8601)'),
  number: z.string().regex(/^\+?[0-9*#]{1,32}$/, 'digits, optionally with a leading +').optional().describe("caller's or dialled number"),
  agent: z.string().min(1).max(64).optional(),
  queue: z.string().min(1).max(64).optional(),
  disposition: z.enum(DISPOSITIONS).optional(),
});

const callRecord = z
  .object({
    callId: z.string(),
    instanceId: z.string().optional(),
    hotlineNumber: z.string().optional(),
    callerNumber: z.string().optional(),
    flowId: z.string().optional(),
    flowRevision: z.string().optional(),
    queueId: z.string().optional(),
    agentId: z.string().optional(),
    firstAgentId: z.string().optional(),
    stickyAgentId: z.string().optional(),
    priority: z.number().optional(),
    arrivalAt: z.number(),
    ivrExitAt: z.number().optional(),
    enqueueAt: z.number().optional(),
    answerAt: z.number().optional(),
    abandonAt: z.number().optional(),
    hangupAt: z.number().optional(),
    offers: z.number().optional(),
    missedAgents: z.array(z.string()).optional(),
    ringsToAnswer: z.number().optional(),
    whoHungUp: z.enum(HANGUP_PARTIES).optional(),
    disposition: z.enum(DISPOSITIONS),
    surveyRating: z.number().optional(),
    lateWhisper: z.boolean().optional(),
    recordingPath: z.string().optional(),
    transferTarget: z.string().optional(),
    failureReason: z.string().optional(),
  })
  .meta({ id: 'CallRecord' });

const callback = z
  .object({
    id: z.string(),
    callId: z.string().nullable(),
    requestedNumber: z.string(),
    queueId: z.string().nullable(),
    preferredAgentId: z.string().nullable(),
    status: z.enum(CALLBACK_STATUSES),
    attempts: z.number(),
    requestedAt: z.number(),
    dueAt: z.number(),
  })
  .meta({ id: 'Callback' });

/** The filter as the store takes it; an agent token is always limited to its own calls. */
function toFilter(req: FastifyRequest, q: z.infer<typeof filter>): CallRecordFilter {
  const p = principalOf(req);
  const agentId = p.role === 'agent' ? p.agentId! : q.agent;
  return {
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.number !== undefined ? { number: q.number } : {}),
    ...(agentId !== undefined ? { agentId } : {}),
    ...(q.queue !== undefined ? { queueId: q.queue } : {}),
    ...(q.disposition !== undefined ? { disposition: q.disposition } : {}),
  };
}

/** Call records (search, CSV export streamed from a cursor) and the callback list. */
export function registerRecordRoutes(root: FastifyInstance, deps: { search: RecordSearch; listCallbacks?: boolean }): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get('/api/call-records', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: ['call records'],
      summary: 'Search call records, newest first (an agent token: its own calls only)',
      querystring: filter.extend(page),
      response: { 200: z.array(callRecord), ...commonErrors },
    },
  }, async (req) => deps.search.callRecords(toFilter(req, req.query), { limit: req.query.limit, offset: req.query.offset }));

  app.get('/api/call-records.csv', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: ['call records'],
      summary: 'The same search as CSV, oldest first, streamed (not built in memory)',
      querystring: filter,
      produces: ['text/csv'],
      response: { 200: z.string().describe('CSV with a header line'), ...commonErrors },
    },
  }, async (req, reply) => {
    const stream = await deps.search.callRecordsCsv(toFilter(req, req.query));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="call-records.csv"')
      // A stream is piped as is (fastify serializes only objects); the schema documents the CSV text for OpenAPI.
      .send(stream as unknown as string);
  });

  // The callback service's routes (routes/callbacks.ts) replace this plain list when the server has the service.
  if (deps.listCallbacks === false) return;
  app.get('/api/callbacks', {
    config: { roles: STAFF },
    schema: {
      tags: ['callbacks'],
      summary: 'Callbacks, soonest due first',
      querystring: z.object({ status: z.enum(CALLBACK_STATUSES).optional(), queue: z.string().min(1).max(64).optional(), ...page }),
      response: { 200: z.array(callback), ...commonErrors },
    },
  }, async (req) =>
    deps.search.callbacks({ ...(req.query.status ? { status: req.query.status } : {}), ...(req.query.queue ? { queueId: req.query.queue } : {}) }, { limit: req.query.limit, offset: req.query.offset }),
  );
}
