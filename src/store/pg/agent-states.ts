import { AGENT_STATES, NOT_READY_REASONS, type AgentState, type NotReadyReason } from '../../acd/model.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Db, Queryable } from './db.js';
import { requireText, requireTime } from './validate.js';

/** An agent entered `state` at `at` (the time stamped by the ACD's transition, not the time of this write). */
export interface AgentStateChange {
  agentId: string;
  state: AgentState;
  reason?: NotReadyReason;
  callId?: string;
  at: number;
  /** Orders changes within one millisecond (higher is later), as decimal digits (it may exceed 2^53); "0" when
   * the source has no finer order. */
  seq?: string;
}

export interface AgentStateSpan {
  agentId: string;
  state: AgentState;
  reason: NotReadyReason | null;
  callId: string | null;
  startedAt: number;
  endedAt: number | null;
}

export function agentStateParams(s: AgentStateChange): unknown[] {
  if (!AGENT_STATES.includes(s.state)) throw new InvalidInputError('state', `must be one of ${AGENT_STATES.join(', ')}`);
  if (s.reason !== undefined) {
    if (s.state !== 'not-ready') throw new InvalidInputError('reason', 'only a not-ready state has a reason');
    if (!NOT_READY_REASONS.includes(s.reason)) throw new InvalidInputError('reason', `must be one of ${NOT_READY_REASONS.join(', ')}`);
  }
  if (s.seq !== undefined && !/^\d{1,18}$/.test(s.seq)) throw new InvalidInputError('seq', 'must be a non-negative integer of at most 18 digits');
  return [requireText('agentId', s.agentId), s.state, s.reason ?? null, s.callId ?? null, requireTime('at', s.at), s.seq ?? '0'];
}

export class AgentStateHistoryRepository {
  constructor(private readonly db: Db) {}

  /**
   * Append a state span and close the one before it. Written so the result does not depend on arrival order: a
   * change replayed late from the outage spool still lands between its neighbours with the right end times, and a
   * repeated change (same agent and start time) is a no-op. Returns true when a row was inserted.
   */
  async record(change: AgentStateChange): Promise<boolean> {
    return this.db.tx('record agent state', (c) => recordAgentState(c, change));
  }

  async history(agentId: string, fromMs: number, toMs: number): Promise<AgentStateSpan[]> {
    const r = await this.db.query<{ agent_id: string; state: AgentState; reason: NotReadyReason | null; call_id: string | null; started_at: Date; ended_at: Date | null }>(
      'agent state history',
      `SELECT agent_id, state, reason, call_id, started_at, ended_at FROM agent_state_history
        WHERE agent_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)
        ORDER BY started_at, seq`,
      [agentId, new Date(fromMs), new Date(toMs)],
    );
    return r.rows.map((row) => ({
      agentId: row.agent_id,
      state: row.state,
      reason: row.reason,
      callId: row.call_id,
      startedAt: row.started_at.getTime(),
      endedAt: row.ended_at?.getTime() ?? null,
    }));
  }
}

/** The body of AgentStateHistoryRepository.record, for callers that already hold a transaction. */
export async function recordAgentState(c: Queryable, change: AgentStateChange): Promise<boolean> {
  const [agentId, state, reason, callId, at, seq] = agentStateParams(change);
  const ins = await c.query(
    `INSERT INTO agent_state_history (agent_id, state, reason, call_id, started_at, seq, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6,
             (SELECT min(started_at) FROM agent_state_history WHERE agent_id = $1 AND (started_at, seq) > ($5, $6)))
     ON CONFLICT (agent_id, started_at, seq) DO NOTHING`,
    [agentId, state, reason, callId, at, seq],
  );
  if (ins.rowCount === 1) {
    await c.query(
      `UPDATE agent_state_history SET ended_at = $2
        WHERE agent_id = $1 AND (started_at, seq) < ($2, $3) AND (ended_at IS NULL OR ended_at > $2)`,
      [agentId, at, seq],
    );
  }
  return ins.rowCount === 1;
}
