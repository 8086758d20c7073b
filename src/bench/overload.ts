import { Redis } from 'ioredis';
import { Db } from '../store/pg/db.js';
import { keyPrefix } from '../store/redis/keys.js';
import { sippDurationMs, sumColumns, type SippStatRow } from './sipp-stats.js';

/**
 * Issue 12's "Overload" requirement, measured by `acd bench sip-load --overload`: at twice the sustainable rate the
 * calls the hotline accepts complete with their prompts, the rest get 503 (or 480) with Retry-After at once, nothing
 * is left 60 s after the load stops (FreeSWITCH channels 0, no agent stuck, one call record per accepted call), and
 * the shedding follows the load (a share of the calls, not all-or-nothing).
 *
 * The caller's SIPp scenario (test/e2e/load/sipp/caller.xml) takes a 503/480 that carries Retry-After as its "shed"
 * branch; -trace_counts says how many calls went that way and when, the response-time counter "shed" how fast.
 * Everything here but the probes at the end is pure (test/bench/overload.test.ts).
 */

// ---------------------------------------------------------------------------------------------------------------
// SIPp: the shed calls, when and how fast

/** Calls shed so far in one -trace_counts line: the 503 and 480 the scenario received (its "shed" branch). */
export function shedInCounts(row: SippStatRow | undefined): number {
  return sumColumns(row, /^\d+_(503|480)_Recv$/);
}

/** Calls the far end answered (the INVITE's 200 OK: the caller scenario receives no other) in one -trace_counts line. */
export function answeredInCounts(row: SippStatRow | undefined): number {
  return sumColumns(row, /^\d+_200_Recv$/);
}

/** INVITEs sent so far (first transmissions, not retransmissions) in one -trace_counts line. */
export function invitesInCounts(row: SippStatRow | undefined): number {
  return sumColumns(row, /^\d+_INVITE_Sent$/);
}

/** Seconds since SIPp started, from a -trace_counts line's ElapsedTime (HH:MM:SS:µs) or its CurrentTime's epoch. */
function elapsedSec(row: SippStatRow, start: number): number {
  const elapsedMs = sippDurationMs(row['ElapsedTime']);
  if (Number.isFinite(elapsedMs)) return elapsedMs / 1000;
  const epoch = Number(/(\d+\.\d+)\s*$/.exec(row['CurrentTime'] ?? '')?.[1]);
  return Number.isFinite(epoch) ? epoch - start : NaN;
}

export interface ShedBucket {
  /** Seconds since the step started. */
  fromSec: number;
  toSec: number;
  /** INVITEs sent in the bucket. */
  offered: number;
  /** Of those INVITEs, the ones answered 503/480 within 1 s (by when the INVITE went out, not when the 503 came). */
  shed: number;
  /** shed / offered, percent; NaN without offers. */
  shedPct: number;
}

/** One -trace_rtt sample: when it ended (ms since SIPp started), how long it took, which response-time counter. */
export interface RttSample {
  atMs: number;
  ms: number;
  rtd: string;
}

/** SIPp's -trace_rtt file (`Date_ms;response_time_ms;rtd_no`, the counter by name). */
export function parseRtt(text: string): RttSample[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(';'))
    .filter((c) => c.length >= 3 && c[0] !== '')
    .map(([at, ms, rtd]) => ({ atMs: Number(at), ms: Number(ms), rtd: rtd! }))
    .filter((x) => Number.isFinite(x.atMs) && Number.isFinite(x.ms));
}

/** A shed is a refusal at once: a 503/480 within this long. Slower ones (a late refusal, or a set-up that timed out) count as failed (Slow503). */
export const SHED_WITHIN_MS = 1000;

/** The 503/480 of the "shed" branch, split at SHED_WITHIN_MS. */
export function shedSplit(rtt: readonly RttSample[]): { shed: number; slow: number } {
  const all = rtt.filter((x) => x.rtd === 'shed');
  const shed = all.filter((x) => x.ms < SHED_WITHIN_MS).length;
  return { shed, slow: all.length - shed };
}

/**
 * Shed fraction over time: per `bucketSec` bucket of the step, the INVITEs sent (the cumulative -trace_counts lines,
 * one a second with -fd 1) and, of the sheds (-trace_rtt samples of "shed" within SHED_WITHIN_MS), those whose
 * INVITE went out then (the sample's end minus its duration: a 503 that lags does not land in a later bucket).
 * Buckets after the last INVITE are left out (the load has stopped).
 */
export function shedTimeline(counts: readonly SippStatRow[], rtt: readonly RttSample[], bucketSec = 5): ShedBucket[] {
  const start = Number(/(\d+\.\d+)\s*$/.exec(counts[0]?.['CurrentTime'] ?? '')?.[1]);
  const points = counts.map((r) => ({ t: elapsedSec(r, start), offered: invitesInCounts(r) })).filter((p) => Number.isFinite(p.t));
  const total = points.reduce((m, p) => Math.max(m, p.offered), 0);
  const sheds = rtt.filter((x) => x.rtd === 'shed' && x.ms < SHED_WITHIN_MS).map((x) => (x.atMs - x.ms) / 1000);
  const out: ShedBucket[] = [];
  let prev = 0;
  for (let from = 0; prev < total && from < 3600 * 24; from += bucketSec) {
    const to = from + bucketSec;
    // The line nearest the bucket's end (cumulative counters; SIPp writes a line a few ms after each second).
    const near = points.reduce<(typeof points)[number] | undefined>((best, p) => (best === undefined || Math.abs(p.t - to) < Math.abs(best.t - to) ? p : best), undefined);
    const at = Math.max(prev, near?.offered ?? prev);
    const offered = at - prev;
    const shed = sheds.filter((t) => t >= from && t < to).length;
    out.push({ fromSec: from, toSec: to, offered, shed, shedPct: offered > 0 ? round((100 * shed) / offered, 1) : NaN });
    prev = at;
  }
  return out;
}

/**
 * The longest stretch in which the hotline refused every call: consecutive sheds in the order the INVITEs went out
 * (from -trace_rtt: "shed" within SHED_WITHIN_MS against "setup", a 200 OK), as calls and seconds from the first
 * INVITE of the stretch to the next one that was answered. The old fixed back-off showed here as seconds of sheds.
 */
export function longestRefusal(rtt: readonly RttSample[]): { calls: number; sec: number } {
  const calls = rtt
    .filter((x) => (x.rtd === 'shed' && x.ms < SHED_WITHIN_MS) || x.rtd === 'setup')
    .map((x) => ({ t: (x.atMs - x.ms) / 1000, shed: x.rtd === 'shed' }))
    .sort((a, b) => a.t - b.t);
  let best = { calls: 0, sec: 0 };
  let run: { from: number; n: number } | undefined;
  for (const c of [...calls, { t: calls[calls.length - 1]?.t ?? 0, shed: false }]) {
    if (c.shed) run = run ? { from: run.from, n: run.n + 1 } : { from: c.t, n: 1 };
    else if (run) {
      if (run.n > best.calls) best = { calls: run.n, sec: round(c.t - run.from, 2) };
      run = undefined;
    }
  }
  return best;
}

export interface ShedTiming {
  /** Mean INVITE → 503/480 (the "shed" response-time counter), ms. */
  meanMs: number;
  /** 503/480 received in under 100 ms, 500 ms, 1 s, 2 s, 5 s (each bucket from the previous bound), and at 5 s or more. */
  under: Record<string, number>;
}

/** The "shed" response time from the last -trace_stat line. */
export function shedTiming(rows: readonly SippStatRow[]): ShedTiming {
  const last = rows[rows.length - 1] ?? {};
  const under: Record<string, number> = {};
  for (const [k, v] of Object.entries(last)) {
    const m = /^ResponseTimeRepartitionshed_(<|>=)(\d+)$/.exec(k);
    if (m) under[`${m[1]}${m[2]}`] = Number(v) || 0;
  }
  return { meanMs: round(sippDurationMs(last['ResponseTimeshed(C)']), 1), under };
}

/** Shed calls answered within `ms` (a repartition boundary: 100, 500, 1000, 2000 or 5000). */
export function shedWithin(t: ShedTiming, ms: number): number {
  return Object.entries(t.under).reduce((n, [k, v]) => {
    const m = /^<(\d+)$/.exec(k);
    return m && Number(m[1]) <= ms ? n + v : n;
  }, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// After the load: what is left, and the verdicts

export interface Leftovers {
  /** FreeSWITCH `show channels count`. */
  fsChannels: number;
  /** Seats by ACD state (ready, on-call, ...). */
  agentStates: Record<string, number>;
  /** Calls the ACD still holds in Redis (c:<call> hashes). */
  acdCalls: number;
  /** Call records of the overload step (arrived after it started), by disposition. */
  records: Record<string, number>;
  /** Caller numbers with more than one record (each SIPp call has its own number). */
  duplicateRecords: number;
}

export interface OverloadStep {
  rate: number;
  sustainedRate: number;
  factor: number;
  offered: number;
  /** Calls the hotline accepted: answered with 200 OK (SIPp's count of the INVITE's 200). */
  accepted: number;
  completed: number;
  shed: number;
  failed: number;
  /** Reasons of the failed calls (SIPp's counters, NoAgentAnswered, NotPlaced) and the app's 503s by reason. */
  reasons: Record<string, number>;
  timing: ShedTiming;
  timeline: ShedBucket[];
  /** The longest stretch of consecutive refusals (longestRefusal). */
  longestRefusal: { calls: number; sec: number };
}

export interface Verdict {
  criterion: string;
  pass: boolean;
  detail: string;
}

/** The states an agent may be in once every call is over (this queue has no wrap-up). */
const SETTLED = new Set(['ready', 'not-ready', 'logged-out']);

export function overloadVerdicts(step: OverloadStep, left: Leftovers, settleSec: number): Verdict[] {
  const { accepted } = step;
  const slow = step.reasons['Slow503'] ?? 0;
  const rest = step.offered - accepted;
  const recordsTotal = Object.values(left.records).reduce((n, v) => n + v, 0);
  const answered = left.records['answered'] ?? 0;
  const stuck = Object.entries(left.agentStates).filter(([k]) => !SETTLED.has(k));
  const shedShare = step.offered > 0 ? step.shed / step.offered : 0;
  const arrivals = step.timeline.filter((b) => b.offered >= 3);
  const allShed = arrivals.filter((b) => b.shed === b.offered);
  const partial = arrivals.filter((b) => b.shed > 0 && b.shed < b.offered);
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    {
      criterion: 'accepted calls completed with their prompts',
      pass: accepted > 0 && step.completed === accepted,
      detail: `${step.completed} of ${accepted} accepted (200 OK) went through greeting, menu, queue and agent; ${accepted - step.completed} did not; all failed calls ${step.failed}${step.failed > 0 ? ` (${list(step.reasons)})` : ''}`,
    },
    {
      criterion: 'the rest shed with 503/480 + Retry-After at once',
      pass: step.shed > 0 && step.shed === rest,
      detail:
        `${rest} not accepted: ${step.shed} shed within 1 s (${round(100 * shedShare, 1)}% of offered), ${slow} answered 503 later (failed), ${rest - step.shed - slow} neither; ` +
        `mean time to 503 ${Number.isFinite(step.timing.meanMs) ? step.timing.meanMs : '-'} ms (all 503/480); a 503/480 without Retry-After fails`,
    },
    {
      criterion: `FreeSWITCH channels 0 after ${settleSec} s`,
      pass: left.fsChannels === 0,
      detail: `${left.fsChannels} channels`,
    },
    {
      criterion: 'no agent stuck',
      pass: stuck.length === 0 && left.acdCalls === 0,
      detail: `seats by state: ${list(left.agentStates)}; calls left in the ACD: ${left.acdCalls}`,
    },
    {
      criterion: 'one call record per accepted call, none for shed calls',
      pass: recordsTotal === accepted && answered === step.completed && left.duplicateRecords === 0,
      detail: `${recordsTotal} records (${list(left.records)}) for ${accepted} accepted calls, ${step.completed} completed; duplicate caller numbers ${left.duplicateRecords}`,
    },
    {
      criterion: 'shedding follows the load (not all-or-nothing)',
      pass: step.shed > 0 && step.completed > 0 && allShed.length === 0 && step.longestRefusal.sec < bucketWidth(step.timeline),
      detail:
        `${arrivals.length} buckets of ${bucketWidth(step.timeline)} s: ${partial.length} partly shed, ${allShed.length} shed entirely, ` +
        `${arrivals.length - partial.length - allShed.length} not shed; longest run of refusals ${step.longestRefusal.calls} calls in a row (${step.longestRefusal.sec} s)`,
    },
  ];
}

function bucketWidth(t: readonly ShedBucket[]): number {
  return t[0] ? t[0].toSec - t[0].fromSec : 0;
}

export function formatOverload(step: OverloadStep, left: Leftovers, verdicts: readonly Verdict[], settleSec: number): string[] {
  const out: string[] = [];
  out.push('', `overload: ${step.rate} calls/s = ${step.factor} × the sustainable ${step.sustainedRate} calls/s; checked ${settleSec} s after the last arrival`);
  out.push(`  offered ${step.offered}, accepted ${step.accepted}, completed ${step.completed}, shed ${step.shed} (${step.offered > 0 ? round((100 * step.shed) / step.offered, 1) : 0}%), failed ${step.failed}`);
  out.push(`  time to 503: mean ${Number.isFinite(step.timing.meanMs) ? step.timing.meanMs : '-'} ms; ${Object.entries(step.timing.under).map(([k, v]) => `${k} ms ${v}`).join(', ')}`);
  out.push('  shed over time, by INVITE time (SIPp -trace_counts, -trace_rtt): ' + step.timeline.map((b) => `${b.fromSec}-${b.toSec}s ${b.shed}/${b.offered}${Number.isFinite(b.shedPct) ? ` ${b.shedPct}%` : ''}`).join(' | '));
  for (const v of verdicts) out.push(`  ${v.pass ? 'PASS' : 'FAIL'}  ${v.criterion}: ${v.detail}`);
  out.push(`overload: ${verdicts.every((v) => v.pass) ? 'PASS' : 'FAIL'} (${verdicts.filter((v) => v.pass).length}/${verdicts.length} criteria)`);
  return out;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------------------------
// Probes (servers needed)

/** Seats by ACD state and the calls the ACD still holds, from Redis (keys of src/store/redis/keys.ts). */
export async function acdLeftovers(redisUrl: string, hotlineId: string): Promise<{ agentStates: Record<string, number>; acdCalls: number }> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const P = keyPrefix(hotlineId);
    const ids = await redis.smembers(`${P}agents`);
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hget(`${P}a:${id}`, 'state');
    const states = ((await pipe.exec()) ?? []).map(([, v]) => (typeof v === 'string' ? v : 'none'));
    const agentStates: Record<string, number> = {};
    for (const s of states) agentStates[s] = (agentStates[s] ?? 0) + 1;
    let acdCalls = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${P}c:*`, 'COUNT', 1000);
      cursor = next;
      acdCalls += keys.length;
    } while (cursor !== '0');
    return { agentStates, acdCalls };
  } finally {
    await redis.quit();
  }
}

/** Call records that arrived at or after `since` (epoch ms), by disposition, and caller numbers recorded twice. */
export async function recordsSince(url: string, schema: string, since: number): Promise<{ records: Record<string, number>; duplicateRecords: number }> {
  const db = new Db({ url, schema, max: 1 });
  try {
    const by = await db.query<{ disposition: string; n: string }>(
      'overload records',
      'SELECT disposition, count(*)::text AS n FROM call_records WHERE arrival_at >= to_timestamp($1::double precision / 1000) GROUP BY disposition',
      [since],
    );
    const dup = await db.query<{ n: string }>(
      'overload duplicate records',
      'SELECT count(*)::text AS n FROM (SELECT caller_number FROM call_records WHERE arrival_at >= to_timestamp($1::double precision / 1000) GROUP BY caller_number HAVING count(*) > 1) d',
      [since],
    );
    return { records: Object.fromEntries(by.rows.map((r) => [r.disposition, Number(r.n)])), duplicateRecords: Number(dup.rows[0]?.n ?? 0) };
  } finally {
    await db.close();
  }
}
