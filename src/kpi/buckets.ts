import { keyPrefix } from '../store/redis/keys.js';

/**
 * Where the live KPI counters live in Redis, beside the ACD's keys of the same hotline (same hash tag, so one Lua
 * call may touch them all):
 *   kpi:m:<minute> (hash, one per minute since the epoch, with a TTL): `<queue>|<field>` -> integer sum, and
 *     `*|st:<state>` -> milliseconds agents spent in that state during that minute (closed spans only)
 *   kpi:cursor (string): the last event stream entry counted
 *   kpi:calls (hash): call -> "<queue>|<enqueued at ms>" while the call is in the ACD (to bucket its outcome)
 *   kpi:since (hash): agent -> "<state>|<since ms>|<queue of its last call>"
 *   kpi:rec:<call> (string, TTL): this call's record was counted (record corrections are counted once)
 * Calls are counted in the minute they entered the queue (the report buckets them the same way).
 */
export function kpiPrefix(hotlineId: string): string {
  return `${keyPrefix(hotlineId)}kpi:`;
}

export const MINUTE_MS = 60_000;
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);

/** Integer sums kept per queue and minute. */
export const QUEUE_FIELDS = [
  'off', // entered the queue
  'ans', // answered by an agent
  'inT', // answered within the queue's target seconds
  'waitMs', // sum of waits until answer
  'abn', // abandoned while waiting or ringing
  'rona', // redirects on no answer
  'silent', // answered, then released by the silent-call script
  'talkMs', // sum of talk times (answer to hang-up) of answered calls, from their records
  'talkN',
  'rings', // sum of rings before answer of answered calls, from their records
  'ringsN',
  'wrapMs', // sum of wrap-up spans after this queue's calls
  'wrapN',
  'busyMs', // agents' on-call + wrap-up time on this queue's calls (closed spans): per-queue occupancy's numerator
  'idleMs', // ready + reserved + ringing time of the agents serving this queue, counted in EACH queue they serve
] as const;
export type QueueField = (typeof QUEUE_FIELDS)[number];
export type QueueSums = Record<QueueField, number>;

export const emptySums = (): QueueSums => Object.fromEntries(QUEUE_FIELDS.map((f) => [f, 0])) as QueueSums;

/** States whose time counts in occupancy: (on-call + wrap-up) / all of them. */
export const OCCUPANCY_STATES = ['ready', 'reserved', 'ringing', 'on-call', 'wrap-up'] as const;
/** Handling a call (occupancy's numerator), and available without one. */
export const BUSY_STATES: readonly string[] = ['on-call', 'wrap-up'];
export const IDLE_STATES: readonly string[] = ['ready', 'reserved', 'ringing'];

/**
 * Per-queue occupancy (standard §8: handling time / logged-in available time), for agents who serve several queues:
 *   busy(q) / (busy(q) + idle(q))
 * busy(q): the time agents spent on a call of queue q or in the wrap-up after one (by whichever agent);
 * idle(q): the ready, reserved and ringing time of the agents who serve q, counted in full in EACH queue they serve
 *   (idle time is available to every queue the agent serves; time on another queue's call is not available to q).
 * With one queue it is the hotline's occupancy. Null when q had no such time in the window.
 */
export const queueOccupancy = (busyMs: number, idleMs: number): number | null => (busyMs + idleMs > 0 ? busyMs / (busyMs + idleMs) : null);

/** The queue ids of an agent's compact serve entries ([queue, via, score] rows, as the ACD keeps them). */
export function servedQueues(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    return (JSON.parse(json) as [string, string, number][]).map((e) => e[0]);
  } catch {
    return [];
  }
}

/** How long a minute's counters are kept: a day and a bit, for the longest window and the wallboard's charts. */
export const BUCKET_TTL_SEC = 26 * 3600;

/**
 * Applies a batch of increments atomically, once: KEYS[1] is the guard (the cursor, or a record's marker); the
 * batch applies only if the guard still holds ARGV[1] (cursor) or does not exist yet (marker, ARGV[1] = '').
 * ARGV[2] the guard's new value, ARGV[3] its TTL in seconds (0: none), ARGV[4] a JSON list of operations:
 * ["i", key, field, n] HINCRBY · ["s", key, field, value] HSET · ["d", key, field] HDEL; every hash touched by "i"
 * gets the bucket TTL ARGV[5].
 */
export const APPLY_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur then return 0 end
elseif (cur or '0') ~= ARGV[1] then
  return 0
end
local ttl = tonumber(ARGV[5])
local seen = {}
for _, op in ipairs(cjson.decode(ARGV[4])) do
  if op[1] == 'i' then
    redis.call('HINCRBY', op[2], op[3], op[4])
    if not seen[op[2]] then
      seen[op[2]] = true
      redis.call('EXPIRE', op[2], ttl)
    end
  elseif op[1] == 's' then
    redis.call('HSET', op[2], op[3], op[4])
  elseif op[1] == 'd' then
    redis.call('HDEL', op[2], op[3])
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
`;

export type Op = ['i', string, string, number] | ['s', string, string, string] | ['d', string, string];
