import { activeCampaign, planStatus, type PlanCampaign, type PlanState, type PlanStatus } from '../acd/peak-plan.js';
import type { AgentSnapshot } from '../acd/store.js';
import type { Clock } from '../core/clock.js';
import type { CallbacksAllowed, PlanGate, PlanNotice } from './gate.js';

/** The durable side (src/store/pg/plan.ts). */
export interface PlanRecords {
  history(q: { from?: number | undefined; to?: number | undefined; limit?: number | undefined }): Promise<PlanActivationView[]>;
  createCampaign(c: { name: string; from: number; to: number; createdBy?: string | undefined }): Promise<PlanCampaign>;
  campaigns(nowMs: number, all?: boolean): Promise<PlanCampaign[]>;
  deleteCampaign(id: string): Promise<boolean>;
}

export interface PlanActivationView {
  id: string;
  scope: string;
  level: 1 | 2;
  startedAt: string;
  endedAt: string | null;
  figures: Record<string, unknown>;
  endFigures: Record<string, unknown> | null;
}

/** The shared state (src/store/redis/plan-store.ts). */
export interface PlanShared {
  read(): Promise<{ state: PlanState }>;
  campaigns(): Promise<PlanCampaign[]>;
  putCampaign(c: PlanCampaign): Promise<void>;
  deleteCampaign(id: string): Promise<void>;
  replaceCampaigns(all: readonly PlanCampaign[]): Promise<void>;
  drafted(): Promise<string[]>;
}

export interface PlanView extends PlanStatus {
  /** Supervisors the plan made ready (level 2). */
  drafted: string[];
  callbacks: CallbacksAllowed;
}

/**
 * What the API and the wallboard ask of the plan. Reads come from Redis (every instance sees the same, the call
 * path never waits on PostgreSQL); campaigns are written to PostgreSQL first, then to the Redis copy, and the copy is
 * rebuilt from PostgreSQL every few seconds by `refreshCampaigns` (a write lost between the two, or an instance
 * restarted, is made good there).
 */
export class PlanService {
  constructor(
    private readonly o: { shared: PlanShared; records: PlanRecords; gate: PlanGate; clock: Clock },
  ) {}

  async status(): Promise<PlanView> {
    const [{ state }, campaigns, drafted, callbacks] = await Promise.all([this.o.shared.read(), this.o.shared.campaigns(), this.o.shared.drafted(), this.o.gate.callbacksAllowed()]);
    return { ...planStatus(state, activeCampaign(campaigns, this.o.clock.now())), drafted, callbacks };
  }

  history(q: { from?: number | undefined; to?: number | undefined; limit?: number | undefined }): Promise<PlanActivationView[]> {
    return this.o.records.history(q);
  }

  async createCampaign(c: { name: string; from: number; to: number; createdBy?: string | undefined }): Promise<PlanCampaign> {
    const made = await this.o.records.createCampaign(c);
    await this.o.shared.putCampaign(made);
    return made;
  }

  listCampaigns(all: boolean): Promise<PlanCampaign[]> {
    return this.o.records.campaigns(this.o.clock.now(), all);
  }

  async deleteCampaign(id: string): Promise<boolean> {
    const gone = await this.o.records.deleteCampaign(id);
    await this.o.shared.deleteCampaign(id);
    return gone;
  }

  /** The periodic chore: the Redis copy becomes PostgreSQL's campaigns not yet over. */
  async refreshCampaigns(): Promise<void> {
    await this.o.shared.replaceCampaigns(await this.o.records.campaigns(this.o.clock.now()));
  }

  notices(agent: AgentSnapshot | null): Promise<PlanNotice[]> {
    return this.o.gate.notices(agent);
  }
}
