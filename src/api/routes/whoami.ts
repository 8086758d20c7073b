import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ALL_ROLES, principalOf } from '../auth.js';
import { commonErrors } from '../errors.js';

/**
 * Who the token belongs to: lets a script or the wallboard check its token and role. It touches nothing but the
 * authentication already done, which makes it the "empty authenticated route" `acd bench api` measures against.
 */
export function registerWhoamiRoute(root: FastifyInstance): void {
  root.withTypeProvider<ZodTypeProvider>().get('/api/whoami', {
    config: { roles: ALL_ROLES },
    schema: {
      tags: ['auth'],
      summary: 'The token\'s name, role and (agent tokens) agent',
      response: { 200: z.object({ name: z.string(), role: z.enum(ALL_ROLES), agentId: z.string().optional() }), ...commonErrors },
    },
  }, (req) => {
    const p = principalOf(req);
    return { name: p.name, role: p.role, ...(p.agentId ? { agentId: p.agentId } : {}) };
  });
}
