import type { AfterCallRequest, AgentProfile, NotReadyReason, Offer } from '../acd/model.js';
import type { AgentSnapshot, Maybe } from '../acd/store.js';
import type { FeatureAction } from './feature-codes.js';
import { parseFeatureCode } from './feature-codes.js';
import { CallError } from './errors.js';

/** The part of the AcdStore an agent's own requests use (the store validates every transition). */
export interface AgentControl {
  loginAgent(profile: AgentProfile): Maybe<void>;
  updateProfile(profile: AgentProfile): Maybe<Offer | null>;
  setRegistration(agentId: string, until: number): Maybe<Offer | null>;
  setReady(agentId: string): Maybe<Offer | null>;
  setNotReady(agentId: string, reason: NotReadyReason): Maybe<void>;
  requestAfterCall(agentId: string, next: AfterCallRequest | null): Maybe<void>;
  logout(agentId: string): Maybe<void>;
  agent(agentId: string): Maybe<AgentSnapshot | null>;
}

/**
 * The one service for agent-requested state changes: seats' feature codes (src/sip) and the admin API call it,
 * so both go through the same rules. Call-driven changes (ringing, on-call, missed, wrap-up) belong to the call
 * session through CallAcd. Offers that a change to ready makes reach the owning instance through its inbox.
 */
export interface AgentServiceOptions {
  /** Until when the agent's seat is registered (epoch ms, 0: not registered). Without it every agent counts as
   * reachable (the simulator, tests without seats). */
  liveUntil?: (agentId: string) => Promise<number>;
  /** The peak-load plan (src/plan/gate.ts): refuses breaks while it is active and leave during campaigns, with a
   * PlanError (409 PLAN_BREAKS_SUSPENDED / PLAN_LEAVE_REFUSED), whoever asks (seat, API, CLI). */
  plan?: { checkNotReady(agentId: string, reason: NotReadyReason | AfterCallRequest): Promise<void> };
}

export class AgentService {
  constructor(
    private readonly store: AgentControl,
    private readonly profiles: { profile(agentId: string): Promise<AgentProfile | undefined> },
    private readonly opts: AgentServiceOptions = {},
  ) {}

  /** Log in (not-ready until the agent says ready) — e.g. on the seat's REGISTER — and tell the ACD until when its
   * seat is registered (on every call, so a refreshed registration is seen too). */
  async login(agentId: string): Promise<void> {
    const now = await this.store.agent(agentId);
    if (!now || now.state === 'logged-out') {
      const profile = await this.profiles.profile(agentId);
      if (!profile) throw new CallError('AGENT_STATE_REJECTED', `unknown agent ${agentId}`, { agentId });
      await this.store.loginAgent(profile);
    }
    await this.seatChanged(agentId);
  }

  /**
   * The seat registered, refreshed, un-registered: the ACD learns until when it is reachable (an agent without a
   * live registration gets no offers; the expiry itself is a deadline in the store). Nothing for a logged-out agent:
   * its next log-in does this.
   */
  async seatChanged(agentId: string): Promise<void> {
    if (!this.opts.liveUntil) return;
    const now = await this.store.agent(agentId);
    if (!now || now.state === 'logged-out') return;
    await this.store.setRegistration(agentId, await this.opts.liveUntil(agentId));
  }

  /** The agent's skills were edited: a logged-in agent serves its new queues at once (else at its next log-in). */
  async profileChanged(agentId: string): Promise<void> {
    const now = await this.store.agent(agentId);
    if (!now || now.state === 'logged-out') return;
    const profile = await this.profiles.profile(agentId);
    if (!profile) throw new CallError('AGENT_STATE_REJECTED', `unknown agent ${agentId}`, { agentId });
    await this.store.updateProfile(profile);
  }

  async ready(agentId: string): Promise<void> {
    await this.login(agentId);
    await this.store.setReady(agentId);
  }

  async notReady(agentId: string, reason: NotReadyReason): Promise<void> {
    await this.opts.plan?.checkNotReady(agentId, reason);
    await this.login(agentId);
    await this.store.setNotReady(agentId, reason);
  }

  /** "Not ready after this call" (null cancels); the plan refuses the same reasons as for notReady. */
  async afterCall(agentId: string, next: AfterCallRequest | null): Promise<void> {
    if (next !== null) await this.opts.plan?.checkNotReady(agentId, next);
    await this.store.requestAfterCall(agentId, next);
  }

  async logout(agentId: string): Promise<void> {
    const now = await this.store.agent(agentId);
    if (!now || now.state === 'logged-out') return;
    await this.store.logout(agentId);
  }

  /** Apply a feature code dialled from the agent's seat; FEATURE_CODE_UNKNOWN for anything else. */
  async featureCode(agentId: string, dialled: string): Promise<FeatureAction> {
    const f = parseFeatureCode(dialled);
    if (!f) throw new CallError('FEATURE_CODE_UNKNOWN', `unknown feature code ${dialled}`, { dialled });
    if (f.action === 'ready') await this.ready(agentId);
    else if (f.action === 'logout') await this.logout(agentId);
    else await this.notReady(agentId, f.reason);
    return f;
  }
}
