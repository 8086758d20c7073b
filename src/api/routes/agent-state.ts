import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NOT_READY_REASONS, type AfterCallRequest, type NotReadyReason } from '../../acd/model.js';
import type { AgentSnapshot, Maybe } from '../../acd/store.js';
import { ALL_ROLES, assertMayActFor } from '../auth.js';
import { ApiError, commonErrors } from '../errors.js';
import { agentState, idParam } from '../schemas.js';

/** The agent-state service the seats' feature codes use (src/call/agent-service.ts): one set of rules for both. */
export interface AgentStateService {
  login(agentId: string): Promise<void>;
  ready(agentId: string): Promise<void>;
  notReady(agentId: string, reason: NotReadyReason): Promise<void>;
  logout(agentId: string): Promise<void>;
  afterCall(agentId: string, next: AfterCallRequest | null): Promise<void>;
}

/** The ACD store operations the API adds on top (each validated by the store's state machine). */
export interface AgentStateStore {
  agent(agentId: string): Maybe<AgentSnapshot | null>;
  wrapUpDone(agentId: string): Maybe<unknown>;
}

export interface AgentStateDeps {
  service: AgentStateService;
  acd: AgentStateStore;
  /** Is this a provisioned agent (PostgreSQL)? Unknown ids answer 404, not an ACD error. */
  exists(agentId: string): Promise<boolean>;
}

const TAG = ['agent state'];
// The reasons an agent or supervisor may give; `missed` is the answer timer's (RONA), never requested.
const REQUESTABLE = NOT_READY_REASONS.filter((r) => r !== 'missed') as [NotReadyReason, ...NotReadyReason[]];

/**
 * Agent state: log in, ready, not ready with a reason, log out, end wrap-up, "not ready after this call". An
 * agent token reaches only its own agent. A change the ACD refuses answers 409 with the ACD's code.
 */
export function registerAgentStateRoutes(root: FastifyInstance, deps: AgentStateDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  const current = async (agentId: string): Promise<z.infer<typeof agentState>> => {
    const s = await deps.acd.agent(agentId);
    if (!s) return { id: agentId, state: 'logged-out', since: 0 };
    return {
      id: s.id,
      state: s.state,
      since: s.since,
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.callId ? { callId: s.callId } : {}),
      ...(s.afterCall ? { afterCall: s.afterCall } : {}),
    };
  };
  const guard = async (req: Parameters<typeof assertMayActFor>[0], agentId: string): Promise<void> => {
    assertMayActFor(req, agentId);
    if (!(await deps.exists(agentId))) throw new ApiError(404, 'NOT_FOUND', `no agent with id ${JSON.stringify(agentId)}`);
  };
  const opts = (summary: string, body?: z.ZodType) => ({
    config: { roles: ALL_ROLES },
    schema: { tags: TAG, summary, params: idParam, ...(body ? { body } : {}), response: { 200: agentState, ...commonErrors } },
  });

  app.get('/api/agents/:id/state', opts('Current ACD state'), async (req) => {
    await guard(req, req.params.id);
    return current(req.params.id);
  });

  app.post('/api/agents/:id/login', opts('Log in (not ready until ready)'), async (req) => {
    await guard(req, req.params.id);
    await deps.service.login(req.params.id);
    return current(req.params.id);
  });

  app.post('/api/agents/:id/ready', opts('Ready: may be offered a call at once'), async (req) => {
    await guard(req, req.params.id);
    await deps.service.ready(req.params.id);
    return current(req.params.id);
  });

  app.post('/api/agents/:id/not-ready', opts('Not ready, with a reason', z.object({ reason: z.enum(REQUESTABLE) })), async (req) => {
    await guard(req, req.params.id);
    await deps.service.notReady(req.params.id, (req.body as { reason: NotReadyReason }).reason);
    return current(req.params.id);
  });

  app.post('/api/agents/:id/logout', opts('Log out'), async (req) => {
    await guard(req, req.params.id);
    await deps.service.logout(req.params.id);
    return current(req.params.id);
  });

  app.post('/api/agents/:id/wrap-up-done', opts('End wrap-up now (409 AGENT_BAD_TRANSITION when not in wrap-up)'), async (req) => {
    await guard(req, req.params.id);
    await deps.acd.wrapUpDone(req.params.id);
    return current(req.params.id);
  });

  app.post(
    '/api/agents/:id/after-call',
    opts('"Not ready after this call": a reason or logout, applied when the call and wrap-up end; null cancels', z.object({ next: z.union([z.enum(REQUESTABLE), z.literal('logout')]).nullable() })),
    async (req) => {
      await guard(req, req.params.id);
      await deps.service.afterCall(req.params.id, (req.body as { next: AfterCallRequest | null }).next);
      return current(req.params.id);
    },
  );
}
