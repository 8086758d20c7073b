import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallSnapshot, EnqueueResult, Maybe } from '../../acd/store.js';
import { isAcdError } from '../../acd/errors.js';
import { ALL_ROLES, STAFF, principalOf } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { idParam } from '../schemas.js';

/**
 * Operator commands to the instance carrying a call (src/store/redis/call-commands.ts): only that instance holds the
 * call's dialogs and media, so it alone can end it, through the call's one cleanup path.
 */
export interface CallCommands {
  /** accepted: the owner is ending it; ended: no longer carried; unreachable: owner not listening; timeout. */
  hangup(callId: string, ownerInstance: string): Promise<'accepted' | 'ended' | 'unreachable' | 'timeout'>;
}

export interface CallRoutesDeps {
  acd: {
    call(callId: string): Maybe<CallSnapshot | null>;
    liveCalls(): Maybe<CallSnapshot[]>;
    moveCall(callId: string, queueId: string): Maybe<EnqueueResult>;
  };
  /** Absent when this server relays no commands: a hang-up then answers 503 OWNER_UNREACHABLE. */
  commands?: CallCommands | undefined;
}

const call = z
  .object({
    callId: z.string(),
    queueId: z.string(),
    state: z.enum(['waiting', 'offered', 'on-call']),
    priority: z.number(),
    callerNumber: z.string(),
    ownerInstance: z.string().describe('the app instance carrying the call'),
    arrivedAt: z.number(),
    agentId: z.string().optional(),
  })
  .meta({ id: 'LiveCall' });

const view = (c: CallSnapshot): z.infer<typeof call> => ({
  callId: c.callId,
  queueId: c.queueId,
  state: c.state,
  priority: c.priority,
  callerNumber: c.callerNumber,
  ownerInstance: c.ownerInstance,
  arrivedAt: c.arrivedAt,
  ...(c.agentId ? { agentId: c.agentId } : {}),
});

/** Live calls in the ACD (every instance's): list, hang up. An agent token sees only its own calls. */
export function registerCallRoutes(root: FastifyInstance, deps: CallRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get('/api/calls', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: ['calls'],
      summary: 'Live calls with state and queue, oldest first',
      querystring: z.object({ queue: z.string().optional(), state: z.enum(['waiting', 'offered', 'on-call']).optional() }),
      response: { 200: z.array(call), ...commonErrors },
    },
  }, async (req) => {
    const p = principalOf(req);
    // The calls alone (per-instance indexes), not a snapshot of every agent: this list is polled by views.
    const calls = await deps.acd.liveCalls();
    return calls
      .filter((c) => (p.role !== 'agent' || c.agentId === p.agentId) && (!req.query.queue || c.queueId === req.query.queue) && (!req.query.state || c.state === req.query.state))
      .sort((a, b) => a.arrivedAt - b.arrivedAt || a.callId.localeCompare(b.callId))
      .map(view);
  });

  app.post('/api/calls/:id/hangup', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: ['calls'],
      summary: 'Hang up a live call, on whichever instance carries it (202 once that instance has started ending it)',
      description:
        'The request is relayed to the owning instance, which ends the call through its one cleanup path (record disposition ended-by-operator; ' +
        'an answered call stays answered). 409 CALL_ENDED: the call already ended. 503 OWNER_UNREACHABLE / OWNER_TIMEOUT: the owning ' +
        'instance is not listening or did not answer within 2.5 s (a dead instance\'s calls are removed by the reaper).',
      params: idParam,
      response: { 202: z.object({ callId: z.string(), ownerInstance: z.string(), accepted: z.literal(true) }), ...commonErrors },
    },
  }, async (req, reply) => {
    const p = principalOf(req);
    const c = await deps.acd.call(req.params.id);
    if (!c || (p.role === 'agent' && c.agentId !== p.agentId)) throw new ApiError(404, 'NOT_FOUND', `no live call ${JSON.stringify(req.params.id)}`);
    const outcome = deps.commands ? await deps.commands.hangup(c.callId, c.ownerInstance) : 'unreachable';
    if (outcome === 'ended') throw new ApiError(409, 'CALL_ENDED', `call ${c.callId} has already ended`);
    if (outcome === 'unreachable') throw new ApiError(503, 'OWNER_UNREACHABLE', `instance ${c.ownerInstance}, which carries call ${c.callId}, is not listening for commands`);
    if (outcome === 'timeout') throw new ApiError(503, 'OWNER_TIMEOUT', `instance ${c.ownerInstance}, which carries call ${c.callId}, did not answer in time`);
    return reply.code(202).send({ callId: c.callId, ownerInstance: c.ownerInstance, accepted: true as const });
  });

  app.post('/api/calls/:id/move', {
    config: { roles: STAFF },
    schema: {
      tags: ['calls'],
      summary: 'Move a waiting call to another queue, keeping its arrival time (its place among callers who came before and after it)',
      description:
        '409 CALL_BAD_STATE when the call is not waiting (offered, ringing or on a call); 409 UNKNOWN_QUEUE when the target queue is ' +
        'unknown or retired. The caller keeps hearing its queue announcements, now for the new queue.',
      params: idParam,
      body: z.object({ queue: z.string().min(1).max(64) }),
      response: {
        200: z.object({
          callId: z.string(),
          queueId: z.string(),
          status: z.enum(['queued', 'offered']),
          position: z.number().int().optional(),
          length: z.number().int().optional(),
          agentId: z.string().optional(),
        }),
        ...commonErrors,
      },
    },
  }, async (req) => {
    const callId = req.params.id;
    let r: EnqueueResult;
    try {
      r = await deps.acd.moveCall(callId, req.body.queue);
    } catch (err) {
      if (isAcdError(err, 'CALL_UNKNOWN')) throw new ApiError(404, 'NOT_FOUND', `no live call ${JSON.stringify(callId)}`);
      // The target is a field of the request, not the resource: a queue closed to calls is a refused change.
      if (isAcdError(err, 'UNKNOWN_QUEUE')) throw new ApiError(409, 'UNKNOWN_QUEUE', `queue ${JSON.stringify(req.body.queue)} is unknown or retired`);
      throw err;
    }
    return r.status === 'offered'
      ? { callId, queueId: req.body.queue, status: 'offered' as const, agentId: r.offer.agentId }
      : { callId, queueId: req.body.queue, status: 'queued' as const, position: r.position, length: r.length };
  });
}
