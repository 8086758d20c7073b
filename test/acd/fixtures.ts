import type { AgentProfile, AgentSkill, CallRequest, QueueDefinition, SkillLevel } from '../../src/acd/model.js';

export function queue(id: string, over: Partial<QueueDefinition> = {}): QueueDefinition {
  return {
    id,
    name: id,
    requiredSkills: [],
    priority: 0,
    policy: 'longest-idle',
    overflow: {},
    serviceLevel: { fraction: 0.8, seconds: 20 },
    wrapUpSec: 0,
    answerRings: 3,
    stickyAgentSec: 0,
    maxWaitSec: 0,
    ...over,
  };
}

/** skills as 'billing:3' (primary) or 'billing:2s' (secondary). */
export function agent(id: string, ...skills: string[]): AgentProfile {
  return {
    id,
    name: id,
    skills: skills.map((s): AgentSkill => {
      const [skill, lv] = s.split(':') as [string, string];
      return { skill, level: Number.parseInt(lv, 10) as SkillLevel, primary: !lv.endsWith('s') };
    }),
  };
}

export function call(callId: string, queueId: string, over: Partial<CallRequest> = {}): CallRequest {
  return { callId, queueId, callerNumber: `+86${callId}`, priority: 0, ownerInstance: 'i1', ...over };
}
