import type { Command } from 'commander';
import { NOT_READY_REASONS, type NotReadyReason } from '../acd/model.js';
import type { AgentSnapshot } from '../acd/store.js';
import { AgentService, type AgentControl, type AgentServiceOptions } from '../call/agent-service.js';
import { PlanGate } from '../plan/gate.js';
import { RedisPlanStore } from '../store/redis/plan-store.js';
import { describeRedis, redisTopology, type Config } from '../config/index.js';
import { HotlineError, InvalidInputError } from '../core/errors.js';
import { SystemClock } from '../core/clock.js';
import type { AgentRepository } from '../store/pg/agents.js';
import { StoreError } from '../store/pg/errors.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import type { RedisClient } from '../store/redis/client.js';
import { connectAcdRedis } from '../store/redis/connection.js';

/**
 * `acd agents state <username> [ready|not-ready|logout]`: an agent's ACD state from the command line, for a
 * newcomer without a seat that can dial *1, or an admin. It goes through the same AgentService and Redis store as
 * the seats' feature codes, so the same rules apply (e.g. an agent on a call cannot be made ready), and an offer
 * that "ready" makes reaches the instance owning the waiting call through its inbox.
 */
export const STATE_CHANGES = ['ready', 'not-ready', 'logout'] as const;
export type StateChange = (typeof STATE_CHANGES)[number];
/** What a person may give as a not-ready reason ("after-call" and "missed" are the ACD's own). */
export const CLI_REASONS = NOT_READY_REASONS.filter((r) => r !== 'after-call' && r !== 'missed');

export interface AgentStateDeps {
  store: AgentControl;
  agents: Pick<AgentRepository, 'getByUsername'>;
  /** The peak-load plan's gate: a break refused while the plan is active (as from the seat and the API). */
  plan?: AgentServiceOptions['plan'];
}

/** Applies `change` (or only reads, without one) and returns the state the ACD holds afterwards. */
export async function agentState(deps: AgentStateDeps, username: string, change?: string, reason = 'other'): Promise<AgentSnapshot | null> {
  if (change !== undefined && !(STATE_CHANGES as readonly string[]).includes(change)) {
    throw new InvalidInputError('state', `must be one of ${STATE_CHANGES.join(', ')} (got ${JSON.stringify(change)})`);
  }
  if (change === 'not-ready' && !(CLI_REASONS as readonly string[]).includes(reason)) {
    throw new InvalidInputError('--reason', `must be one of ${CLI_REASONS.join(', ')} (got ${JSON.stringify(reason)})`);
  }
  const seat = await deps.agents.getByUsername(username);
  if (!seat) throw new StoreError('UNKNOWN_AGENT', `no seat with SIP username ${JSON.stringify(username)}`, { username });
  if (change !== undefined && !seat.active) throw new InvalidInputError('username', `${username} is deactivated (acd agents activate ${username})`);
  const service = new AgentService(deps.store, {
    profile: (id) => Promise.resolve(id === seat.id ? { id: seat.id, name: seat.name, skills: seat.skills } : undefined),
  }, deps.plan ? { plan: deps.plan } : {});
  if (change === 'ready') await service.ready(seat.id);
  else if (change === 'not-ready') await service.notReady(seat.id, reason as NotReadyReason);
  else if (change === 'logout') await service.logout(seat.id);
  return deps.store.agent(seat.id);
}

export function describeState(username: string, s: AgentSnapshot | null): string {
  if (!s) return `${username}: logged-out`;
  return `${username}: ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.callId ? `, call ${s.callId}` : ''}`;
}

/** Redis for one command: a one-line error naming host and port (never the URL, which may hold a password). */
async function openRedis(config: Config): Promise<RedisClient> {
  const target = redisTopology(config);
  try {
    return await connectAcdRedis(target, { retryStrategy: () => null });
  } catch (e) {
    throw new HotlineError('REDIS_UNREACHABLE', `cannot connect to ${describeRedis(target)}: ${(e as Error).message.replace(/redis(s)?:\/\/[^\s]*/g, '<REDIS_URL>')}`);
  }
}

export function registerAgentState(agents: Command, withAgents: (fn: (repo: AgentRepository, config: Config) => Promise<void>) => Promise<void>): void {
  agents
    .command('state <username> [state]')
    .description(`show a seat's ACD state, or change it: ${STATE_CHANGES.join(' | ')} (as the seat's *1 / *2 / *0)`)
    .option('--reason <reason>', `not-ready reason: ${CLI_REASONS.join(', ')}`, 'other')
    .action(async (username: string, change: string | undefined, o: { reason: string }) => {
      await withAgents(async (repo, config) => {
        const redis = await openRedis(config);
        try {
          const clock = new SystemClock();
          const store = new RedisAcdStore({ redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS });
          const plan = new PlanGate(new RedisPlanStore(redis, config.HOTLINE_ID), clock, { campaignCallbackSeats: config.PLAN_CAMPAIGN_CALLBACK_SEATS });
          console.log(describeState(username, await agentState({ store, agents: repo, plan }, username, change, o.reason)));
        } finally {
          redis.disconnect();
        }
      });
    });
}
