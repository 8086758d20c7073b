import { requiredAgents } from '../erlang/index.js';
import type { QueueSums } from './buckets.js';
import type { LiveQueueKpis } from './types.js';

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export interface QueueFigureInput {
  queueId: string;
  sums: QueueSums;
  target: { fraction: number; seconds: number };
  waiting: number;
  longestWaitSec: number;
  /** Length of the window the sums cover (seconds): the arrival rate is offered / windowSec. */
  windowSec: number;
  occupancy: number | null;
  loggedIn: number;
  ready: number;
}

/**
 * The KPI figures from a window's sums, with the definitions of hotline-standard.md §8 and of ReportRepository
 * .queueKpis: rates over offered, service level against the queue's own target, ASA over answered, ATT and rings over
 * the answered calls' records, AHT = ATT + mean wrap-up. Staffing: Erlang C on the window's arrival rate and AHT.
 */
export function queueFigures(i: QueueFigureInput): LiveQueueKpis {
  const s = i.sums;
  const attSec = s.talkN > 0 ? s.talkMs / s.talkN / 1000 : null;
  const ahtSec = attSec === null ? null : attSec + (s.wrapN > 0 ? s.wrapMs / s.wrapN / 1000 : 0);
  return {
    queueId: i.queueId,
    waiting: i.waiting,
    longestWaitSec: i.longestWaitSec,
    offered: s.off,
    answered: s.ans,
    abandoned: s.abn,
    answeredWithinTarget: s.inT,
    serviceLevel: ratio(s.inT, s.off),
    target: i.target,
    abandonRate: ratio(s.abn, s.off),
    answerRate: ratio(s.ans, s.off),
    asaSec: s.ans > 0 ? s.waitMs / s.ans / 1000 : null,
    attSec,
    ahtSec,
    occupancy: i.occupancy,
    avgRings: ratio(s.rings, s.ringsN),
    rona: s.rona,
    silent: s.silent,
    staffing: { required: staffingNeed(s.off, i.windowSec, ahtSec, i.target), loggedIn: i.loggedIn, ready: i.ready },
  };
}

/** Agents Erlang C asks for, for `offered` calls over `windowSec` at `ahtSec` against the target; null when unknown. */
export function staffingNeed(offered: number, windowSec: number, ahtSec: number | null, target: { fraction: number; seconds: number }): number | null {
  if (offered === 0) return 0;
  if (ahtSec === null || ahtSec <= 0 || windowSec <= 0) return null;
  try {
    return requiredAgents({
      trafficErlangs: (offered * ahtSec) / windowSec,
      ahtSeconds: ahtSec,
      // The engine needs a fraction below 1: a 100% target is asked as 99.99%.
      serviceLevel: Math.min(target.fraction, 0.9999),
      targetTimeSeconds: target.seconds,
    });
  } catch {
    return null;
  }
}

/** Alerts a wall screen shows: service level under the queue's target, longest wait over its maximum wait. */
export function queueAlerts(k: LiveQueueKpis, maxWaitSec: number): { queueId: string; kind: 'service-level' | 'longest-wait'; message: string }[] {
  const out: { queueId: string; kind: 'service-level' | 'longest-wait'; message: string }[] = [];
  if (k.serviceLevel !== null && k.serviceLevel < k.target.fraction) {
    out.push({
      queueId: k.queueId,
      kind: 'service-level',
      message: `${k.queueId}: service level ${(k.serviceLevel * 100).toFixed(1)}% under target ${(k.target.fraction * 100).toFixed(0)}% in ${k.target.seconds} s`,
    });
  }
  if (maxWaitSec > 0 && k.longestWaitSec > maxWaitSec) {
    out.push({ queueId: k.queueId, kind: 'longest-wait', message: `${k.queueId}: longest wait ${Math.round(k.longestWaitSec)} s over the limit ${maxWaitSec} s` });
  }
  return out;
}
