import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import { FailureLimiter, type FailureLimiterOptions } from '../sip/failure-limiter.js';
import { hashToken, type ApiRole, type ApiToken } from '../store/pg/api-tokens.js';
import { ApiError, withDeadline } from './errors.js';

export interface TokenLookup {
  findByHash(sha256: string): Promise<ApiToken | undefined>;
}

/** Who is calling: set on every authenticated request. */
export interface Principal {
  tokenId: string;
  name: string;
  role: ApiRole;
  agentId: string | null;
  /** Provider tokens: the work-order provider it acts for. */
  providerId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; omitted means public (only /healthz, /metrics and the docs). */
    roles?: readonly ApiRole[];
    /** The route also takes the token as `?access_token=` (EventSource cannot send headers); logs redact it. */
    queryToken?: boolean;
  }
}

export interface AuthOptions {
  tokens: TokenLookup;
  clock: Clock;
  /** How long a verified token is trusted without asking PostgreSQL again (a revocation takes at most this long). */
  cacheMs: number;
  limiter: FailureLimiterOptions;
  dependencyTimeoutMs: number;
}

/**
 * Bearer-token authentication and role check, as an onRequest hook on the routes that declare `config.roles`.
 * Verified tokens are cached for `cacheMs` so a busy dashboard does not query PostgreSQL per request. Bad tokens
 * count as failures per client address (the SIP registrar's FailureLimiter): past the limit the address gets 429
 * without a lookup, so guessing tokens costs the attacker, not the database.
 */
export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const limiter = new FailureLimiter(opts.clock, opts.limiter);
  const cache = new Map<string, { principal: Principal; until: number }>();

  const verify = async (token: string): Promise<Principal | undefined> => {
    const hash = hashToken(token);
    const now = opts.clock.now();
    const hit = cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    cache.delete(hash);
    const t = await withDeadline(opts.tokens.findByHash(hash), opts.dependencyTimeoutMs, 'token check');
    if (!t) return undefined;
    const principal: Principal = { tokenId: t.id, name: t.name, role: t.role, agentId: t.agentId, providerId: t.providerId };
    // Bounded: entries expire, and a flood of distinct good tokens is impossible without as many tokens.
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { principal, until: now + opts.cacheMs });
    return principal;
  };

  app.addHook('onRequest', async (req: FastifyRequest) => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    const addr = req.ip;
    if (limiter.isBlocked(addr)) throw new ApiError(429, 'TOO_MANY_FAILURES', 'too many failed logins from this address; try again later');
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const fromQuery = req.routeOptions.config.queryToken ? (req.query as { access_token?: unknown } | undefined)?.access_token : undefined;
    const token = m ? m[1]! : typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
    const principal = token !== undefined ? await verify(token) : undefined;
    if (!principal) {
      limiter.recordFailure(addr);
      const missing = req.routeOptions.config.queryToken ? 'missing "Authorization: Bearer <token>" header or ?access_token=' : 'missing "Authorization: Bearer <token>" header';
      throw new ApiError(401, 'UNAUTHENTICATED', token !== undefined ? 'unknown or revoked token' : missing);
    }
    limiter.recordSuccess(addr);
    if (!roles.includes(principal.role)) throw new ApiError(403, 'FORBIDDEN', `this needs the role ${roles.join(' or ')} (token "${principal.name}" is ${principal.role})`);
    req.principal = principal;
  });
}

/** The caller's principal (set by the hook on every route with roles). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'UNAUTHENTICATED', 'not authenticated');
  return req.principal;
}

/** An agent token reaches only its own agent; admin and supervisor reach every agent. */
export function assertMayActFor(req: FastifyRequest, agentId: string): void {
  const p = principalOf(req);
  if (p.role === 'agent' && p.agentId !== agentId) throw new ApiError(403, 'FORBIDDEN', `an agent token may act only for agent ${p.agentId ?? '?'}`);
}

/** Every role but provider: a provider token reaches only the work-order routes that name it. */
export const ALL_ROLES = ['admin', 'supervisor', 'agent'] as const;
export const STAFF = ['admin', 'supervisor'] as const;
export const ADMIN = ['admin'] as const;
