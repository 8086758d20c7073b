import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallSnapshot, EnqueueResult, Maybe } from '../../acd/store.js';
import { isAcdError } from '../../acd/errors.js';
import { ALL_ROLES, STAFF, principalOf } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { idParam } from '../schemas.js';
import type { Clock } from '../../core/clock.js';

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
    /** The owner's lease (the store clock's ms; null: none), and the reaper's clean-up of expired owners' calls. */
    leaseUntil(instance: string): Maybe<number | null>;
    reap(): Maybe<{ removedCalls: string[] }>;
  };
  /** The store's clock (leases are stamped with it). */
  clock: Clock;
  /** Absent when this server relays no commands: a hang-up to a live owner then answers 503 OWNER_UNREACHABLE. */
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
      summary: 'Hang up a live call, on whichever instance carries it (202 once that instance has started ending it; 200 for an orphan, removed here)',
      description:
        'Decided by the owning instance\'s lease. Lease alive: the request is relayed to the owner, which ends the call through its one cleanup ' +
        'path (record disposition ended-by-operator; an answered call stays answered): 202 once it has started. Lease expired: the call is an ' +
        'orphan; it is removed at once through the reaper\'s path for a dead instance\'s calls (record written as failed, agent freed): 200 ' +
        '`removed: true`. 409 CALL_ENDED: the call already ended. 503 OWNER_UNREACHABLE with Retry-After (seconds left on the owner\'s ' +
        'lease): the lease is alive but the owner is not listening or did not answer within 2.5 s; by then the lease has run out or the owner is back.',
      params: idParam,
      response: {
        200: z.object({ callId: z.string(), ownerInstance: z.string(), removed: z.literal(true) }).describe("an orphan (its owner's lease expired), removed through the reaper's path"),
        202: z.object({ callId: z.string(), ownerInstance: z.string(), accepted: z.literal(true) }),
        ...commonErrors,
      },
    },
  }, async (req, reply) => {
    const p = principalOf(req);
    const c = await deps.acd.call(req.params.id);
    if (!c || (p.role === 'agent' && c.agentId !== p.agentId)) throw new ApiError(404, 'NOT_FOUND', `no live call ${JSON.stringify(req.params.id)}`);
    const lease = await deps.acd.leaseUntil(c.ownerInstance);
    if (lease === null || lease <= deps.clock.now()) {
      // The owner is dead by the rule every instance applies: reap now rather than at the next housekeeping round.
      await deps.acd.reap();
      if (!(await deps.acd.call(c.callId))) return reply.code(200).send({ callId: c.callId, ownerInstance: c.ownerInstance, removed: true as const });
      throw new ApiError(503, 'OWNER_UNREACHABLE', `instance ${c.ownerInstance}, which carries call ${c.callId}, holds no lease and its call could not be removed`);
    }
    const outcome = deps.commands ? await deps.commands.hangup(c.callId, c.ownerInstance) : 'unreachable';
    if (outcome === 'ended') throw new ApiError(409, 'CALL_ENDED', `call ${c.callId} has already ended`);
    if (outcome === 'unreachable' || outcome === 'timeout') {
      const left = Math.max(1, Math.ceil((lease - deps.clock.now()) / 1000));
      void reply.header('retry-after', String(left));
      const why = outcome === 'timeout' ? 'did not answer in time' : 'is not listening for commands';
      throw new ApiError(503, 'OWNER_UNREACHABLE', `instance ${c.ownerInstance}, which carries call ${c.callId}, ${why}; its lease runs ${left} s more`);
    }
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
