import type { PlanCampaign, PlanTransition } from '../../acd/peak-plan.js';
import { InvalidInputError } from '../../core/errors.js';
import { WebhookRepository } from '../../webhooks/repository.js';
import type { Db } from './db.js';

/** One activation of a level in a scope, as GET /api/plan/history shows it. */
export interface PlanActivation {
  id: string;
  scope: string;
  level: 1 | 2;
  startedAt: string;
  endedAt: string | null;
  figures: Record<string, unknown>;
  endFigures: Record<string, unknown> | null;
}

interface ActivationRow {
  id: string;
  scope: string;
  level: number;
  started_at: Date;
  ended_at: Date | null;
  figures: Record<string, unknown>;
  end_figures: Record<string, unknown> | null;
}

interface CampaignRow {
  id: string;
  name: string;
  from_at: Date;
  to_at: Date;
}

const toActivation = (r: ActivationRow): PlanActivation => ({
  id: String(r.id),
  scope: r.scope,
  level: r.level === 2 ? 2 : 1,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
  figures: r.figures,
  endFigures: r.end_figures,
});

const toCampaign = (r: CampaignRow): PlanCampaign => ({ id: String(r.id), name: r.name, from: r.from_at.getTime(), to: r.to_at.getTime() });

/** The webhook's stable id: a transition recorded twice queues its webhook once. */
export function planEventId(t: PlanTransition): string {
  return `plan.${t.type}:${t.scope}:${t.level}:${t.activatedAt}`;
}

/**
 * The plan's durable side: activations (one row per level and scope, ended at stand-down) with their webhooks in
 * the same transaction, and the campaigns supervisors declare.
 */
export class PlanRepository {
  private readonly webhooks: WebhookRepository;
  constructor(private readonly db: Db) {
    this.webhooks = new WebhookRepository(db);
  }

  /**
   * Record a transition and queue its webhook (`data`: the transition plus `extra`, e.g. the agents asked back).
   * Idempotent: returns false, queuing nothing, when this transition was recorded already.
   */
  async record(t: PlanTransition, extra: Record<string, unknown>, nowMs: number): Promise<boolean> {
    return this.db.tx('record plan transition', async (c) => {
      const figures = { ...t.figures, ...extra };
      const r =
        t.type === 'activated'
          ? await c.query(
              `INSERT INTO plan_activations (scope, level, started_at, figures) VALUES ($1, $2, $3, $4)
               ON CONFLICT (scope, level, started_at) DO NOTHING RETURNING id`,
              [t.scope, t.level, new Date(t.activatedAt), JSON.stringify(figures)],
            )
          : await c.query(
              `UPDATE plan_activations SET ended_at = $4, end_figures = $5
                WHERE scope = $1 AND level = $2 AND started_at = $3 AND ended_at IS NULL RETURNING id`,
              [t.scope, t.level, new Date(t.activatedAt), new Date(t.at), JSON.stringify(figures)],
            );
      if (r.rowCount === 0) return false;
      const type = t.type === 'activated' ? 'plan.activated' : 'plan.stood_down';
      const data = { scope: t.scope, level: t.level, scopeLevel: t.scopeLevel, at: new Date(t.at).toISOString(), activatedAt: new Date(t.activatedAt).toISOString(), ...figures };
      await this.webhooks.emit(c, [{ id: planEventId(t), type, data }], nowMs);
      return true;
    });
  }

  /** Activations, newest first, optionally those started in [from, to). */
  async history(q: { from?: number | undefined; to?: number | undefined; limit?: number | undefined } = {}): Promise<PlanActivation[]> {
    const r = await this.db.query<ActivationRow>(
      'plan history',
      `SELECT * FROM plan_activations
        WHERE ($1::timestamptz IS NULL OR started_at >= $1) AND ($2::timestamptz IS NULL OR started_at < $2)
        ORDER BY started_at DESC, id DESC LIMIT $3`,
      [q.from !== undefined ? new Date(q.from) : null, q.to !== undefined ? new Date(q.to) : null, q.limit ?? 100],
    );
    return r.rows.map(toActivation);
  }

  /** Active agents with the supervisor role (level 2 makes the logged-in ones ready). */
  async supervisors(): Promise<string[]> {
    const r = await this.db.query<{ id: string }>('plan supervisors', `SELECT id FROM agents WHERE role = 'supervisor' AND active ORDER BY id`);
    return r.rows.map((x) => x.id);
  }

  async createCampaign(c: { name: string; from: number; to: number; createdBy?: string | undefined }): Promise<PlanCampaign> {
    if (!(c.to > c.from)) throw new InvalidInputError('to', 'must be after from');
    const r = await this.db.query<CampaignRow>('create campaign', 'INSERT INTO plan_campaigns (name, from_at, to_at, created_by) VALUES ($1, $2, $3, $4) RETURNING *', [
      c.name,
      new Date(c.from),
      new Date(c.to),
      c.createdBy ?? null,
    ]);
    return toCampaign(r.rows[0]!);
  }

  /** Campaigns not yet over at `nowMs` (all of them with `all`), soonest first. */
  async campaigns(nowMs: number, all = false): Promise<PlanCampaign[]> {
    const r = await this.db.query<CampaignRow>('list campaigns', 'SELECT * FROM plan_campaigns WHERE $1 OR to_at > $2 ORDER BY from_at, id', [all, new Date(nowMs)]);
    return r.rows.map(toCampaign);
  }

  /** False when there was no such campaign. */
  async deleteCampaign(id: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) return false;
    const r = await this.db.query('delete campaign', 'DELETE FROM plan_campaigns WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }
}
