/**
 * Queue order: call priority (VIP) first, then arrival. Encoded as ONE number so the Redis sorted set and the
 * in-memory index order calls identically: score = (MAX_CALL_PRIORITY - priority) * BAND + MID + seq.
 * `seq` grows with each arrival; a call sent back after no answer gets a negative seq, which puts it at the head
 * of its priority band (it had already reached the head once). Every value stays below 2^53, so doubles are exact.
 */
export const MAX_CALL_PRIORITY = 999;
export const QUEUE_BAND = 2 ** 40;
const MID = 2 ** 39;

export function queueScore(priority: number, seq: number): number {
  return (MAX_CALL_PRIORITY - priority) * QUEUE_BAND + MID + seq;
}

export function isValidCallPriority(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= MAX_CALL_PRIORITY;
}
