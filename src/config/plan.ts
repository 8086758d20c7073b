import { defaultClear, ruleProblems, type PlanRule } from '../acd/peak-plan.js';
import type { Env } from './schema.js';

type PlanEnv = Pick<Env, 'PLAN_LEVEL1_WAITING' | 'PLAN_LEVEL2_WAITING' | 'PLAN_LEVEL1_CLEAR_WAITING' | 'PLAN_LEVEL2_CLEAR_WAITING' | 'PLAN_SUSTAIN_SEC' | 'PLAN_STAND_DOWN_SEC' | 'PLAN_DIP_SEC'>;

/** The hotline-wide peak-plan rule from the environment (queues.yaml `peakPlan:` overrides it per queue). */
export function planRuleFromEnv(e: PlanEnv): PlanRule {
  return {
    level1: e.PLAN_LEVEL1_WAITING,
    level2: e.PLAN_LEVEL2_WAITING,
    clear1: e.PLAN_LEVEL1_CLEAR_WAITING ?? defaultClear(e.PLAN_LEVEL1_WAITING),
    clear2: e.PLAN_LEVEL2_CLEAR_WAITING ?? defaultClear(e.PLAN_LEVEL2_WAITING),
    sustainMs: e.PLAN_SUSTAIN_SEC * 1000,
    standDownMs: e.PLAN_STAND_DOWN_SEC * 1000,
    dipMs: e.PLAN_DIP_SEC * 1000,
  };
}

const VARS: Record<keyof PlanRule, string> = {
  level1: 'PLAN_LEVEL1_WAITING',
  level2: 'PLAN_LEVEL2_WAITING',
  clear1: 'PLAN_LEVEL1_CLEAR_WAITING',
  clear2: 'PLAN_LEVEL2_CLEAR_WAITING',
  sustainMs: 'PLAN_SUSTAIN_SEC',
  standDownMs: 'PLAN_STAND_DOWN_SEC',
  dipMs: 'PLAN_DIP_SEC',
};

/** The rule's problems worded with the variables' names ("PLAN_LEVEL2_WAITING: must be above level1 (8)"). */
export function planRuleProblems(e: PlanEnv): string[] {
  return ruleProblems(planRuleFromEnv(e)).map((p) => {
    const k = p.slice(0, p.indexOf(':')) as keyof PlanRule;
    return `${VARS[k] ?? k}${p.slice(p.indexOf(':'))}`;
  });
}
