import type { AfterCallRequest, NotReadyReason } from '../acd/model.js';
import type { PlanLevel, PlanTransition } from '../acd/peak-plan.js';
import type { AgentSnapshot } from '../acd/store.js';
import type { Logger } from '../core/logger.js';
import { REFUSED_AT_LEVEL } from './gate.js';

/** The agent-state service the API, the CLI and the seats share (src/call/agent-service.ts). */
export interface PlanAgentService {
  ready(agentId: string): Promise<void>;
  notReady(agentId: string, reason: NotReadyReason): Promise<void>;
  afterCall(agentId: string, next: AfterCallRequest | null): Promise<void>;
}

export interface PlanEffectPorts {
  service: PlanAgentService;
  /** Every agent the ACD knows (logged-out ones included or not: both are fine). */
  agents(): Promise<AgentSnapshot[]>;
  /** Ids of active agents with the supervisor role. */
  supervisors(): Promise<string[]>;
  drafted: { add(ids: readonly string[]): Promise<void>; list(): Promise<string[]>; remove(ids: readonly string[]): Promise<void> };
  log: Logger;
}

const HOLDING_CALL = new Set(['reserved', 'ringing', 'on-call', 'wrap-up']);

/**
 * What a transition does to the seats, through the one agent-state service. Idempotent: the evaluator runs it
 * again when an instance died between the effects and the PostgreSQL row.
 *  - Level 1 or 2 starts: nothing is forced; agents on a refused reason are listed (the webhook carries them; their
 *    clients see a notice at GET /api/agents/{id}/notices until they are back).
 *  - Level 2 starts: logged-in supervisors who are not ready are made ready (and remembered as drafted).
 *  - The plan drops below level 2 (`overall` after the tick): drafted supervisors who are still ready go back to
 *    not-ready (`other`); one holding a call goes not-ready after it ("not ready after this call").
 * Returns the figures to add to the row and the webhook.
 */
export async function applyPlanEffects(p: PlanEffectPorts, t: PlanTransition, overall: PlanLevel): Promise<Record<string, unknown>> {
  if (t.type === 'activated') {
    const agents = await p.agents();
    const level = Math.max(overall, t.level) as 1 | 2;
    const askedBack = agents.filter((a) => a.state === 'not-ready' && a.reason && REFUSED_AT_LEVEL[level].includes(a.reason)).map((a) => a.id);
    if (t.level < 2) return { agentsAskedBack: askedBack };
    const sup = new Set(await p.supervisors());
    const drafted: string[] = [];
    for (const a of agents) {
      if (!sup.has(a.id) || a.state !== 'not-ready') continue;
      try {
        await p.service.ready(a.id);
        drafted.push(a.id);
      } catch (err) {
        p.log.warn({ err, agentId: a.id }, 'peak plan: supervisor could not be made ready');
      }
    }
    await p.drafted.add(drafted);
    if (drafted.length > 0) p.log.info({ drafted, scope: t.scope }, 'peak plan level 2: supervisors made ready');
    return { agentsAskedBack: askedBack.filter((id) => !drafted.includes(id)), supervisorsMadeReady: drafted };
  }
  if (overall >= 2) return {};
  const ids = await p.drafted.list();
  if (ids.length === 0) return {};
  const byId = new Map((await p.agents()).map((a) => [a.id, a]));
  const released: string[] = [];
  const afterCall: string[] = [];
  for (const id of ids) {
    const a = byId.get(id);
    try {
      if (a?.state === 'ready') {
        await p.service.notReady(id, 'other');
        released.push(id);
      } else if (a && HOLDING_CALL.has(a.state)) {
        await p.service.afterCall(id, 'other');
        afterCall.push(id);
      }
    } catch (err) {
      p.log.warn({ err, agentId: id }, 'peak plan: drafted supervisor could not be released');
    }
  }
  await p.drafted.remove(ids);
  return { supervisorsReleased: released, supervisorsReleasedAfterCall: afterCall };
}
