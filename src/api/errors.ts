import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HotlineError, isHotlineError } from '../core/errors.js';

/** Errors the API raises itself. Codes are stable: clients match on them. */
export type ApiErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'TOO_MANY_FAILURES'
  | 'NOT_FOUND'
  | 'NOT_HERE'
  | 'CALL_ENDED'
  | 'OWNER_UNREACHABLE'
  | 'UNKNOWN_QUEUE'
  | 'DEPENDENCY_TIMEOUT'
  | 'FLOW_INVALID';

export class ApiError extends HotlineError {
  declare readonly code: ApiErrorCode;
  constructor(
    readonly status: number,
    code: ApiErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }
}

/** The body of every error answer (documented once, used by every route's 4xx/5xx). */
export const errorBody = z
  .object({
    code: z.string().describe('stable error code, e.g. INVALID_INPUT, AGENT_BAD_TRANSITION, DEPENDENCY_TIMEOUT'),
    message: z.string(),
    field: z.string().optional().describe('for 400: the offending field, e.g. body.skills.0.level'),
  })
  .meta({ id: 'Error' });

/** Error answers every authenticated route may give. */
export const commonErrors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 429: errorBody, 503: errorBody } as const;

/**
 * Which HTTP status a typed error from below the API maps to. Codes not listed are bugs or unexpected states and
 * answer 500 with the code (never a stack).
 */
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_INPUT: 400,
  UNKNOWN_SKILL: 400,
  CONSTRAINT: 400,
  UNKNOWN_AGENT: 404,
  AGENT_UNKNOWN: 404,
  CALL_UNKNOWN: 404,
  UNKNOWN_QUEUE: 404,
  DUPLICATE: 409,
  // Teams and satisfaction reviews (src/reviews/errors.ts).
  UNKNOWN_TEAM: 404,
  REVIEW_UNKNOWN: 404,
  REVIEW_ALREADY_CLOSED: 409,
  // The ACD's state machine refused the change: 409 with its own code.
  AGENT_BAD_TRANSITION: 409,
  CALL_BAD_STATE: 409,
  CALL_DUPLICATE: 409,
  AGENT_STATE_REJECTED: 409,
  CALL_ENDED: 409,
  LEASE_EXPIRED: 409,
  // The peak-load plan refused a break or leave (src/plan/errors.ts).
  PLAN_BREAKS_SUSPENDED: 409,
  PLAN_LEAVE_REFUSED: 409,
  CALLBACK_UNKNOWN: 404,
  CALLBACK_FINISHED: 409,
  NO_CALENDAR: 503,
  // Work orders (src/workflow): unknown order, a change its status refuses, a complaint whose caller is not satisfied.
  WORK_ORDER_UNKNOWN: 404,
  WORK_ORDER_BAD_STATE: 409,
  COMPLAINT_NOT_SATISFIED: 409,
  FORBIDDEN: 403,
  PG_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  REDIS_UNAVAILABLE: 503,
};

/** ioredis reports a lost or refused connection with these (not typed errors). */
const REDIS_DOWN = [/Connection is closed/i, /ECONNREFUSED/, /Reached the max retries per request limit/i, /Stream isn't writeable/i];

/** `body.skills.0.level` from fastify's validation context and a zod path. */
function fieldOf(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  return [context, path].filter(Boolean).join('.');
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0]!;
      const field = fieldOf(err.validationContext, first.instancePath);
      return reply.code(400).send({ code: 'INVALID_INPUT', field, message: `${field}: ${first.message}` });
    }
    if (err.validation) {
      const first = err.validation[0];
      const field = fieldOf(err.validationContext, first?.instancePath ?? '');
      return reply.code(400).send({ code: 'INVALID_INPUT', field, message: `${field}: ${first?.message ?? err.message}` });
    }
    if (err instanceof ApiError) return reply.code(err.status).send({ code: err.code, message: err.message });
    if (isHotlineError(err)) {
      const status = STATUS_BY_CODE[err.code] ?? 500;
      const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
      if (status >= 500) req.log.error({ err }, 'request failed');
      return reply.code(status).send({ code: err.code, message: err.message, ...(field ? { field } : {}) });
    }
    if (REDIS_DOWN.some((re) => re.test(err.message))) {
      req.log.warn({ err }, 'Redis unavailable');
      return reply.code(503).send({ code: 'STORE_UNAVAILABLE', message: `Redis unavailable: ${err.message}` });
    }
    // fastify's own client errors (bad JSON, body too large, wrong content type) keep their 4xx status.
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ code: err.code ?? 'BAD_REQUEST', message: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error (logged)' });
  });
}

/**
 * A dependency (PostgreSQL, Redis) that does not answer must not hang a request: past `ms` the request answers
 * 503 DEPENDENCY_TIMEOUT. The work itself is not cancelled (a store operation is atomic and completes or not on
 * its own); its late result is still handled (the race keeps a handler on it), just no longer awaited.
 * `answering` says the response is already under way (a streamed export): then there is no hang to cut short.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string, answering: () => boolean = () => false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (!answering()) reject(new ApiError(503, 'DEPENDENCY_TIMEOUT', `${what}: PostgreSQL or Redis did not answer within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
