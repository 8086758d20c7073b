/**
 * Scenario files: YAML checked against a zod schema, then against the cross-references zod cannot see (skills
 * named by queues and agents, overflow targets, shift times). Every problem is reported at once with its line
 * and column, so a user fixes the file in one pass. See src/sim/examples/two-skills.yaml for a documented example.
 */
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { isAcdError } from '../acd/errors.js';
import { DEFAULT_PLAN_RULE, mergeRule, ruleProblems, type PlanRule } from '../acd/peak-plan.js';
import { NOT_READY_REASONS, ROUTING_POLICIES, type AgentSkill, type QueueDefinition, type SkillLevel } from '../acd/model.js';
import { validateSetup } from '../acd/setup.js';
import { formatIssues, SimError, type ScenarioIssue } from './errors.js';
import type { DurationSpec } from './rng.js';
import { DEFAULT_BATCHES, DEFAULT_CALLER_POOL, DEFAULT_RING_CADENCE_SEC, type AgentGroup, type Scenario, type SimCallbacks, type SimPlan, type SimQueue } from './scenario.js';

/** A time as hours (a number) or "H:MM", counted from the start of the run (or of the shift, for breaks). */
const time = z.union([
  z.number().min(0),
  z.string().regex(/^\d{1,3}:[0-5]\d$/, { message: 'must be a time as "H:MM" or a number of hours' }),
]);

const level = z.number().int().min(1).max(5);
const id = z.string().regex(/^[A-Za-z0-9_.:-]+$/, { message: 'must be letters, digits, "_", ".", ":" or "-"' });

const handleTime = z
  .strictObject({
    distribution: z.enum(['exponential', 'lognormal', 'constant']).default('exponential'),
    meanSec: z.number().positive(),
    sdSec: z.number().positive().optional(),
  })
  .refine((h) => h.distribution !== 'lognormal' || h.sdSec !== undefined, { message: 'a lognormal handle time needs sdSec', path: ['sdSec'] });

const queue = z
  .strictObject({
    id,
    name: z.string().optional(),
    skills: z.array(z.union([id, z.strictObject({ skill: id, minLevel: level.default(1) })])).default([]),
    priority: z.number().int().default(0),
    policy: z.enum(ROUTING_POLICIES).default('longest-idle'),
    overflow: z
      .strictObject({ secondaryAfterSec: z.number().min(0).optional(), toQueue: id.optional(), queueAfterSec: z.number().min(0).optional() })
      .refine((o) => (o.toQueue === undefined) === (o.queueAfterSec === undefined), { message: 'toQueue and queueAfterSec go together' })
      .default({}),
    serviceLevel: z.strictObject({ fraction: z.number().gt(0).max(1).default(0.8), seconds: z.number().min(0).default(20) }).default({ fraction: 0.8, seconds: 20 }),
    wrapUpSec: z.number().min(0).default(0),
    answerRings: z.number().int().min(1).max(20).default(3),
    stickyAgentSec: z.number().min(0).default(0),
    callsPerHour: z.number().min(0).optional(),
    arrivals: z.array(z.strictObject({ from: time, callsPerHour: z.number().min(0) })).min(1).optional(),
    handleTime,
    patienceSec: z.number().positive().optional(),
    vip: z.strictObject({ share: z.number().gt(0).max(1), priority: z.number().int().min(1).max(999).default(10) }).optional(),
  })
  .refine((q) => (q.callsPerHour === undefined) !== (q.arrivals === undefined), { message: 'give either callsPerHour or arrivals (one of them)' });

const agentGroup = z.strictObject({
  group: id,
  count: z.number().int().min(1).max(100_000),
  skills: z.array(z.union([id, z.strictObject({ skill: id, level: level.default(1), primary: z.boolean().default(true) })])).min(1),
  shifts: z.array(z.strictObject({ start: time, end: time })).min(1).optional(),
  breaks: z
    .array(z.strictObject({ after: time, minutes: z.number().positive(), spreadMinutes: z.number().min(0).default(0), reason: z.enum(NOT_READY_REASONS.filter((r) => r !== 'missed' && r !== 'after-call') as ['break', 'lunch', 'training', 'meeting', 'other']).default('break') }))
    .default([]),
  ronaProbability: z.number().min(0).max(1).default(0),
  answerAfterSec: z.number().min(0).default(0),
  missedReadyAfterSec: z.number().min(0).default(30),
  supervisor: z.boolean().default(false),
});

/** A plan rule in the file's units (minutes); omitted fields come from the hotline rule (or the standard's). */
const planRule = z.strictObject({
  level1: z.number().int().min(1).optional(),
  level2: z.number().int().min(1).optional(),
  clear1: z.number().int().min(0).optional(),
  clear2: z.number().int().min(0).optional(),
  sustainMinutes: z.number().min(0).optional(),
  standDownMinutes: z.number().min(0).optional(),
  dipMinutes: z.number().min(0).optional(),
});

const plan = planRule.extend({
  queues: z.record(id, planRule).default({}),
  breakReturnMinutes: z.number().min(0).default(2),
  resumeBreaksEveryMinutes: z.number().min(0).default(1),
});

const callbacks = z
  .strictObject({
    afterAbandonSec: z.number().min(0).default(60),
    abandonShare: z.number().min(0).max(1).default(0.3),
    offerAfterSec: z.number().min(0).optional(),
    offerAcceptShare: z.number().min(0).max(1).default(0),
    deadlineHours: z.number().positive().optional(),
    maxAgents: z.number().int().min(1).default(5),
    handleTime: handleTime.optional(),
  })
  .refine((c) => c.offerAcceptShare === 0 || c.offerAfterSec !== undefined, { message: 'offerAcceptShare needs offerAfterSec', path: ['offerAcceptShare'] });

export const scenarioFileSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  hours: z.number().positive().max(24 * 31),
  warmupHours: z.number().min(0).default(0),
  drainHours: z.number().min(0).default(2),
  ringCadenceSec: z.number().positive().default(DEFAULT_RING_CADENCE_SEC),
  callerPool: z.number().int().min(1).default(DEFAULT_CALLER_POOL),
  batches: z.number().int().min(2).max(1000).default(DEFAULT_BATCHES),
  seed: z.number().int().min(0).optional(),
  skills: z.array(id).default([]),
  queues: z.array(queue).min(1),
  agents: z.array(agentGroup).min(1),
  plan: plan.optional(),
  callbacks: callbacks.optional(),
});
export type ScenarioFile = z.infer<typeof scenarioFileSchema>;

function hoursOf(t: number | string): number {
  if (typeof t === 'number') return t;
  const [h, m] = t.split(':') as [string, string];
  return Number(h) + Number(m) / 60;
}

/** Parses and validates a scenario; `source` names the file in messages. Throws SimError SCENARIO_INVALID. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: ScenarioIssue[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    issues.push({ path: '', message: `YAML: ${e.message.split('\n')[0]!}`, line: pos.line, column: pos.col });
  }
  if (issues.length === 0) {
    const parsed = scenarioFileSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        if (i.code === 'unrecognized_keys') {
          for (const k of i.keys) issues.push(located(doc, lineCounter, [...i.path, k], unknownKeyMessage(k), true));
        } else {
          issues.push(located(doc, lineCounter, i.path, i.code === 'invalid_type' && /received undefined$/.test(i.message) ? 'is required' : i.message));
        }
      }
    } else {
      const sc = toScenario(parsed.data, (path, message) => issues.push(located(doc, lineCounter, path, message)));
      if (issues.length === 0) return sc;
    }
  }
  throw new SimError('SCENARIO_INVALID', `${source}: invalid scenario\n${formatIssues(source, issues)}`, issues);
}

const KNOWN_KEYS = [
  ...Object.keys(scenarioFileSchema.shape),
  'id', 'name', 'skills', 'priority', 'policy', 'overflow', 'secondaryAfterSec', 'toQueue', 'queueAfterSec', 'serviceLevel', 'fraction',
  'seconds', 'wrapUpSec', 'answerRings', 'stickyAgentSec', 'callsPerHour', 'arrivals', 'from', 'handleTime', 'distribution', 'meanSec',
  'sdSec', 'patienceSec', 'vip', 'share', 'skill', 'minLevel', 'group', 'count', 'level', 'primary', 'shifts', 'start', 'end', 'breaks', 'after', 'minutes',
  'spreadMinutes', 'reason', 'ronaProbability', 'answerAfterSec', 'missedReadyAfterSec', 'supervisor', 'plan', 'callbacks', 'level1', 'level2',
  'clear1', 'clear2', 'sustainMinutes', 'standDownMinutes', 'dipMinutes', 'breakReturnMinutes', 'resumeBreaksEveryMinutes', 'afterAbandonSec',
  'abandonShare', 'offerAfterSec', 'offerAcceptShare', 'deadlineHours', 'maxAgents',
];

/** A misspelt key is the usual mistake: name the key it was probably meant to be (same letters, other case). */
function unknownKeyMessage(key: string): string {
  const near = KNOWN_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
  return near ? `unknown key (did you mean ${near}?)` : 'unknown key';
}

/** The issue at the deepest node of `path` that exists (a missing key points at its parent). */
function located(doc: Document, lc: LineCounter, path: readonly PropertyKey[], message: string, atKey = false): ScenarioIssue {
  const keys = path.map((k) => (typeof k === 'symbol' ? String(k) : k));
  const text = keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
  if (atKey && keys.length > 0) {
    // Point at the key itself (the misspelling), not at its value.
    const parent: unknown = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
    const last = keys[keys.length - 1];
    const pair = isMap(parent) ? parent.items.find((it) => isScalar(it.key) && it.key.value === last) : undefined;
    if (pair && isNode(pair.key) && pair.key.range) {
      const pos = lc.linePos(pair.key.range[0]);
      return { path: text, message, line: pos.line, column: pos.col };
    }
  }
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { path: text, message, line: pos.line, column: pos.col };
    }
  }
  return { path: text, message };
}

type Report = (path: PropertyKey[], message: string) => void;

function toScenario(f: ScenarioFile, reportTo: Report): Scenario {
  let problems = 0;
  const report: Report = (path, message) => {
    problems++;
    reportTo(path, message);
  };
  const horizonSec = f.hours * 3600;
  if (f.warmupHours >= f.hours) report(['warmupHours'], 'must be below hours');
  const skills = new Set(f.skills);
  const seenQueues = new Set<string>();
  const queues: SimQueue[] = f.queues.map((q, qi) => {
    if (seenQueues.has(q.id)) report(['queues', qi, 'id'], `queue ${q.id} is defined twice`);
    seenQueues.add(q.id);
    const requiredSkills = q.skills.map((s, si) => {
      const r = typeof s === 'string' ? { skill: s, minLevel: 1 as SkillLevel } : { skill: s.skill, minLevel: s.minLevel as SkillLevel };
      if (!skills.has(r.skill)) report(['queues', qi, 'skills', si], `unknown skill ${r.skill} (add it to skills)`);
      return r;
    });
    const arrivals = (q.arrivals ?? [{ from: 0, callsPerHour: q.callsPerHour! }]).map((a) => ({ fromSec: hoursOf(a.from) * 3600, callsPerHour: a.callsPerHour }));
    arrivals.forEach((a, ai) => {
      if (ai > 0 && a.fromSec <= arrivals[ai - 1]!.fromSec) report(['queues', qi, 'arrivals', ai, 'from'], 'arrival intervals must be in increasing time order');
      if (a.fromSec >= horizonSec) report(['queues', qi, 'arrivals', ai, 'from'], `starts at or after the end of the run (${f.hours} h)`);
    });
    const handle = durationOf(q.handleTime);
    const def: QueueDefinition = {
      id: q.id,
      name: q.name ?? q.id,
      requiredSkills,
      priority: q.priority,
      policy: q.policy,
      overflow: {
        ...(q.overflow.secondaryAfterSec !== undefined ? { secondaryAfterSec: q.overflow.secondaryAfterSec } : {}),
        ...(q.overflow.toQueue !== undefined ? { toQueue: q.overflow.toQueue, queueAfterSec: q.overflow.queueAfterSec! } : {}),
      },
      serviceLevel: { fraction: q.serviceLevel.fraction, seconds: q.serviceLevel.seconds },
      wrapUpSec: q.wrapUpSec,
      answerRings: q.answerRings,
      stickyAgentSec: q.stickyAgentSec,
      maxWaitSec: 0,
    };
    return { def, arrivals, handle, patienceSec: q.patienceSec ?? null, ...(q.vip ? { vip: { share: q.vip.share, priority: q.vip.priority } } : {}) };
  });
  f.queues.forEach((q, qi) => {
    if (q.overflow.toQueue !== undefined && !seenQueues.has(q.overflow.toQueue)) report(['queues', qi, 'overflow', 'toQueue'], `unknown queue ${q.overflow.toQueue}`);
  });

  const minRingSec = f.queues.reduce((m, q) => Math.min(m, q.answerRings), Number.POSITIVE_INFINITY) * f.ringCadenceSec;
  const groupNames = new Set<string>();
  const agents: AgentGroup[] = f.agents.map((g, gi) => {
    if (groupNames.has(g.group)) report(['agents', gi, 'group'], `group ${g.group} is defined twice`);
    groupNames.add(g.group);
    const seen = new Set<string>();
    const agentSkills: AgentSkill[] = g.skills.map((s, si) => {
      const k: AgentSkill = typeof s === 'string' ? { skill: s, level: 1, primary: true } : { skill: s.skill, level: s.level as SkillLevel, primary: s.primary };
      if (!skills.has(k.skill)) report(['agents', gi, 'skills', si], `unknown skill ${k.skill} (add it to skills)`);
      if (seen.has(k.skill)) report(['agents', gi, 'skills', si], `skill ${k.skill} listed twice`);
      seen.add(k.skill);
      return k;
    });
    const shifts = (g.shifts ?? [{ start: 0, end: f.hours + f.drainHours }]).map((s, si) => {
      const startSec = hoursOf(s.start) * 3600;
      const endSec = hoursOf(s.end) * 3600;
      if (endSec <= startSec) report(['agents', gi, 'shifts', si, 'end'], 'a shift must end after it starts');
      return { startSec, endSec };
    });
    if (g.answerAfterSec >= minRingSec) {
      report(['agents', gi, 'answerAfterSec'], `must be below the shortest no-answer time (${minRingSec} s = answerRings × ringCadenceSec); use ronaProbability for missed calls`);
    }
    return {
      name: g.group,
      count: g.count,
      skills: agentSkills,
      shifts,
      breaks: g.breaks.map((b) => ({ afterSec: hoursOf(b.after) * 3600, durationSec: b.minutes * 60, spreadSec: b.spreadMinutes * 60, reason: b.reason })),
      ronaProbability: g.ronaProbability,
      answerAfterSec: g.answerAfterSec,
      missedReadyAfterSec: g.missedReadyAfterSec,
      ...(g.supervisor ? { supervisor: true } : {}),
    };
  });
  const simPlan = f.plan ? planOf(f.plan, seenQueues, report) : undefined;
  const simCallbacks: SimCallbacks | undefined = f.callbacks
    ? {
        afterAbandonSec: f.callbacks.afterAbandonSec,
        abandonShare: f.callbacks.abandonShare,
        offerAfterSec: f.callbacks.offerAfterSec ?? null,
        offerAcceptShare: f.callbacks.offerAcceptShare,
        deadlineSec: f.callbacks.deadlineHours === undefined ? null : f.callbacks.deadlineHours * 3600,
        maxAgents: f.callbacks.maxAgents,
        handle: f.callbacks.handleTime ? durationOf(f.callbacks.handleTime) : null,
      }
    : undefined;

  const sc: Scenario = {
    name: f.name,
    horizonSec,
    warmupSec: f.warmupHours * 3600,
    maxDrainSec: f.drainHours * 3600,
    ringCadenceSec: f.ringCadenceSec,
    skills: f.skills,
    queues,
    agents,
    callerPool: f.callerPool,
    batches: f.batches,
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(simPlan ? { plan: simPlan } : {}),
    ...(simCallbacks ? { callbacks: simCallbacks } : {}),
  };
  // The ACD's own validation last: whatever it refuses, the simulator must not run.
  if (problems > 0) return sc;
  try {
    validateSetup({ skills: sc.skills, queues: queues.map((q) => q.def) });
  } catch (e) {
    if (isAcdError(e)) report(['queues'], e.message);
    else throw e;
  }
  return sc;
}

function durationOf(h: z.infer<typeof handleTime>): DurationSpec {
  return h.distribution === 'lognormal' ? { distribution: 'lognormal', meanSec: h.meanSec, sdSec: h.sdSec! } : { distribution: h.distribution, meanSec: h.meanSec };
}

type FileRule = z.infer<typeof planRule>;

function ruleOverride(r: FileRule): Partial<PlanRule> {
  const ms = (m: number | undefined): number | undefined => (m === undefined ? undefined : Math.round(m * 60_000));
  const o: Partial<PlanRule> = {};
  if (r.level1 !== undefined) o.level1 = r.level1;
  if (r.level2 !== undefined) o.level2 = r.level2;
  if (r.clear1 !== undefined) o.clear1 = r.clear1;
  if (r.clear2 !== undefined) o.clear2 = r.clear2;
  const sustain = ms(r.sustainMinutes);
  const standDown = ms(r.standDownMinutes);
  const dip = ms(r.dipMinutes);
  if (sustain !== undefined) o.sustainMs = sustain;
  if (standDown !== undefined) o.standDownMs = standDown;
  if (dip !== undefined) o.dipMs = dip;
  return o;
}

/** The plan's rules over the standard's defaults (src/acd/peak-plan.ts), each checked by the engine's own rule check. */
function planOf(p: z.infer<typeof plan>, queueIds: ReadonlySet<string>, report: Report): SimPlan {
  const { queues: perQueue, breakReturnMinutes, resumeBreaksEveryMinutes, ...own } = p;
  const hotline = mergeRule(DEFAULT_PLAN_RULE, ruleOverride(own));
  for (const problem of ruleProblems(hotline)) report(['plan'], problem);
  const queues: Record<string, PlanRule> = {};
  for (const [q, r] of Object.entries(perQueue)) {
    if (!queueIds.has(q)) report(['plan', 'queues', q], `unknown queue ${q}`);
    queues[q] = mergeRule(hotline, ruleOverride(r));
    for (const problem of ruleProblems(queues[q])) report(['plan', 'queues', q], problem);
  }
  return { rules: { hotline, queues }, breakReturnSec: breakReturnMinutes * 60, resumeBreaksEverySec: resumeBreaksEveryMinutes * 60 };
}
