/**
 * The three-ring rule (hotline standard §1): an offered seat must answer within N rings of the ring-back cadence
 * (China: 1 s on + 4 s off, so three rings = 15 s). Pure arithmetic, shared by the answer timer, the late-answer
 * whisper and the rings-to-answer KPI.
 */
export interface RingCadence {
  rings: number;
  onMs: number;
  offMs: number;
}

export function ringPeriodMs(c: RingCadence): number {
  return c.onMs + c.offMs;
}

/** How long a seat may ring before the call is redirected. */
export function answerWindowMs(c: RingCadence): number {
  return c.rings * ringPeriodMs(c);
}

/** Rings heard after `elapsedMs` of ringing: a ring counts once it has started (answer at 0.5 s = 1 ring). */
export function ringsHeard(elapsedMs: number, c: RingCadence): number {
  if (elapsedMs <= 0) return 1;
  return Math.floor(elapsedMs / ringPeriodMs(c)) + 1;
}
