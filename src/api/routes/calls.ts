import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallSnapshot, Maybe, StoreSnapshot } from '../../acd/store.js';
import { ALL_ROLES, principalOf } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { idParam } from '../schemas.js';

/** This instance's live calls (the telephony's call registry): only the instance carrying a call can end it. */
export interface LocalCalls {
  /** Hang the call up through its own cleanup path; false when the call is not carried here. */
  hangup(callId: string): Promise<boolean>;
}

export interface CallRoutesDeps {
  acd: { snapshot(): Maybe<StoreSnapshot>; call(callId: string): Maybe<CallSnapshot | null> };
  /** Absent when telephony is off: every hang-up is then NOT_HERE. */
  local?: LocalCalls | undefined;
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
    const snap = await deps.acd.snapshot();
    return snap.calls
      .filter((c) => (p.role !== 'agent' || c.agentId === p.agentId) && (!req.query.queue || c.queueId === req.query.queue) && (!req.query.state || c.state === req.query.state))
      .sort((a, b) => a.arrivedAt - b.arrivedAt || a.callId.localeCompare(b.callId))
      .map(view);
  });

  app.post('/api/calls/:id/hangup', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: ['calls'],
      summary: 'Hang up a live call carried by this instance (409 NOT_HERE for another instance\'s call)',
      params: idParam,
      response: { 200: z.object({ callId: z.string(), hungUp: z.literal(true) }), ...commonErrors },
    },
  }, async (req) => {
    const p = principalOf(req);
    const c = await deps.acd.call(req.params.id);
    if (!c || (p.role === 'agent' && c.agentId !== p.agentId)) throw new ApiError(404, 'NOT_FOUND', `no live call ${JSON.stringify(req.params.id)}`);
    if (!deps.local || !(await deps.local.hangup(c.callId))) {
      throw new ApiError(409, 'NOT_HERE', `call ${c.callId} is carried by instance ${c.ownerInstance}; send the request there`);
    }
    return { callId: c.callId, hungUp: true as const };
  });
}
