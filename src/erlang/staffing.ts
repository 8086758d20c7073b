import { inverseErlangB, inverseErlangBReal, erlangCFromInverseB } from './erlang-b.js';
import { erlangAMetricsUnchecked } from './erlang-a.js';
import type { Targets } from './types.js';
import { DEFAULT_SERVICE_LEVEL, DEFAULT_TARGET_TIME_SECONDS } from './types.js';
import {
  requireFractionAboveZero,
  requireFractionBelowOne,
  requireNonNegative,
  requirePositive,
  requireTraffic,
} from './validate.js';

export interface StaffingInput extends Targets {
  readonly trafficErlangs: number;
  readonly ahtSeconds: number;
  /** Mean caller patience: when given, size with Erlang A (abandoned callers count as service-level failures). */
  readonly patienceSeconds?: number;
}

/** Validated, defaulted staffing problem; `asaSeconds` 0 and `maxOccupancy` 1 mean "no such target". */
interface Problem {
  a: number;
  aht: number;
  sl: number;
  tt: number;
  asa: number;
  maxOcc: number;
  patience: number;
}

function problem(input: StaffingInput): Problem {
  return {
    a: requireTraffic('trafficErlangs', input.trafficErlangs),
    aht: requirePositive('ahtSeconds', input.ahtSeconds),
    sl: requireFractionBelowOne('serviceLevel', input.serviceLevel ?? DEFAULT_SERVICE_LEVEL),
    tt: requireNonNegative('targetTimeSeconds', input.targetTimeSeconds ?? DEFAULT_TARGET_TIME_SECONDS),
    asa: input.asaSeconds === undefined ? 0 : requirePositive('asaSeconds', input.asaSeconds),
    maxOcc: input.maxOccupancy === undefined ? 1 : requireFractionAboveZero('maxOccupancy', input.maxOccupancy),
    patience: input.patienceSeconds === undefined ? 0 : requirePositive('patienceSeconds', input.patienceSeconds),
  };
}

/** Offered traffic in Erlangs: calls × AHT / interval. */
export function trafficErlangs(calls: number, intervalSeconds: number, ahtSeconds: number): number {
  requireNonNegative('calls', calls);
  requirePositive('intervalSeconds', intervalSeconds);
  requirePositive('ahtSeconds', ahtSeconds);
  return requireTraffic('trafficErlangs', (calls * ahtSeconds) / intervalSeconds);
}

/**
 * The smallest whole number of agents meeting every target given (service level, ASA, occupancy cap):
 * Erlang C, or Erlang A when `patienceSeconds` is set.
 */
export function requiredAgents(input: StaffingInput): number {
  if (input.patienceSeconds !== undefined) return requiredAgentsErlangA(problem(input));
  // Validated into locals rather than through problem(): no allocation on the hot path of a staffing plan.
  return requiredAgentsErlangC(
    requireTraffic('trafficErlangs', input.trafficErlangs),
    requirePositive('ahtSeconds', input.ahtSeconds),
    requireFractionBelowOne('serviceLevel', input.serviceLevel ?? DEFAULT_SERVICE_LEVEL),
    requireNonNegative('targetTimeSeconds', input.targetTimeSeconds ?? DEFAULT_TARGET_TIME_SECONDS),
    input.asaSeconds === undefined ? 0 : requirePositive('asaSeconds', input.asaSeconds),
    input.maxOccupancy === undefined ? 1 : requireFractionAboveZero('maxOccupancy', input.maxOccupancy),
  );
}

/** Lowest agent count any Erlang C target can accept: more agents than traffic, and under the occupancy cap. */
function lowerBound(a: number, maxOcc: number): number {
  let n = Math.floor(a) + 1;
  if (maxOcc < 1) n = Math.max(n, Math.ceil((a / maxOcc) * (1 - 1e-12)));
  return n;
}

/**
 * Erlang C minimum agents in one pass (arguments already validated; asa 0 = none, maxOcc 1 = none).
 *
 * Service level, ASA and occupancy all improve monotonically with n, so the answer is the first n from the
 * lower bound that meets them all. We evaluate 1/B once at the lower bound ⌊A⌋+1 (or A/maxOcc) with the
 * O(√A) truncated sum — that is the square-root-staffing start: the answer lies β√A above it with β ≈ 0.5–3
 * for real targets — and then walk up with one recursion step per candidate. Each check is division- and
 * exponential-free: e^{−(n−A)t/AHT} is carried as a running product, and with C = n/(r(n−A)+A):
 *   SL ≥ s   ⇔  n·e^{−(n−A)t/AHT} ≤ (1−s)·(r(n−A)+A)
 *   ASA ≤ w  ⇔  n·AHT ≤ w·(n−A)·(r(n−A)+A)
 * Total work O(√A) (O(A) for loads so small that √A ≈ A). r = Infinity (B below 1e-308) makes every check
 * pass rather than produce NaN, so the loop always ends: sl < 1 and w > 0 are met once B is small enough.
 */
export function requiredAgentsErlangC(a: number, aht: number, sl: number, tt: number, asa: number, maxOcc: number): number {
  if (a === 0) return 0;
  let n = lowerBound(a, maxOcc);
  let r = inverseErlangB(n, a);
  const invA = 1 / a;
  const slack = 1 - sl;
  const decay = Math.exp(-tt / aht);
  let e = Math.exp((-(n - a) * tt) / aht);
  for (;;) {
    const d = n - a;
    const denom = r * d + a;
    if (n * e <= slack * denom && (asa === 0 || n * aht <= asa * d * denom)) return n;
    n += 1;
    r = 1 + r * n * invA;
    e *= decay;
  }
}

function meetsErlangA(p: Problem, n: number): boolean {
  const m = erlangAMetricsUnchecked(p.a, p.aht, n, p.patience, p.tt);
  return (
    m.serviceLevel >= p.sl &&
    (p.asa === 0 || (m.asaSeconds !== null && m.asaSeconds <= p.asa)) &&
    m.occupancy <= p.maxOcc
  );
}

/**
 * Erlang A minimum agents. Abandonment lets a queue run with fewer agents than Erlangs, so there is no
 * n > A floor; each evaluation costs O(√A) (incomplete gamma functions), so we gallop up from ⌈A/2⌉ and
 * bisect — about 2·log2(A) evaluations — assuming, as for Erlang C, that the metrics are monotone in n.
 */
function requiredAgentsErlangA(p: Problem): number {
  if (p.a === 0) return 0;
  let lo = 0; // known to fail (no agents serve nobody)
  let hi = Math.max(1, Math.ceil(p.a / 2));
  while (!meetsErlangA(p, hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (meetsErlangA(p, mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The fractional agent count at which the binding target is met exactly (continuous Erlang B extension, see
 * erlang-b.ts), e.g. to add up fractional needs of many small queues before rounding. Bisection between
 * requiredAgents − 1 and requiredAgents to 1e-9 agents (12 digits above 1,000); O(√A) work per step (O(n) below
 * 64 agents), about 40 steps.
 */
export function requiredAgentsFractional(input: StaffingInput): number {
  const p = problem(input);
  if (p.a === 0) return 0;
  const whole = p.patience > 0 ? requiredAgentsErlangA(p) : requiredAgentsErlangC(p.a, p.aht, p.sl, p.tt, p.asa, p.maxOcc);
  const meets = p.patience > 0 ? (x: number) => meetsErlangA(p, x) : (x: number) => meetsErlangCReal(p, x);
  let lo = Math.max(whole - 1, p.patience > 0 ? 0 : p.a);
  let hi = whole;
  if (p.maxOcc < 1 && p.patience === 0) lo = Math.max(lo, p.a / p.maxOcc - 1e-9);
  // 1e-9 agents, or 12 significant digits at very large counts where doubles are coarser than that.
  while (hi - lo > 1e-9 * Math.max(1, hi * 1e-3)) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (mid > 0 && meets(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

function meetsErlangCReal(p: Problem, x: number): boolean {
  if (x <= p.a || p.a / x > p.maxOcc) return false;
  const c = erlangCFromInverseB(x, p.a, inverseErlangBReal(x, p.a));
  const sl = 1 - c * Math.exp((-(x - p.a) * p.tt) / p.aht);
  return sl >= p.sl && (p.asa === 0 || (c * p.aht) / (x - p.a) <= p.asa);
}

/**
 * Agents to schedule so that, after shrinkage (breaks, training, absence: the fraction of paid time not on the
 * phones), `required` remain: ⌈required / (1 − shrinkage)⌉ (kept fractional when `required` is).
 */
export function scheduledAgents(required: number, shrinkage: number): number {
  requireNonNegative('requiredAgents', required);
  requireFractionBelowOne('shrinkage', shrinkage);
  const raw = required / (1 - shrinkage);
  if (!Number.isInteger(required)) return raw;
  // A hair of tolerance so 8 / (1 − 0.2) = 10.000000000000002 stays 10.
  return Math.ceil(raw * (1 - 1e-12));
}
