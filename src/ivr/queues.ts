import { ROUTING_POLICIES, type QueueDefinition, type QueuePeakPlan, type QueueTelephony, type SkillLevel } from '../acd/model.js';
import { DEFAULT_PLAN_RULE, queuePlanRule, ruleProblems } from '../acd/peak-plan.js';
import type { Issue } from './issues.js';
import type { SourceFile } from './source.js';

/**
 * `ivr-flows/queues.yaml`: the admin declares queues and the skills they need; the server syncs them into
 * PostgreSQL and Redis. Omitted fields take the standard's defaults (3 rings, 80/20 service level).
 */
const skill = {
  type: 'object',
  additionalProperties: false,
  required: ['skill'],
  properties: { skill: { type: 'string', minLength: 1 }, minLevel: { type: 'integer', minimum: 1, maximum: 5 } },
} as const;

export const queuesSchema = {
  $id: 'queues',
  type: 'object',
  additionalProperties: false,
  required: ['queues'],
  properties: {
    $schema: { type: 'string' },
    version: { const: 1 },
    queues: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          name: { type: 'string' },
          requiredSkills: { type: 'array', items: skill },
          priority: { type: 'integer', minimum: 0 },
          policy: { enum: [...ROUTING_POLICIES] },
          overflow: {
            type: 'object',
            additionalProperties: false,
            properties: {
              secondaryAfterSec: { type: 'number', minimum: 0 },
              toQueue: { type: 'string' },
              queueAfterSec: { type: 'number', minimum: 0 },
            },
          },
          serviceLevel: {
            type: 'object',
            additionalProperties: false,
            required: ['fraction', 'seconds'],
            properties: { fraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, seconds: { type: 'number', exclusiveMinimum: 0 } },
          },
          wrapUpSec: { type: 'number', minimum: 0 },
          answerRings: { type: 'integer', minimum: 1 },
          stickyAgentSec: { type: 'number', minimum: 0 },
          maxWaitSec: { type: 'number', minimum: 0 },
          telephony: {
            type: 'object',
            additionalProperties: false,
            properties: { silentCall: { type: 'boolean' }, lateWhisper: { type: 'boolean' }, record: { type: 'boolean' }, releaseMedia: { type: 'boolean' } },
          },
          peakPlan: {
            type: 'object',
            additionalProperties: false,
            properties: {
              level1: { type: 'integer', minimum: 1 },
              level2: { type: 'integer', minimum: 2 },
              clear1: { type: 'integer', minimum: 0 },
              clear2: { type: 'integer', minimum: 0 },
              sustainSec: { type: 'integer', minimum: 0 },
              standDownSec: { type: 'integer', minimum: 0 },
              dipSec: { type: 'integer', minimum: 0 },
            },
          },
        },
      },
    },
  },
} as const;

interface QueueFile {
  id: string;
  name: string;
  requiredSkills?: { skill: string; minLevel?: number }[];
  priority?: number;
  policy?: QueueDefinition['policy'];
  overflow?: QueueDefinition['overflow'];
  serviceLevel?: QueueDefinition['serviceLevel'];
  wrapUpSec?: number;
  answerRings?: number;
  stickyAgentSec?: number;
  maxWaitSec?: number;
  telephony?: QueueTelephony;
  peakPlan?: QueuePeakPlan;
}

/** Schema-valid data → definitions; duplicate ids and overflow to unknown queues are errors. */
export function compileQueues(src: SourceFile, data: { queues: QueueFile[] }, issues: Issue[]): QueueDefinition[] | undefined {
  const before = issues.length;
  const seen = new Set<string>();
  const out: QueueDefinition[] = data.queues.map((q, i) => {
    if (seen.has(q.id)) issues.push(src.issue(['queues', i, 'id'], 'error', 'duplicate-queue', `queue "${q.id}" field "id": declared twice`));
    seen.add(q.id);
    return {
      id: q.id,
      name: q.name,
      requiredSkills: (q.requiredSkills ?? []).map((s) => ({ skill: s.skill, minLevel: (s.minLevel ?? 1) as SkillLevel })),
      priority: q.priority ?? 0,
      policy: q.policy ?? 'longest-idle',
      overflow: q.overflow ?? {},
      serviceLevel: q.serviceLevel ?? { fraction: 0.8, seconds: 20 },
      wrapUpSec: q.wrapUpSec ?? 30,
      answerRings: q.answerRings ?? 3,
      stickyAgentSec: q.stickyAgentSec ?? 0,
      maxWaitSec: q.maxWaitSec ?? 0,
      ...(q.telephony ? { telephony: { ...q.telephony } } : {}),
      ...(q.peakPlan ? { peakPlan: { ...q.peakPlan } } : {}),
    };
  });
  // Checked against the standard's defaults for the fields it leaves out (the server checks again against PLAN_*).
  data.queues.forEach((q, i) => {
    if (!q.peakPlan) return;
    for (const p of ruleProblems(queuePlanRule(DEFAULT_PLAN_RULE, q.peakPlan))) {
      const field = p.slice(0, p.indexOf(':'));
      const yamlField = PLAN_FIELDS[field] ?? field;
      const at = yamlField in q.peakPlan ? ['queues', i, 'peakPlan', yamlField] : ['queues', i, 'peakPlan'];
      issues.push(src.issue(at, 'error', 'bad-peak-plan', `queue "${q.id}" field "peakPlan.${yamlField}"${p.slice(p.indexOf(':'))}`));
    }
  });
  // Media release needs the talk's media nowhere: a queue that asks for it and, in the same block, for recording or
  // the silent-call script contradicts itself (the environment's defaults only make release give way, hotline.ts).
  data.queues.forEach((q, i) => {
    const t = q.telephony;
    if (!t?.releaseMedia) return;
    const needs = [t.record ? 'record' : '', t.silentCall ? 'silentCall' : ''].filter((f) => f !== '');
    if (needs.length === 0) return;
    issues.push(
      src.issue(['queues', i, 'telephony', 'releaseMedia'], 'error', 'release-needs-media', `queue "${q.id}" field "telephony.releaseMedia": media release cannot keep ${needs.join(' and ')} (both need the call's media); set ${needs.map((n) => `${n}: false`).join(', ')} or releaseMedia: false`),
    );
  });
  data.queues.forEach((q, i) => {
    const to = q.overflow?.toQueue;
    if (to !== undefined && !seen.has(to)) {
      issues.push(src.issue(['queues', i, 'overflow', 'toQueue'], 'error', 'unknown-queue', `queue "${q.id}" field "overflow.toQueue": queue "${to}" is not declared in queues.yaml`));
    }
  });
  return issues.length > before ? undefined : out;
}

/** The engine's rule fields as queues.yaml spells them. */
const PLAN_FIELDS: Record<string, string> = { sustainMs: 'sustainSec', standDownMs: 'standDownSec', dipMs: 'dipSec' };

/**
 * A per-queue telephony option: the queue's own `telephony:` setting in queues.yaml when it has one, else the
 * environment list (SILENT_CALL_QUEUES, LATE_WHISPER_QUEUES, RECORD_QUEUES) as the default. Reads the current
 * definitions on every call, so a good edit of queues.yaml applies to the next call without a restart.
 */
export function queueOption(queues: () => readonly QueueDefinition[] | undefined, key: keyof QueueTelephony, fallback: (queueId: string) => boolean): (queueId: string) => boolean {
  return (queueId) => (queues() ?? []).find((q) => q.id === queueId)?.telephony?.[key] ?? fallback(queueId);
}
