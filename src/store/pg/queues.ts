import { ROUTING_POLICIES, type QueueDefinition, type SkillLevel } from '../../acd/model.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Db } from './db.js';
import { ensureSkills } from './skills.js';
import { NAME_RE, requireInt, requireLevel, requireMatch, requireText } from './validate.js';

interface QueueRow {
  id: string;
  name: string;
  priority: number;
  policy: QueueDefinition['policy'];
  // numeric columns arrive as strings (pg keeps their precision)
  overflow_secondary_after_sec: string | null;
  overflow_to_queue: string | null;
  overflow_queue_after_sec: string | null;
  sl_fraction: string;
  sl_seconds: string;
  wrap_up_sec: string;
  answer_rings: number;
  sticky_agent_sec: string;
  max_wait_sec: string;
  skills: { skill: string; minLevel: number }[] | null;
}

function requireSeconds(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1e7) {
    throw new InvalidInputError(field, `must be a number of seconds >= 0 (got ${JSON.stringify(v)})`);
  }
  return v;
}

function validate(q: QueueDefinition, i: number): QueueDefinition {
  const f = (name: string) => `queues[${i}].${name}`;
  requireMatch(f('id'), q.id, NAME_RE, 'a queue id (letters, digits, _ . -)');
  requireText(f('name'), q.name);
  requireInt(f('priority'), q.priority, -1000, 1000);
  if (!ROUTING_POLICIES.includes(q.policy)) throw new InvalidInputError(f('policy'), `must be one of ${ROUTING_POLICIES.join(', ')}`);
  q.requiredSkills.forEach((s, j) => {
    requireMatch(f(`requiredSkills[${j}].skill`), s.skill, NAME_RE, 'a skill name');
    requireLevel(f(`requiredSkills[${j}].minLevel`), s.minLevel);
  });
  const o = q.overflow;
  if (o.secondaryAfterSec !== undefined) requireSeconds(f('overflow.secondaryAfterSec'), o.secondaryAfterSec);
  if (o.queueAfterSec !== undefined) requireSeconds(f('overflow.queueAfterSec'), o.queueAfterSec);
  if (o.toQueue !== undefined) {
    requireMatch(f('overflow.toQueue'), o.toQueue, NAME_RE, 'a queue id');
    if (o.toQueue === q.id) throw new InvalidInputError(f('overflow.toQueue'), 'a queue cannot overflow to itself');
  }
  const sl = q.serviceLevel;
  if (typeof sl.fraction !== 'number' || !(sl.fraction > 0 && sl.fraction <= 1)) {
    throw new InvalidInputError(f('serviceLevel.fraction'), `must be in (0, 1], e.g. 0.8 (got ${JSON.stringify(sl.fraction)})`);
  }
  requireSeconds(f('serviceLevel.seconds'), sl.seconds);
  if (sl.seconds === 0) throw new InvalidInputError(f('serviceLevel.seconds'), 'must be more than 0');
  requireSeconds(f('wrapUpSec'), q.wrapUpSec);
  requireInt(f('answerRings'), q.answerRings, 1);
  requireSeconds(f('stickyAgentSec'), q.stickyAgentSec);
  requireSeconds(f('maxWaitSec'), q.maxWaitSec);
  return q;
}

/**
 * The persisted copy of the queue definitions. ivr-flows/queues.yaml is the source of truth; on load (start-up and
 * hot reload) the whole set is upserted here, so reports can join call records to queue settings.
 */
export class QueueRepository {
  constructor(private readonly db: Db) {}

  /**
   * Replace the stored definitions with `defs` in one transaction: new and changed queues are written, queues no
   * longer in the file are deactivated (call records keep naming them), required skills are created if missing.
   */
  async upsertAll(defs: readonly QueueDefinition[]): Promise<void> {
    defs.forEach(validate);
    const ids = new Set<string>();
    defs.forEach((q, i) => {
      if (ids.has(q.id)) throw new InvalidInputError(`queues[${i}].id`, `queue ${q.id} is defined twice`);
      ids.add(q.id);
    });
    defs.forEach((q, i) => {
      if (q.overflow.toQueue !== undefined && !ids.has(q.overflow.toQueue)) {
        throw new InvalidInputError(`queues[${i}].overflow.toQueue`, `unknown queue ${q.overflow.toQueue}`);
      }
    });
    await this.db.tx('upsert queues', async (c) => {
      await ensureSkills(c, defs.flatMap((q) => q.requiredSkills.map((s) => s.skill)), true);
      for (const q of defs) {
        await c.query(
          `INSERT INTO queues (id, name, priority, policy, overflow_secondary_after_sec, overflow_to_queue,
                               overflow_queue_after_sec, sl_fraction, sl_seconds, wrap_up_sec, answer_rings,
                               sticky_agent_sec, max_wait_sec, active, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, true, now())
           ON CONFLICT (id) DO UPDATE SET
             name = EXCLUDED.name, priority = EXCLUDED.priority, policy = EXCLUDED.policy,
             overflow_secondary_after_sec = EXCLUDED.overflow_secondary_after_sec,
             overflow_to_queue = EXCLUDED.overflow_to_queue, overflow_queue_after_sec = EXCLUDED.overflow_queue_after_sec,
             sl_fraction = EXCLUDED.sl_fraction, sl_seconds = EXCLUDED.sl_seconds, wrap_up_sec = EXCLUDED.wrap_up_sec,
             answer_rings = EXCLUDED.answer_rings, sticky_agent_sec = EXCLUDED.sticky_agent_sec,
             max_wait_sec = EXCLUDED.max_wait_sec, active = true, updated_at = now()`,
          [
            q.id, q.name, q.priority, q.policy, q.overflow.secondaryAfterSec ?? null, q.overflow.toQueue ?? null,
            q.overflow.queueAfterSec ?? null, q.serviceLevel.fraction, q.serviceLevel.seconds, q.wrapUpSec,
            q.answerRings, q.stickyAgentSec, q.maxWaitSec,
          ],
        );
        await c.query('DELETE FROM queue_skills WHERE queue_id = $1', [q.id]);
        if (q.requiredSkills.length > 0) {
          await c.query(
            'INSERT INTO queue_skills (queue_id, skill_id, min_level) SELECT $1, * FROM unnest($2::text[], $3::smallint[])',
            [q.id, q.requiredSkills.map((s) => s.skill), q.requiredSkills.map((s) => s.minLevel)],
          );
        }
      }
      await c.query('UPDATE queues SET active = false, updated_at = now() WHERE active AND NOT (id = ANY($1::text[]))', [[...ids]]);
    });
  }

  /** Active queues, as the ACD model describes them. */
  async list(): Promise<QueueDefinition[]> {
    const r = await this.db.query<QueueRow>(
      'list queues',
      `SELECT q.*,
              (SELECT json_agg(json_build_object('skill', s.skill_id, 'minLevel', s.min_level) ORDER BY s.skill_id)
                 FROM queue_skills s WHERE s.queue_id = q.id) AS skills
         FROM queues q WHERE q.active ORDER BY q.priority DESC, q.id`,
    );
    return r.rows.map((row) => {
      const overflow: QueueDefinition['overflow'] = {};
      if (row.overflow_secondary_after_sec !== null) overflow.secondaryAfterSec = Number(row.overflow_secondary_after_sec);
      if (row.overflow_to_queue !== null) overflow.toQueue = row.overflow_to_queue;
      if (row.overflow_queue_after_sec !== null) overflow.queueAfterSec = Number(row.overflow_queue_after_sec);
      return {
        id: row.id,
        name: row.name,
        requiredSkills: (row.skills ?? []).map((s) => ({ skill: s.skill, minLevel: s.minLevel as SkillLevel })),
        priority: row.priority,
        policy: row.policy,
        overflow,
        serviceLevel: { fraction: Number(row.sl_fraction), seconds: Number(row.sl_seconds) },
        wrapUpSec: Number(row.wrap_up_sec),
        answerRings: row.answer_rings,
        stickyAgentSec: Number(row.sticky_agent_sec),
        maxWaitSec: Number(row.max_wait_sec),
      };
    });
  }
}
