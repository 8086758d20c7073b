import type { AgentState } from '../../acd/model.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Db } from './db.js';
import { requireInt, requireTime } from './validate.js';

/**
 * KPI reports straight from the records (hotline-standard.md §8): service level, abandon and answer rates, ASA,
 * talk time and average rings per queue and interval; answers, RONAs, rings and occupancy per agent; and the
 * dissatisfied ratings a team lead must review. Queue figures count a call in the interval it entered the queue
 * (its arrival when it never queued), as the live KPIs (src/kpi) do, so a closed interval's live figure equals the
 * report's whatever time callers spent in the menus first; agent figures count calls by arrival.
 */
export interface QueueKpi {
  queueId: string;
  /** Start of the interval (epoch ms). */
  intervalStart: number;
  /** Calls that entered the queue. */
  offered: number;
  answered: number;
  abandoned: number;
  answeredWithinTarget: number;
  /** answeredWithinTarget / offered, against the queue's own target seconds; null with nothing offered. */
  serviceLevel: number | null;
  target: { fraction: number; seconds: number };
  abandonRate: number | null;
  answerRate: number | null;
  /** Mean wait in queue until answer (ASA), seconds. */
  asaSec: number | null;
  /** Mean talk time (ATT), seconds. */
  attSec: number | null;
  /** Mean rings before the agent answered (standard: 2). */
  avgRings: number | null;
  /** Answered after more rings than the queue allows (each owed an apology). */
  lateAnswers: number;
}

export interface AgentKpi {
  agentId: string;
  name: string | null;
  answered: number;
  offers: number;
  /** Offers that rang out (redirect on no answer). */
  rona: number;
  avgRings: number | null;
  talkSec: number;
  /** Seconds spent in each state within the window. */
  stateSec: Partial<Record<AgentState, number>>;
  /** (on-call + wrap-up) / (ready + reserved + ringing + on-call + wrap-up); null when never available. */
  occupancy: number | null;
}

export interface LowRating {
  callId: string;
  agentId: string | null;
  queueId: string | null;
  rating: number;
  callerNumber: string | null;
  recordingPath: string | null;
  endedAt: number | null;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export class ReportRepository {
  constructor(private readonly db: Db) {}

  /** Per queue and interval of `intervalMin` minutes (aligned to `fromMs`) over [fromMs, toMs). */
  async queueKpis(fromMs: number, toMs: number, intervalMin = 30): Promise<QueueKpi[]> {
    const from = requireTime('from', fromMs);
    const to = requireTime('to', toMs);
    if (toMs <= fromMs) throw new InvalidInputError('to', 'must be after from');
    requireInt('intervalMin', intervalMin, 1, 1440);
    const r = await this.db.query<{
      queue_id: string;
      bucket: Date;
      offered: number;
      answered: number;
      abandoned: number;
      in_target: number;
      sl_fraction: string;
      sl_seconds: string;
      asa_sec: string | null;
      att_sec: string | null;
      avg_rings: string | null;
      late: number;
    }>(
      'queue KPIs',
      `SELECT c.queue_id,
              date_bin(make_interval(mins => $3), COALESCE(c.enqueue_at, c.arrival_at), $1) AS bucket,
              count(*) FILTER (WHERE c.enqueue_at IS NOT NULL OR c.disposition = 'answered')::int AS offered,
              count(*) FILTER (WHERE c.disposition = 'answered')::int AS answered,
              count(*) FILTER (WHERE c.disposition = 'abandoned')::int AS abandoned,
              count(*) FILTER (WHERE c.disposition = 'answered'
                AND c.answer_at - COALESCE(c.enqueue_at, c.arrival_at) <= make_interval(secs => COALESCE(q.sl_seconds, 20)))::int AS in_target,
              COALESCE(max(q.sl_fraction), 0.8) AS sl_fraction,
              COALESCE(max(q.sl_seconds), 20) AS sl_seconds,
              avg(extract(epoch FROM c.answer_at - COALESCE(c.enqueue_at, c.arrival_at))) FILTER (WHERE c.disposition = 'answered') AS asa_sec,
              avg(extract(epoch FROM c.hangup_at - c.answer_at)) FILTER (WHERE c.disposition = 'answered' AND c.hangup_at IS NOT NULL) AS att_sec,
              avg(c.rings_to_answer) FILTER (WHERE c.disposition = 'answered') AS avg_rings,
              count(*) FILTER (WHERE c.disposition = 'answered' AND c.rings_to_answer > COALESCE(q.answer_rings, 3))::int AS late
         FROM call_records c LEFT JOIN queues q ON q.id = c.queue_id
        WHERE COALESCE(c.enqueue_at, c.arrival_at) >= $1 AND COALESCE(c.enqueue_at, c.arrival_at) < $2 AND c.queue_id IS NOT NULL
          -- Inbound service KPIs (§8): a callback dialled out is not a call offered to the hotline.
          AND c.direction = 'inbound'
          -- No caller spends a day in the menus: the arrival index narrows the rows first.
          AND c.arrival_at >= $1::timestamptz - interval '1 day' AND c.arrival_at < $2
        GROUP BY c.queue_id, bucket
        ORDER BY bucket, c.queue_id`,
      [from, to, intervalMin],
    );
    return r.rows.map((row) => ({
      queueId: row.queue_id,
      intervalStart: row.bucket.getTime(),
      offered: row.offered,
      answered: row.answered,
      abandoned: row.abandoned,
      answeredWithinTarget: row.in_target,
      serviceLevel: ratio(row.in_target, row.offered),
      target: { fraction: Number(row.sl_fraction), seconds: Number(row.sl_seconds) },
      abandonRate: ratio(row.abandoned, row.offered),
      answerRate: ratio(row.answered, row.offered),
      asaSec: num(row.asa_sec),
      attSec: num(row.att_sec),
      avgRings: num(row.avg_rings),
      lateAnswers: row.late,
    }));
  }

  /** Per agent over [fromMs, toMs); state spans are clipped to the window (an open span runs to `nowMs`). */
  async agentKpis(fromMs: number, toMs: number, nowMs: number): Promise<AgentKpi[]> {
    const from = requireTime('from', fromMs);
    const to = requireTime('to', toMs);
    const now = requireTime('now', nowMs);
    const r = await this.db.query<{
      agent_id: string;
      name: string | null;
      answered: number | null;
      avg_rings: string | null;
      talk_sec: string | null;
      offers: number | null;
      rona: number | null;
      states: Record<string, number> | null;
    }>(
      'agent KPIs',
      `WITH calls AS (
         SELECT agent_id, count(*)::int AS answered, avg(rings_to_answer) AS avg_rings,
                COALESCE(sum(extract(epoch FROM hangup_at - answer_at)), 0) AS talk_sec
           FROM call_records
          WHERE disposition = 'answered' AND arrival_at >= $1 AND arrival_at < $2
          GROUP BY agent_id),
       offers AS (
         SELECT agent_id, count(*)::int AS offers, count(*) FILTER (WHERE outcome = 'rona')::int AS rona
           FROM call_offers WHERE offered_at >= $1 AND offered_at < $2 GROUP BY agent_id),
       spans AS (
         SELECT agent_id, state,
                sum(extract(epoch FROM LEAST(COALESCE(ended_at, $3), $2) - GREATEST(started_at, $1))) AS secs
           FROM agent_state_history
          WHERE started_at < LEAST($2, $3) AND (ended_at IS NULL OR ended_at > $1)
          GROUP BY agent_id, state),
       states AS (SELECT agent_id, json_object_agg(state, secs) AS states FROM spans WHERE secs > 0 GROUP BY agent_id),
       ids AS (SELECT agent_id FROM calls UNION SELECT agent_id FROM offers UNION SELECT agent_id FROM states)
       SELECT ids.agent_id, a.name, calls.answered, calls.avg_rings, calls.talk_sec, offers.offers, offers.rona, states.states
         FROM ids
         LEFT JOIN agents a ON a.id = ids.agent_id
         LEFT JOIN calls USING (agent_id)
         LEFT JOIN offers USING (agent_id)
         LEFT JOIN states USING (agent_id)
        ORDER BY ids.agent_id`,
      [from, to, now],
    );
    return r.rows.map((row) => {
      const stateSec = (row.states ?? {}) as Partial<Record<AgentState, number>>;
      const s = (k: AgentState): number => stateSec[k] ?? 0;
      const busy = s('on-call') + s('wrap-up');
      const available = busy + s('ready') + s('reserved') + s('ringing');
      return {
        agentId: row.agent_id,
        name: row.name,
        answered: row.answered ?? 0,
        offers: row.offers ?? 0,
        rona: row.rona ?? 0,
        avgRings: num(row.avg_rings),
        talkSec: Number(row.talk_sec ?? 0),
        stateSec,
        occupancy: ratio(busy, available),
      };
    });
  }

  /** Dissatisfied ratings (1–2) since `sinceMs`: the team lead listens to each within 2 hours (standard §6). */
  async lowRatings(sinceMs: number): Promise<LowRating[]> {
    const r = await this.db.query<{ call_id: string; agent_id: string | null; queue_id: string | null; survey_rating: number; caller_number: string | null; recording_path: string | null; hangup_at: Date | null }>(
      'low ratings',
      `SELECT call_id, agent_id, queue_id, survey_rating, caller_number, recording_path, hangup_at
         FROM call_records WHERE survey_rating <= 2 AND arrival_at >= $1 ORDER BY arrival_at`,
      [requireTime('since', sinceMs)],
    );
    return r.rows.map((row) => ({
      callId: row.call_id,
      agentId: row.agent_id,
      queueId: row.queue_id,
      rating: row.survey_rating,
      callerNumber: row.caller_number,
      recordingPath: row.recording_path,
      endedAt: row.hangup_at?.getTime() ?? null,
    }));
  }
}
