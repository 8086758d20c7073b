/**
 * Special functions the Erlang formulas need, written for the huge arguments of very large call centres
 * (10^6 Erlangs and beyond) where the textbook `x^a e^-x / Γ(a+1)` overflows or loses every digit.
 *
 * The key trick is Catherine Loader's saddle-point form of the Poisson density ("Fast and accurate computation
 * of binomial probabilities", 2000; also what R's dpois uses): ln(x^a e^-x / Γ(a+1)) is computed as
 * -stirlerr(a) - bd0(a, x) - ½ln(2πa), where bd0 is evaluated without cancellation when a ≈ x. That keeps
 * about 14 significant digits at any size, where lnΓ(a) - a·ln x + x would lose ~8 of them at a = 10^7.
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// Lanczos approximation (g = 7, n = 9; coefficients from Godfrey via Numerical Recipes 3rd ed. / Boost):
// ~15 significant digits for x ≥ 0.5, used only for small arguments where Stirling's series is not yet exact.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (x < 0.5) return lnGamma(x + 1) - Math.log(x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Error of Stirling's formula: lnΓ(a+1) − [(a+½)ln a − a + ½ln 2π]. */
export function stirlerr(a: number): number {
  if (a > 15) {
    const a2 = a * a;
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * a2)) / a2) / a2) / a2) / a;
  }
  return lnGamma(a + 1) - (a + 0.5) * Math.log(a) + a - LN_SQRT_2PI;
}

/** bd0(a, x) = a·ln(a/x) + x − a, without cancellation when a ≈ x (Loader 2000). */
export function bd0(a: number, x: number): number {
  if (Math.abs(a - x) < 0.1 * (a + x)) {
    let v = (a - x) / (a + x);
    let s = (a - x) * v;
    let ej = 2 * a * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return a * Math.log(a / x) + x - a;
}

/** ln( x^a e^-x / Γ(a+1) ) for a ≥ 0, x > 0: the log "Poisson density" at real a. */
export function lnPoissonDensity(a: number, x: number): number {
  if (a < 15) return a * Math.log(x) - x - lnGamma(a + 1);
  return -stirlerr(a) - bd0(a, x) - 0.5 * Math.log(2 * Math.PI * a);
}

const EPS = 1e-16;
const FPMIN = 1e-300;

function maxIterations(a: number, x: number): number {
  // Both expansions need O(√max(a,x)) terms near the transition a ≈ x; the cap only guards against a bug.
  return 1000 + Math.ceil(20 * Math.sqrt(Math.max(a, x)));
}

/**
 * ln P(a, x), the natural log of the regularized lower incomplete gamma function γ(a,x)/Γ(a), a > 0, x ≥ 0.
 * Series for x < a+1, Lentz continued fraction for Q = 1 − P otherwise (Numerical Recipes §6.2), with the
 * prefactor in Loader's form so it neither underflows nor loses digits at large a.
 */
export function lnLowerRegGamma(a: number, x: number): number {
  if (x <= 0) return Number.NEGATIVE_INFINITY;
  const lnD = lnPoissonDensity(a, x);
  const cap = maxIterations(a, x);
  if (x < a + 1) {
    // γ(a,x)/Γ(a) = D(a,x)·Σ_k x^k / ((a+1)…(a+k)); all terms positive, so relative accuracy is kept.
    let sum = 1;
    let term = 1;
    for (let k = 1; k < cap; k++) {
      term *= x / (a + k);
      sum += term;
      if (term < sum * EPS) break;
    }
    return lnD + Math.log(sum);
  }
  return Math.log1p(-Math.exp(lnUpperRegGammaCF(a, x, lnD, cap)));
}

/**
 * ln Q(a, x) = ln(1 − P(a, x)), the regularized upper incomplete gamma function, accurate in both tails: the
 * continued fraction gives Q itself for x ≥ a + 1 (where P → 1 would cancel), and for x < a + 1 P is at most
 * about ½, so log1p(−P) loses nothing.
 */
export function lnUpperRegGamma(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) return Math.log1p(-Math.exp(lnLowerRegGamma(a, x)));
  return lnUpperRegGammaCF(a, x, lnPoissonDensity(a, x), maxIterations(a, x));
}

/** ln Q(a, x) by the continued fraction; valid (fast-converging) for x ≥ a + 1. */
function lnUpperRegGammaCF(a: number, x: number, lnD: number, cap: number): number {
  // Γ(a,x)/Γ(a) = e^-x x^a / Γ(a) · h = a · D(a,x) · h
  return lnD + Math.log(a) + Math.log(upperGammaCFCapped(a, x, cap));
}

/**
 * Continued fraction value h with Γ(a, x) = e^-x x^a · h (for x ≥ a + 1). Used for the continuous Erlang B
 * at fractional agent counts, where 1/B(f, A) = A·h(f+1, A) needs no exponential at all.
 */
export function upperGammaCF(a: number, x: number): number {
  return upperGammaCFCapped(a, x, maxIterations(a, x));
}

/** Lentz's evaluation of the continued fraction for Γ(a, x), at most `cap` terms. */
function upperGammaCFCapped(a: number, x: number, cap: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < cap; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Digamma ψ(x) for x > 0: recurrence up to x ≥ 10, then the asymptotic series (truncation error < 3e-14). */
export function digamma(x: number): number {
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    result +
    Math.log(x) -
    0.5 * inv -
    inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
  );
}
