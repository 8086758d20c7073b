import { lnGamma, lnLowerRegGamma, lnPoissonDensity, lnUpperRegGamma, upperGammaCF } from './special.js';

/**
 * Erlang B (blocking probability of M/M/n/n) kept as its reciprocal r = 1/B, because the stable recursion is
 * then division-free:
 *
 *   B(0) = 1,  B(n) = A·B(n−1) / (n + A·B(n−1))   ⇔   r(0) = 1,  r(n) = 1 + r(n−1)·n/A.
 *
 * All terms are positive, so relative rounding errors never grow (the map is a contraction in relative error).
 * r can exceed the double range only when B < 1e-308, i.e. B is zero for every practical purpose; callers treat
 * r = Infinity as B = 0 (never NaN).
 *
 * Starting point without iterating from 0: for whole n,
 *
 *   r(n) = 1/B(n, A) = Σ_{j=0..n} Π_{i<j} (n−i)/A      (expand the recursion; terms are n!/(k!·A^(n−k)))
 *
 * summed from j = 0. While n−i > A the terms grow, then they fall like a Gaussian of width √A, so the sum is
 * truncated after about (n−A)⁺ + 9√A terms once a term is below 1e-17 of the total: cost O(√A) near n ≈ A,
 * full double precision (positive terms only), and no overflow as long as n ≤ A + 10√A (largest term
 * ≈ e^((n−A)²/2A) ≤ e^50). This is what lets the staffing search start at the square-root-staffing point.
 */

const TRUNCATION = 1e-17;

/** Above this many agents a fractional 1/B is computed in closed form instead of by recursion from x − ⌊x⌋. */
const DIRECT_REAL_FROM = 64;

/** r(n) = 1/B(n, A) by the truncated finite sum; whole n ≥ 0, A > 0, n ≤ A + 10√A (no overflow). */
export function inverseErlangBSum(n: number, a: number): number {
  const invA = 1 / a;
  const invA2 = invA * invA;
  let sum = 1;
  let term = 1;
  let k = n;
  // Two terms per iteration: the products for both are formed independently, so the loop-carried chain is one
  // multiplication per two terms (this loop is most of the cost of a required-agents computation).
  while (k >= 2) {
    const first = term * (k * invA);
    term *= k * (k - 1) * invA2;
    sum += first + term;
    k -= 2;
    if (k < a && term < sum * TRUNCATION) return sum;
  }
  if (k === 1) sum += term * invA;
  return sum;
}

/** One recursion step: r(n) from r(n−1). */
export function stepInverseErlangB(r: number, n: number, a: number): number {
  return 1 + (r * n) / a;
}

/** 1/B(n, A) for whole n ≥ 0 and A > 0 in O(min(n, (n−A)⁺ + √A)) work. Returns Infinity when B < 1e-308. */
export function inverseErlangB(n: number, a: number): number {
  if (n === 0) return 1;
  const safeTop = Math.floor(a + 10 * Math.sqrt(a));
  if (n <= safeTop) return inverseErlangBSum(n, a);
  // Beyond A + 10√A, B shrinks faster than geometrically; recurse up from the safe top (early exit at B = 0).
  let r = safeTop > 0 ? inverseErlangBSum(safeTop, a) : 1;
  const invA = 1 / a;
  for (let k = safeTop + 1; k <= n; k++) {
    r = 1 + r * k * invA;
    if (r === Number.POSITIVE_INFINITY) break;
  }
  return r;
}

/**
 * 1/B(x, A) for real x ≥ 0 — the continuous extension of Erlang B (Jagerman, "Some properties of the Erlang
 * loss function", Bell System Technical Journal 53(3), 1974):
 *
 *   B(x, A) = A^x e^{−A} / Γ(x+1, A)     (Γ(s, A) the upper incomplete gamma function).
 *
 * We use it rather than interpolating between whole agent counts because it is the analytic function that
 * agrees with the recursion at every whole n, satisfies the same recursion at every real x, and is smooth and
 * strictly decreasing in x — so "fractional agents" keep every monotonicity the staffing search relies on.
 * Small x: r(f) at the fractional part f from the incomplete gamma function (continued fraction for A ≥ 2,
 * series below), then the recursion r(f+k) = 1 + r(f+k−1)·(f+k)/A up to x. Large x: directly
 *   1/B(x, A) = Q(x+1, A) / D(x, A),   D(x, A) = A^x e^{−A} / Γ(x+1)
 * with both factors in logarithms (special.ts), O(√A) work like the whole-number start; about 1e-12 relative
 * accuracy, checked against the recursion in the tests.
 */
export function inverseErlangBReal(x: number, a: number): number {
  const whole = Math.floor(x);
  const f = x - whole;
  if (f === 0) return inverseErlangB(whole, a);
  if (whole > DIRECT_REAL_FROM) return Math.exp(lnUpperRegGamma(x + 1, a) - lnPoissonDensity(x, a));
  let r: number;
  const s = f + 1;
  if (a >= s + 1) {
    // Γ(s, A) = e^{−A} A^s h  ⇒  1/B(f, A) = e^A A^{−f} Γ(f+1, A) = A·h  — no exponential needed.
    r = a * upperGammaCF(s, a);
  } else {
    // Small A: Γ(s, A) = Γ(s)·(1 − P(s, A)); A < 3 so e^A A^{−f} cannot overflow.
    const p = Math.exp(lnLowerRegGamma(s, a));
    r = Math.exp(a - f * Math.log(a) + lnGamma(s)) * (1 - p);
  }
  const invA = 1 / a;
  for (let k = 1; k <= whole; k++) {
    r = 1 + r * (f + k) * invA;
    if (r === Number.POSITIVE_INFINITY) break;
  }
  return r;
}

/** Erlang B blocking probability for n (whole or fractional) agents/trunks and A Erlangs. */
export function erlangB(agents: number, trafficErlangs: number): number {
  if (trafficErlangs === 0) return 0;
  return 1 / inverseErlangBReal(agents, trafficErlangs);
}

/**
 * Erlang C probability of waiting from 1/B: C = n·B / (n − A·(1 − B)) = n / (r·(n − A) + A). 1 when n ≤ A
 * (the queue is unstable: every caller waits, and the wait grows without bound).
 */
export function erlangCFromInverseB(n: number, a: number, r: number): number {
  if (n <= a) return 1;
  return n / (r * (n - a) + a);
}

/** Erlang C probability of waiting for n (whole or fractional) agents and A Erlangs. */
export function erlangC(agents: number, trafficErlangs: number): number {
  if (trafficErlangs === 0) return 0;
  if (agents <= trafficErlangs) return 1;
  return erlangCFromInverseB(agents, trafficErlangs, inverseErlangBReal(agents, trafficErlangs));
}
