/**
 * Counters of one queue over the measurement window, kept per batch of arrival time as well as in total. The
 * batches give honest confidence intervals: waits of successive callers are strongly correlated, so the usual
 * i.i.d. standard error would be far too small; means of long consecutive batches are nearly independent
 * (the batch-means method, e.g. Law & Kelton, "Simulation Modeling and Analysis", ch. 9.5).
 */
export class QueueStats {
  offered = 0;
  answered = 0;
  abandoned = 0;
  answeredWithin = 0;
  waitSumAnsweredMs = 0;
  maxWaitMs = 0;
  ringSumMs = 0;
  rona = 0;
  unfinished = 0;
  /** Callers who accepted a callback offered while waiting and left the queue (neither answered nor abandoned). */
  leftForCallback = 0;
  readonly bOffered: Float64Array;
  readonly bAnswered: Float64Array;
  readonly bAbandoned: Float64Array;
  readonly bWithin: Float64Array;
  readonly bWaitMs: Float64Array;

  constructor(readonly batches: number) {
    this.bOffered = new Float64Array(batches);
    this.bAnswered = new Float64Array(batches);
    this.bAbandoned = new Float64Array(batches);
    this.bWithin = new Float64Array(batches);
    this.bWaitMs = new Float64Array(batches);
  }

  arrived(batch: number): void {
    this.offered++;
    this.bOffered[batch]!++;
  }

  abandonedCall(batch: number): void {
    this.abandoned++;
    this.bAbandoned[batch]!++;
  }

  answeredCall(batch: number, waitMs: number, ringMs: number, within: boolean): void {
    this.answered++;
    this.bAnswered[batch]!++;
    this.waitSumAnsweredMs += waitMs;
    this.bWaitMs[batch]! += waitMs;
    this.ringSumMs += ringMs;
    if (waitMs > this.maxWaitMs) this.maxWaitMs = waitMs;
    if (within) {
      this.answeredWithin++;
      this.bWithin[batch]!++;
    }
  }

  addTo(total: QueueStats): void {
    total.offered += this.offered;
    total.answered += this.answered;
    total.abandoned += this.abandoned;
    total.answeredWithin += this.answeredWithin;
    total.waitSumAnsweredMs += this.waitSumAnsweredMs;
    total.maxWaitMs = Math.max(total.maxWaitMs, this.maxWaitMs);
    total.ringSumMs += this.ringSumMs;
    total.rona += this.rona;
    total.unfinished += this.unfinished;
    total.leftForCallback += this.leftForCallback;
    for (let b = 0; b < this.batches; b++) {
      total.bOffered[b]! += this.bOffered[b]!;
      total.bAnswered[b]! += this.bAnswered[b]!;
      total.bAbandoned[b]! += this.bAbandoned[b]!;
      total.bWithin[b]! += this.bWithin[b]!;
      total.bWaitMs[b]! += this.bWaitMs[b]!;
    }
  }
}

/** Agent time in the measurement window, by what the agent was doing (from the ACD's own state changes). */
export interface AgentTime {
  readyMs: number;
  /** reserved, ringing, on-call and wrap-up: time given to calls. */
  busyMs: number;
  notReadyMs: number;
}

export interface CallMetrics {
  calls: number;
  answered: number;
  abandoned: number;
  /** Calls still waiting or talking when the run (drain included) stopped; counted in `calls` only. */
  unfinished: number;
  /** Callers who took a callback offered while waiting (scenarios with `callbacks.offerAfterSec`); not answered
   * within the target, so they lower the service level like abandoned callers. */
  leftForCallback: number;
  /** Answered within the target time ÷ calls offered (abandoned callers count as failures). */
  serviceLevel: number;
  /** Answered within the target time ÷ answered. */
  serviceLevelExcludingAbandoned: number;
  /** Mean wait of answered calls, from arrival in the queue to pick-up (ringing included). */
  asaSeconds: number;
  abandonRate: number;
  answerRate: number;
  maxWaitSeconds: number;
  /** Mean rings heard by the caller before an agent picked up (ring time ÷ the ring cadence). */
  avgRings: number;
  /** Offers not answered in time (redirect on no answer). */
  rona: number;
  /** Half-widths of 95% confidence intervals from batch means (null with too little data). */
  ci95: { serviceLevel: number | null; asaSeconds: number | null; abandonRate: number | null };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function callMetrics(s: QueueStats, ringCadenceSec: number): CallMetrics {
  return {
    calls: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    unfinished: s.unfinished,
    leftForCallback: s.leftForCallback,
    serviceLevel: s.offered > 0 ? s.answeredWithin / s.offered : 1,
    serviceLevelExcludingAbandoned: s.answered > 0 ? s.answeredWithin / s.answered : 1,
    asaSeconds: ratio(s.waitSumAnsweredMs, s.answered) / 1000,
    abandonRate: ratio(s.abandoned, s.offered),
    answerRate: ratio(s.answered, s.offered),
    maxWaitSeconds: s.maxWaitMs / 1000,
    avgRings: ratio(s.ringSumMs, s.answered) / 1000 / ringCadenceSec,
    rona: s.rona,
    ci95: {
      serviceLevel: batchHalfWidth(s.bWithin, s.bOffered),
      asaSeconds: scaleOrNull(batchHalfWidth(s.bWaitMs, s.bAnswered), 1 / 1000),
      abandonRate: batchHalfWidth(s.bAbandoned, s.bOffered),
    },
  };
}

const scaleOrNull = (v: number | null, k: number): number | null => (v === null ? null : v * k);

/**
 * 95% half-width of a ratio estimated from batch ratios num[b]/den[b]: t(0.975, B−1) · sd / √B over the batches
 * that have data. Null with fewer than 5 usable batches: with so few, the interval itself is unreliable.
 */
export function batchHalfWidth(num: Float64Array, den: Float64Array): number | null {
  const xs: number[] = [];
  for (let b = 0; b < num.length; b++) if (den[b]! > 0) xs.push(num[b]! / den[b]!);
  const k = xs.length;
  if (k < 5) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / k;
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (k - 1);
  return tQuantile975(k - 1) * Math.sqrt(v / k);
}

/** Student t 0.975 quantile (Cornish–Fisher expansion around the normal; within 0.5% for df ≥ 4). */
export function tQuantile975(df: number): number {
  const z = 1.959964;
  const z3 = z ** 3;
  const z5 = z ** 5;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) + (3 * z ** 7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}
