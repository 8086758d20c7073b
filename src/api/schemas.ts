import { z } from 'zod';
import { AGENT_STATES, NOT_READY_REASONS } from '../acd/model.js';

/** Shared pieces of the API's request and response schemas (zod; the OpenAPI document is generated from them). */

export const idParam = z.object({ id: z.string().min(1).max(200) });

export const skill = z.object({
  skill: z.string().min(1).max(64),
  level: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]).describe('1 (basic) .. 5 (expert)'),
  primary: z.boolean().default(true).describe('secondary skills take calls only once a queue overflows to them'),
});

export const agentRecord = z
  .object({
    id: z.string(),
    sipUsername: z.string(),
    name: z.string(),
    employeeNumber: z.string().nullable(),
    role: z.enum(['agent', 'supervisor']),
    realm: z.string(),
    active: z.boolean(),
    skills: z.array(skill),
    teamId: z.string().nullable().describe("the agent's team (its lead reviews the agent's dissatisfied calls)"),
  })
  .meta({ id: 'Agent' });

export const agentState = z
  .object({
    id: z.string(),
    state: z.enum(AGENT_STATES),
    reason: z.enum(NOT_READY_REASONS).optional(),
    since: z.number().describe('epoch ms the agent entered this state'),
    callId: z.string().optional(),
    afterCall: z.union([z.enum(NOT_READY_REASONS), z.literal('logout')]).optional().describe('pending "not ready after this call"'),
  })
  .meta({ id: 'AgentState' });

/** Paging for lists: `limit` (1-1000, default 100) and `offset`. */
export const page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

/** An instant as epoch milliseconds or an ISO 8601 time. */
export const instant = z.union([
  z.coerce.number().int().min(0),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);
