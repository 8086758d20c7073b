import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReviewService } from '../../reviews/service.js';
import { REVIEW_STATES, type ReviewTask } from '../../store/pg/reviews.js';
import { ALL_ROLES, principalOf } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { instant, page } from '../schemas.js';

export interface ReviewRoutesDeps {
  reviews: ReviewService;
  /** Whether an agent leads a team: an agent token reaches the reviews only as a lead. */
  isLead: (agentId: string) => Promise<boolean>;
}

const TAG = ['reviews'];
const iso = z.string().describe('ISO 8601');
const review = z
  .object({
    id: z.string(),
    state: z.enum(REVIEW_STATES).describe('open: within its deadline; overdue: open past it; closed: outcome recorded'),
    callId: z.string().describe('the call record (GET /api/records/{callId})'),
    agentId: z.string().nullable(),
    teamId: z.string().nullable(),
    assigneeAgentId: z.string().nullable().describe("the team lead who reviews; null: the supervisors' pool"),
    rating: z.number().int(),
    callerNumber: z.string().nullable(),
    queueId: z.string().nullable(),
    flowId: z.string().nullable(),
    recordingPath: z.string().nullable().describe("the call's recording, when its queue records"),
    ratedAt: iso,
    dueAt: iso,
    overdueAt: iso.nullable(),
    listenedAt: iso.nullable(),
    agentAtFault: z.boolean().nullable(),
    note: z.string().nullable(),
    closedAt: iso.nullable(),
    closedBy: z.string().nullable(),
    apologyCallbackId: z.string().nullable().describe('agent at fault: the apology callback, due within 1 working day'),
    createdAt: iso,
  })
  .meta({ id: 'Review' });

const isoOf = (v: number | null) => (v === null ? null : new Date(v).toISOString());
const toApi = (t: ReviewTask) => ({
  ...t,
  ratedAt: new Date(t.ratedAt).toISOString(),
  dueAt: new Date(t.dueAt).toISOString(),
  overdueAt: isoOf(t.overdueAt),
  listenedAt: isoOf(t.listenedAt),
  closedAt: isoOf(t.closedAt),
  createdAt: new Date(t.createdAt).toISOString(),
});

const reviewId = z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'a numeric id') });

/**
 * Satisfaction reviews (standard §6). Supervisors and admins see and close every task; an agent token reaches them
 * only as a team lead, and then only the tasks assigned to it (a lead cannot close another lead's task, nor the pool's).
 */
export function registerReviewRoutes(root: FastifyInstance, deps: ReviewRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  /** The agent id an agent token is limited to (undefined for staff); 403 for an agent who leads no team. */
  const leadOnly = async (req: FastifyRequest): Promise<string | undefined> => {
    const p = principalOf(req);
    if (p.role !== 'agent') return undefined;
    if (!p.agentId || !(await deps.isLead(p.agentId))) throw new ApiError(403, 'FORBIDDEN', 'reviews are for team leads, supervisors and admins');
    return p.agentId;
  };
  const mustGet = async (req: FastifyRequest, id: string): Promise<ReviewTask> => {
    const own = await leadOnly(req);
    const t = await deps.reviews.get(id);
    if (!t) throw new ApiError(404, 'NOT_FOUND', `no review ${id}`);
    if (own !== undefined && t.assigneeAgentId !== own) throw new ApiError(403, 'FORBIDDEN', `review ${id} is not assigned to agent ${own}`);
    return t;
  };

  app.get('/api/reviews', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'Review tasks of dissatisfied calls, soonest deadline first (a lead: its own)',
      querystring: z.object({
        status: z.enum(REVIEW_STATES).optional(),
        assignee: z.string().min(1).max(64).optional().describe("an agent id, or `pool` for the supervisors' pool"),
        ...page,
      }),
      response: { 200: z.array(review), ...commonErrors },
    },
  }, async (req) => {
    const own = await leadOnly(req);
    const asked = req.query.assignee === undefined ? undefined : req.query.assignee === 'pool' ? null : req.query.assignee;
    if (own !== undefined && asked !== undefined && asked !== own) throw new ApiError(403, 'FORBIDDEN', `an agent token sees only the reviews assigned to agent ${own}`);
    const list = await deps.reviews.list({ state: req.query.status, assignee: own ?? asked, limit: req.query.limit, offset: req.query.offset });
    return list.map(toApi);
  });

  app.get('/api/reviews/:id', {
    config: { roles: ALL_ROLES },
    schema: { tags: TAG, summary: 'One review task', params: reviewId, response: { 200: review, ...commonErrors } },
  }, async (req) => toApi(await mustGet(req, req.params.id)));

  app.post('/api/reviews/:id/outcome', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: TAG,
      summary: 'Record the review\'s outcome and close it (agent at fault: an apology callback due in 1 working day)',
      description: 'Once per task: a second outcome answers 409 REVIEW_ALREADY_CLOSED.',
      params: reviewId,
      body: z.object({
        listenedAt: instant.optional().describe('when the lead listened to the recording'),
        agentAtFault: z.boolean(),
        note: z.string().min(1).max(2000),
      }),
      response: { 200: review, ...commonErrors },
    },
  }, async (req) => {
    await mustGet(req, req.params.id);
    const p = principalOf(req);
    const t = await deps.reviews.recordOutcome(req.params.id, {
      agentAtFault: req.body.agentAtFault,
      note: req.body.note,
      listenedAt: req.body.listenedAt,
      closedBy: p.agentId !== null ? `agent:${p.agentId}` : `${p.role}:${p.name}`,
    });
    return toApi(t);
  });
}
