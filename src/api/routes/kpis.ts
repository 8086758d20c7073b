import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENT_STATES } from '../../acd/model.js';
import { InvalidInputError } from '../../core/errors.js';
import type { LiveKpis, LiveKpiSource } from '../../kpi/types.js';
import type { ReportRepository } from '../../store/pg/reports.js';
import type { Clock } from '../../core/clock.js';
import { STAFF } from '../auth.js';
import { commonErrors } from '../errors.js';
import { instant } from '../schemas.js';

export interface KpiRoutesDeps {
  live: LiveKpiSource;
  reports: Pick<ReportRepository, 'queueKpis' | 'agentKpis'>;
  clock: Clock;
}

const rate = z.number().nullable().describe('fraction 0..1; null when nothing was counted');
const target = z.object({ fraction: z.number(), seconds: z.number() });

const liveQueue = z
  .object({
    queueId: z.string().describe("the queue's id, or '*' for the whole hotline"),
    waiting: z.number().int(),
    longestWaitSec: z.number(),
    offered: z.number().int(),
    answered: z.number().int(),
    abandoned: z.number().int(),
    answeredWithinTarget: z.number().int(),
    serviceLevel: rate,
    target,
    abandonRate: rate,
    answerRate: rate,
    asaSec: z.number().nullable(),
    attSec: z.number().nullable(),
    ahtSec: z.number().nullable().describe('talk + after-call work'),
    occupancy: rate.describe("hotline: (on-call + wrap-up) / (ready + reserved + ringing + on-call + wrap-up) of all agents; a queue: on-call + wrap-up time on its calls / that plus the ready, reserved and ringing time of its agents (an agent's idle time counts in each queue it serves)"),
    avgRings: z.number().nullable(),
    rona: z.number().int(),
    silent: z.number().int(),
    staffing: z.object({ required: z.number().int().nullable().describe('Erlang C for the window'), loggedIn: z.number().int(), ready: z.number().int() }),
  })
  .meta({ id: 'LiveQueueKpis' });

const liveKpis = z
  .object({
    at: z.number(),
    windowSec: z.number(),
    hotline: liveQueue,
    queues: z.array(liveQueue),
    agents: z.object({
      byState: z.partialRecord(z.enum(AGENT_STATES), z.number().int()),
      list: z
        .array(z.object({ agentId: z.string(), name: z.string().nullable(), state: z.enum(AGENT_STATES), reason: z.string().nullable(), since: z.number(), reachable: z.boolean() }))
        .optional()
        .describe('every logged-in agent with state, reason and since (time in state = at - since); only with ?agents=list'),
    }),
    alerts: z.array(z.object({ queueId: z.string(), kind: z.enum(['service-level', 'longest-wait', 'plan', 'reviews-overdue']), message: z.string(), count: z.number().int().optional().describe('reviews-overdue: how many') })),
    plan: z
      .object({ level: z.union([z.literal(0), z.literal(1), z.literal(2)]), since: z.number().nullable(), campaign: z.string().nullable().describe('name of the campaign running') })
      .optional()
      .describe('the peak-load emergency plan (GET /api/plan for the details)'),
  })
  .meta({ id: 'LiveKpis' });

const queueKpi = z
  .object({
    queueId: z.string(),
    intervalStart: z.number().describe('epoch ms'),
    offered: z.number().int(),
    answered: z.number().int(),
    abandoned: z.number().int(),
    answeredWithinTarget: z.number().int(),
    serviceLevel: rate,
    target,
    abandonRate: rate,
    answerRate: rate,
    asaSec: z.number().nullable(),
    attSec: z.number().nullable(),
    avgRings: z.number().nullable(),
    lateAnswers: z.number().int().describe('answered after more rings than the queue allows'),
  })
  .meta({ id: 'QueueKpi' });

const agentKpi = z
  .object({
    agentId: z.string(),
    name: z.string().nullable(),
    answered: z.number().int(),
    offers: z.number().int(),
    rona: z.number().int(),
    avgRings: z.number().nullable(),
    talkSec: z.number(),
    stateSec: z.partialRecord(z.enum(AGENT_STATES), z.number()),
    occupancy: rate,
  })
  .meta({ id: 'AgentKpi' });

const DAY_MS = 86_400_000;
const range = { from: instant.describe('epoch ms or ISO 8601'), to: instant.describe('epoch ms or ISO 8601, after from') };

/** A window the database answers quickly: `to` after `from`, at most `maxDays`. */
function window(q: { from: number; to: number }, maxDays: number): void {
  if (q.to <= q.from) throw new InvalidInputError('to', 'must be after from');
  if (q.to - q.from > maxDays * DAY_MS) throw new InvalidInputError('to', `at most ${maxDays} days after from`);
}

/** Live KPIs (Redis counters) and the reports per interval, agent and day (PostgreSQL): supervisors and admins. */
export function registerKpiRoutes(root: FastifyInstance, deps: KpiRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  // The body of the last reading served, per form: a reading is served many times (the source's reuse window), and
  // its checked, serialised JSON costs more than the reading's lookup; made once per reading. The per-agent list
  // (~200 KiB with 1,800 agents) comes only when asked for: a script polling the figures every second does not pay
  // for it, and the wallboard has it through its own stream.
  const lastBody = new Map<'summary' | 'list', { kpis: LiveKpis; json: string }>();
  app.get('/api/kpis/live', {
    config: { roles: STAFF },
    schema: {
      tags: ['kpis'],
      summary: 'Live KPIs over the sliding window, per queue and for the hotline; agents by state (and each agent with ?agents=list); alerts',
      querystring: z.object({ agents: z.enum(['summary', 'list']).default('summary').describe('list: also every logged-in agent with time in state') }),
      response: { 200: liveKpis, ...commonErrors },
    },
  }, async (req, reply) => {
    const kpis = await deps.live.live();
    const form = req.query.agents;
    let body = lastBody.get(form);
    if (body?.kpis !== kpis) {
      const shown = form === 'list' ? kpis : { ...kpis, agents: { byState: kpis.agents.byState } };
      body = { kpis, json: JSON.stringify(liveKpis.parse(shown)) };
      lastBody.set(form, body);
    }
    // A string body goes out as it is (fastify serialises only objects): the schema check above is the one it skips.
    return reply.type('application/json; charset=utf-8').send(body.json as unknown as LiveKpis);
  });

  app.get('/api/kpis/intervals', {
    config: { roles: STAFF },
    schema: {
      tags: ['kpis'],
      summary: 'Per queue and interval (15, 30 or 60 min, aligned to from), counted by when calls entered the queue',
      querystring: z.object({ ...range, interval: z.enum(['15', '30', '60']).default('30'), queue: z.string().min(1).max(64).optional() }),
      response: { 200: z.array(queueKpi), ...commonErrors },
    },
  }, async (req) => {
    const q = req.query;
    window(q, 31);
    const rows = await deps.reports.queueKpis(q.from, q.to, Number(q.interval));
    return q.queue === undefined ? rows : rows.filter((r) => r.queueId === q.queue);
  });

  app.get('/api/kpis/agents', {
    config: { roles: STAFF },
    schema: { tags: ['kpis'], summary: 'Per agent: answers, offers, RONAs, rings, talk time, time per state, occupancy', querystring: z.object(range), response: { 200: z.array(agentKpi), ...commonErrors } },
  }, async (req) => {
    window(req.query, 31);
    return deps.reports.agentKpis(req.query.from, req.query.to, deps.clock.now());
  });

  app.get('/api/kpis/daily', {
    config: { roles: STAFF },
    schema: { tags: ['kpis'], summary: 'Per queue and day (days start at from: pass a local midnight)', querystring: z.object(range), response: { 200: z.array(queueKpi), ...commonErrors } },
  }, async (req) => {
    window(req.query, 366);
    return deps.reports.queueKpis(req.query.from, req.query.to, 1440);
  });
}
