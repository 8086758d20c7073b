import { AcdError } from './errors.js';
import { NOT_READY_REASONS, ROUTING_POLICIES, type AgentProfile, type NotReadyReason, type QueueDefinition } from './model.js';
import type { AcdSetup } from './store.js';

/** Validation shared by every store, so a bad definition fails the same way in memory and in Redis. */
export function validateSetup(setup: AcdSetup): Map<string, QueueDefinition> {
  const skills = new Set(setup.skills);
  const queues = new Map<string, QueueDefinition>();
  for (const q of setup.queues) {
    if (!q.id) throw new AcdError('BAD_DEFINITION', 'queue without id');
    if (queues.has(q.id)) throw new AcdError('BAD_DEFINITION', `queue ${q.id} defined twice`, { queueId: q.id });
    if (!ROUTING_POLICIES.includes(q.policy)) throw new AcdError('BAD_DEFINITION', `queue ${q.id}: unknown policy ${String(q.policy)}`, { queueId: q.id });
    for (const r of q.requiredSkills) {
      if (!skills.has(r.skill)) throw new AcdError('UNKNOWN_SKILL', `queue ${q.id} requires unknown skill ${r.skill}`, { queueId: q.id, skill: r.skill });
      if (!Number.isInteger(r.minLevel) || r.minLevel < 1 || r.minLevel > 5) {
        throw new AcdError('BAD_DEFINITION', `queue ${q.id}: minLevel of ${r.skill} must be 1..5`, { queueId: q.id });
      }
    }
    if (!Number.isFinite(q.priority)) throw new AcdError('BAD_DEFINITION', `queue ${q.id}: priority must be a number`, { queueId: q.id });
    queues.set(q.id, q);
  }
  for (const q of queues.values()) {
    const to = q.overflow.toQueue;
    if (to !== undefined && !queues.has(to)) throw new AcdError('UNKNOWN_QUEUE', `queue ${q.id} overflows to unknown queue ${to}`, { queueId: to });
  }
  return queues;
}

export function validateProfile(profile: AgentProfile, skills: ReadonlySet<string>): void {
  if (!profile.id) throw new AcdError('BAD_DEFINITION', 'agent without id');
  const seen = new Set<string>();
  for (const s of profile.skills) {
    if (!skills.has(s.skill)) throw new AcdError('UNKNOWN_SKILL', `agent ${profile.id} has unknown skill ${s.skill}`, { agentId: profile.id, skill: s.skill });
    if (seen.has(s.skill)) throw new AcdError('AGENT_DUPLICATE_SKILL', `agent ${profile.id} lists ${s.skill} twice`, { agentId: profile.id, skill: s.skill });
    if (!Number.isInteger(s.level) || s.level < 1 || s.level > 5) {
      throw new AcdError('BAD_DEFINITION', `agent ${profile.id}: level of ${s.skill} must be 1..5`, { agentId: profile.id });
    }
    seen.add(s.skill);
  }
}

export function validateReason(reason: NotReadyReason): void {
  if (!NOT_READY_REASONS.includes(reason)) throw new AcdError('BAD_DEFINITION', `unknown not-ready reason ${String(reason)}`, { reason });
}
