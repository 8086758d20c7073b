import { activeCampaign, type PlanCampaign, type PlanLevel } from '../acd/peak-plan.js';
import type { AfterCallRequest, NotReadyReason } from '../acd/model.js';
import type { AgentSnapshot } from '../acd/store.js';
import type { Clock } from '../core/clock.js';
import { PlanError } from './errors.js';

/** What the gate reads: the shared plan state (Redis: src/store/redis/plan-store.ts). */
export interface PlanStateSource {
  level(): Promise<PlanLevel>;
  campaigns(): Promise<PlanCampaign[]>;
  isDrafted(agentId: string): Promise<boolean>;
}

/** Not-ready reasons refused at each level: breaks at 1; at 2 every seat takes calls, so also the planned
 * activities that can move (lunch, training, meetings). `other` stays allowed (the urgent case), `missed` and
 * `after-call` are the ACD's own. */
export const REFUSED_AT_LEVEL: Readonly<Record<1 | 2, readonly NotReadyReason[]>> = {
  1: ['break', 'leave'],
  2: ['break', 'leave', 'lunch', 'training', 'meeting'],
};

/** Something an agent's client should show (GET /api/agents/{id}/notices). */
export interface PlanNotice {
  kind: 'return-to-queue' | 'drafted' | 'campaign';
  level: PlanLevel;
  message: string;
  campaign?: PlanCampaign;
}

export interface CallbacksAllowed {
  /** False while the plan is at level 1 or 2: outbound callbacks pause. */
  allowed: boolean;
  /** Most seats that may work callbacks at once: PLAN_CAMPAIGN_CALLBACK_SEATS during a campaign, 0 when not
   * allowed, Infinity otherwise (no limit from the plan). */
  maxSeats: number;
  level: PlanLevel;
  campaign: PlanCampaign | null;
}

/**
 * The plan's answers to the rest of the server, read from the shared state on every question (one or two small
 * Redis reads; never PostgreSQL), so every instance answers the same. The callbacks dialler asks
 * `callbacksAllowed()` before offering a callback; AgentService asks `checkNotReady()` before any not-ready.
 */
export class PlanGate {
  constructor(
    private readonly src: PlanStateSource,
    private readonly clock: Clock,
    private readonly opts: { campaignCallbackSeats: number },
  ) {}

  level(): Promise<PlanLevel> {
    return this.src.level();
  }

  async campaign(): Promise<PlanCampaign | null> {
    return activeCampaign(await this.src.campaigns(), this.clock.now());
  }

  async callbacksAllowed(): Promise<CallbacksAllowed> {
    const [level, campaign] = await Promise.all([this.src.level(), this.campaign()]);
    if (level >= 1) return { allowed: false, maxSeats: 0, level, campaign };
    return { allowed: true, maxSeats: campaign ? this.opts.campaignCallbackSeats : Number.POSITIVE_INFINITY, level, campaign };
  }

  /** Throws PlanError when the plan refuses this not-ready reason (or "not ready after this call") now. */
  async checkNotReady(agentId: string, reason: NotReadyReason | AfterCallRequest): Promise<void> {
    if (reason === 'logout') return;
    const level = await this.src.level();
    if (reason === 'leave') {
      const campaign = level === 0 ? await this.campaign() : null;
      if (level >= 1) throw new PlanError('PLAN_LEAVE_REFUSED', `no leave while the peak-load plan is at level ${level}`, { agentId, level });
      if (campaign) throw new PlanError('PLAN_LEAVE_REFUSED', `no leave during the campaign "${campaign.name}"`, { agentId, campaign: campaign.id });
      return;
    }
    if (level >= 1 && REFUSED_AT_LEVEL[level as 1 | 2].includes(reason)) {
      throw new PlanError('PLAN_BREAKS_SUSPENDED', `${reason} refused: the peak-load plan is at level ${level}`, { agentId, level, reason });
    }
  }

  /** The notices for one agent now: back to the queue when on a refused reason, drafted, campaign running. */
  async notices(agent: AgentSnapshot | null): Promise<PlanNotice[]> {
    const [level, campaign] = await Promise.all([this.src.level(), this.campaign()]);
    const out: PlanNotice[] = [];
    if (agent && level >= 1 && agent.state === 'not-ready' && agent.reason && REFUSED_AT_LEVEL[level as 1 | 2].includes(agent.reason)) {
      out.push({ kind: 'return-to-queue', level, message: `peak-load plan level ${level}: please end your ${agent.reason} and make yourself ready` });
    }
    if (agent && level === 2 && (await this.src.isDrafted(agent.id))) {
      out.push({ kind: 'drafted', level, message: 'peak-load plan level 2: you were made ready to take calls' });
    }
    if (campaign) out.push({ kind: 'campaign', level, message: `campaign "${campaign.name}" running: no leave`, campaign });
    return out;
  }
}
