import type { AgentSkill, QueueDefinition, SkillRequirement } from './model.js';

/**
 * Which agents may take which calls. An agent's relation to every queue is computed once, at login, into a short
 * list of "serve entries"; the stores keep one ready-agent index per (queue, via), so a match reads the head of an
 * index instead of scanning all agents. Time-dependent rules (overflow after N seconds, sticky window) are applied
 * at match time from the call's waiting time.
 */
export type ServeVia = 'primary' | 'secondary' | 'overflow-queue';
export const SERVE_VIAS: readonly ServeVia[] = ['primary', 'secondary', 'overflow-queue'];

export interface ServeEntry {
  queueId: string;
  via: ServeVia;
  /** Sum of the agent's levels in the skills that made it eligible (used by the highest-skill policy). */
  skillScore: number;
}

/** 'primary' if every required skill is held as a primary skill at the minimum level; 'secondary' if every one is
 * held at the level but some only as secondary; undefined otherwise. A queue without requirements takes anyone. */
export function skillMatch(skills: readonly AgentSkill[], required: readonly SkillRequirement[]): 'primary' | 'secondary' | undefined {
  let allPrimary = true;
  for (const r of required) {
    const s = skills.find((k) => k.skill === r.skill);
    if (!s || s.level < r.minLevel) return undefined;
    if (!s.primary) allPrimary = false;
  }
  return allPrimary ? 'primary' : 'secondary';
}

function skillScore(skills: readonly AgentSkill[], required: readonly SkillRequirement[]): number {
  let sum = 0;
  for (const r of required) sum += skills.find((k) => k.skill === r.skill)?.level ?? 0;
  return sum;
}

/** Plain code-unit order: the same as Redis' byte order for ASCII ids, unlike localeCompare. */
export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The queues an agent serves and how. At most one entry per queue (primary beats secondary beats overflow).
 * Sorted by queue priority (desc) then queue id, which is also the tie-break order between queues at match time.
 */
export function serveEntries(skills: readonly AgentSkill[], queues: ReadonlyMap<string, QueueDefinition>): ServeEntry[] {
  const out: ServeEntry[] = [];
  for (const q of queues.values()) {
    const m = skillMatch(skills, q.requiredSkills);
    if (m === 'primary') {
      out.push({ queueId: q.id, via: 'primary', skillScore: skillScore(skills, q.requiredSkills) });
      continue;
    }
    if (m === 'secondary' && q.overflow.secondaryAfterSec !== undefined) {
      out.push({ queueId: q.id, via: 'secondary', skillScore: skillScore(skills, q.requiredSkills) });
      continue;
    }
    const to = q.overflow.toQueue !== undefined && q.overflow.queueAfterSec !== undefined ? queues.get(q.overflow.toQueue) : undefined;
    if (to && skillMatch(skills, to.requiredSkills) === 'primary') {
      out.push({ queueId: q.id, via: 'overflow-queue', skillScore: skillScore(skills, to.requiredSkills) });
    }
  }
  out.sort((a, b) => {
    const pa = queues.get(a.queueId)!.priority;
    const pb = queues.get(b.queueId)!.priority;
    return pb - pa || byId(a.queueId, b.queueId);
  });
  return out;
}

/** Whether a call that has waited `waitedMs` in queue `q` may go to an agent serving it via `via`. */
export function stageAllows(via: ServeVia, waitedMs: number, q: QueueDefinition): boolean {
  switch (via) {
    case 'primary':
      return true;
    case 'secondary':
      return q.overflow.secondaryAfterSec !== undefined && waitedMs >= q.overflow.secondaryAfterSec * 1000;
    case 'overflow-queue':
      return q.overflow.queueAfterSec !== undefined && waitedMs >= q.overflow.queueAfterSec * 1000;
  }
}

/** A returning caller is held for the agent who served them last during the call's hold window (the queue's
 * sticky seconds, or what the caller chose in the IVR); nobody else may take the call until it ends. */
export function stickyBlocks(stickyAgent: string | undefined, agentId: string, waitedMs: number, holdMs: number): boolean {
  return stickyAgent !== undefined && stickyAgent !== agentId && waitedMs < holdMs;
}

/** Hold seconds a call request may ask for: whole seconds, a day at most (a caller never waits that long). */
export const MAX_HOLD_SEC = 86_400;

export function isValidHold(hold: unknown): boolean {
  if (hold === undefined || hold === 'none') return true;
  if (typeof hold !== 'object' || hold === null) return false;
  const h = hold as { agentId?: unknown; sec?: unknown };
  return typeof h.agentId === 'string' && h.agentId.length > 0 && Number.isInteger(h.sec) && (h.sec as number) >= 0 && (h.sec as number) <= MAX_HOLD_SEC;
}

/** Candidate comparison when a ready agent could take calls from several queues: queue priority first, then the
 * call's own priority, then the call that has waited longest. Strictly better only, so earlier entries win ties. */
export interface CallCandidate {
  queuePriority: number;
  callPriority: number;
  arrivedAt: number;
}
export function betterCandidate(a: CallCandidate, b: CallCandidate | undefined): boolean {
  if (!b) return true;
  if (a.queuePriority !== b.queuePriority) return a.queuePriority > b.queuePriority;
  if (a.callPriority !== b.callPriority) return a.callPriority > b.callPriority;
  return a.arrivedAt < b.arrivedAt;
}
