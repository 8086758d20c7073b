import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_ROLES } from '../../store/pg/api-tokens.js';
import { principalOf } from '../auth.js';
import { commonErrors } from '../errors.js';

/**
 * Who the token belongs to: lets a script or the wallboard check its token and role. It touches nothing but the
 * authentication already done, which makes it the "empty authenticated route" `acd bench api` measures against.
 */
export function registerWhoamiRoute(root: FastifyInstance): void {
  root.withTypeProvider<ZodTypeProvider>().get('/api/whoami', {
    config: { roles: API_ROLES },
    schema: {
      tags: ['auth'],
      summary: 'The token\'s name, role and (agent tokens) agent or (provider tokens) provider',
      response: { 200: z.object({ name: z.string(), role: z.enum(API_ROLES), agentId: z.string().optional(), providerId: z.string().optional() }), ...commonErrors },
    },
  }, (req) => {
    const p = principalOf(req);
    return { name: p.name, role: p.role, ...(p.agentId ? { agentId: p.agentId } : {}), ...(p.providerId ? { providerId: p.providerId } : {}) };
  });
}
