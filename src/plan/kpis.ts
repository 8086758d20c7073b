import type { PlanStatus } from '../acd/peak-plan.js';
import { decorateLive } from '../kpi/decorate.js';
import type { LiveKpiSource } from '../kpi/types.js';

/**
 * The live KPIs with the plan's level beside them (field `plan`, and an alert per active scope), so the wallboard
 * and /api/kpis/live show it in the same frame. The plan is read at most once per `maxAgeMs` (default 1 s: the
 * stream reads every second for all screens; the level changes at most once a second).
 */
export function withPlan(source: LiveKpiSource, status: () => Promise<PlanStatus>, now: () => number, maxAgeMs = 1_000): LiveKpiSource {
  let cached: { at: number; p: Promise<PlanStatus> } | undefined;
  const plan = (): Promise<PlanStatus> => {
    const t = now();
    if (!cached || t - cached.at >= maxAgeMs || t < cached.at) {
      const p = status();
      cached = { at: t, p };
      // A failed read is not kept: the next frame asks again.
      void p.catch(() => {
        if (cached?.p === p) cached = undefined;
      });
    }
    return cached.p;
  };
  return decorateLive(source, plan, (k, p) => {
    const alerts = Object.entries(p.scopes)
      .filter(([, s]) => s.level > 0)
      .map(([scope, s]) => ({
        queueId: scope,
        kind: 'plan' as const,
        message: `peak-load plan level ${s.level}${scope === '*' ? '' : ` (queue ${scope})`} since ${s.since !== null ? new Date(s.since).toISOString() : '?'}: ${s.level === 2 ? 'supervisors and every seat take calls' : 'breaks suspended, callbacks paused'}`,
      }));
    return { ...k, alerts: [...alerts, ...k.alerts], plan: { level: p.level, since: p.since, campaign: p.campaign?.name ?? null } };
  });
}
