import { InvalidInputError } from '../../core/errors.js';
import type { Offer } from '../../acd/model.js';
import type { Db } from './db.js';
import { optionalTime, requireText, requireTime } from './validate.js';

export const OFFER_OUTCOMES = ['answered', 'rona', 'cancelled', 'rejected'] as const;
export type OfferOutcome = (typeof OFFER_OUTCOMES)[number];

/** One offer of a call to an agent, written when the offer ends (answered, ring-no-answer, caller gone, refused). */
export interface OfferRecord {
  callId: string;
  agentId: string;
  queueId?: string;
  via?: Offer['via'];
  offeredAt: number;
  endedAt?: number;
  outcome: OfferOutcome;
  /** Rings heard before the outcome (fractional: 1.4 rings is 7 s at 1 s on + 4 s off). */
  rings?: number;
}

export type StoredOffer = Omit<OfferRecord, 'outcome'> & { outcome: OfferOutcome | null };

const VIAS: readonly Offer['via'][] = ['primary', 'secondary', 'overflow-queue', 'sticky'];

export function offerParams(o: OfferRecord): unknown[] {
  if (!OFFER_OUTCOMES.includes(o.outcome)) throw new InvalidInputError('outcome', `must be one of ${OFFER_OUTCOMES.join(', ')}`);
  if (o.via !== undefined && !VIAS.includes(o.via)) throw new InvalidInputError('via', `must be one of ${VIAS.join(', ')}`);
  if (o.rings !== undefined && !(typeof o.rings === 'number' && o.rings >= 0 && o.rings < 10_000)) {
    throw new InvalidInputError('rings', 'must be a number of rings >= 0');
  }
  return [
    requireText('callId', o.callId),
    requireText('agentId', o.agentId),
    o.queueId ?? null,
    o.via ?? null,
    requireTime('offeredAt', o.offeredAt),
    optionalTime('endedAt', o.endedAt),
    o.outcome,
    o.rings ?? null,
  ];
}

export class OfferRepository {
  constructor(private readonly db: Db) {}

  /** Idempotent on (call, agent, offeredAt). Returns true when this call inserted the row. */
  async write(offer: OfferRecord): Promise<boolean> {
    const r = await this.db.query(
      'write offer',
      `INSERT INTO call_offers (call_id, agent_id, queue_id, via, offered_at, ended_at, outcome, rings)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (call_id, agent_id, offered_at) DO NOTHING`,
      offerParams(offer),
    );
    return r.rowCount === 1;
  }

  /** The call's offers in order; `outcome` is null for an offer still ringing. */
  async forCall(callId: string): Promise<StoredOffer[]> {
    const r = await this.db.query<{ call_id: string; agent_id: string; queue_id: string | null; via: Offer['via'] | null; offered_at: Date; ended_at: Date | null; outcome: OfferOutcome | null; rings: string | null }>(
      'offers for call',
      'SELECT * FROM call_offers WHERE call_id = $1 ORDER BY offered_at, id',
      [callId],
    );
    return r.rows.map((row) => {
      const o: StoredOffer = { callId: row.call_id, agentId: row.agent_id, offeredAt: row.offered_at.getTime(), outcome: row.outcome };
      if (row.queue_id !== null) o.queueId = row.queue_id;
      if (row.via !== null) o.via = row.via;
      if (row.ended_at !== null) o.endedAt = row.ended_at.getTime();
      if (row.rings !== null) o.rings = Number(row.rings);
      return o;
    });
  }
}
