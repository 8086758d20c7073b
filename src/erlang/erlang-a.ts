import { inverseErlangBReal } from './erlang-b.js';
import { digamma, lnLowerRegGamma, lnPoissonDensity } from './special.js';
import type { ErlangAMetrics } from './types.js';
import { DEFAULT_TARGET_TIME_SECONDS } from './types.js';
import { requireNonNegative, requirePositive, requireTraffic } from './validate.js';

export interface ErlangAInput {
  readonly trafficErlangs: number;
  readonly ahtSeconds: number;
  /** Whole or fractional number of agents (> 0). */
  readonly agents: number;
  /** Mean caller patience (exponentially distributed). */
  readonly patienceSeconds: number;
  readonly targetTimeSeconds?: number;
}

/**
 * Erlang A: the M/M/n+M queue of Palm (1943), in the closed forms of Garnett, Mandelbaum & Reiman, "Designing a
 * call center with impatient customers", Manufacturing & Service Operations Management 4(3), 2002, and
 * Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call centers" (2007 teaching note).
 *
 * With μ = 1/AHT, θ = 1/patience, λ = A·μ, a = nμ/θ and x = λ/θ:
 *   J       = Σ_{j≥0} Π_{i=1..j} λ/(nμ+iθ) = P(a,x)·Γ(a+1)·e^x / x^a     (P the regularized lower gamma)
 *   P(wait) = B·J / (1 + B·(J−1))                                           (B = Erlang B(n, A))
 *   P(abandon | wait) = 1 − (n/A)·(1 − 1/J)
 *   P(V > t | V > 0)  = P(a, x·e^{−θt}) / P(a, x)                           (V the offered wait)
 * and, integrating the offered-wait density f(t) ∝ exp(x(1−e^{−θt}) − nμt) against the patience survival e^{−θt}:
 *   P(answered within t | wait) = (a/x)·[P(a+1, x) − P(a+1, x·e^{−θt})] / P(a, x)
 *   E[wait of answered | wait]  = (1/θ)·[ln x − ψ(a+1) − ∂/∂a ln P(a+1, x)]
 * (the last is −d/ds ln E[e^{−sV}; V>0] at s = θ; E[e^{−sV} | V>0] = x^{−s/θ}·γ(a+s/θ, x)/γ(a, x)).
 * Everything is done in logarithms, so neither x^a nor e^x is ever formed; the tests check these against the
 * plain birth–death sums at moderate sizes.
 */
export function erlangAMetrics(input: ErlangAInput): ErlangAMetrics {
  const a = requireTraffic('trafficErlangs', input.trafficErlangs);
  const aht = requirePositive('ahtSeconds', input.ahtSeconds);
  const n = requirePositive('agents', input.agents);
  const patience = requirePositive('patienceSeconds', input.patienceSeconds);
  const t = requireNonNegative('targetTimeSeconds', input.targetTimeSeconds ?? DEFAULT_TARGET_TIME_SECONDS);
  return erlangAMetricsUnchecked(a, aht, n, patience, t);
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** As erlangAMetrics, for callers that validated already. */
export function erlangAMetricsUnchecked(traffic: number, aht: number, n: number, patience: number, t: number): ErlangAMetrics {
  if (traffic === 0) {
    return {
      model: 'erlang-a', agents: n, trafficErlangs: 0, probWait: 0, serviceLevel: 1, asaSeconds: 0, occupancy: 0,
      abandonRate: 0, serviceLevelExcludingAbandoned: 1, meanWaitAllSeconds: 0,
    };
  }
  const ratio = patience / aht; // μ/θ
  const a = n * ratio;
  const x = traffic * ratio;
  const r = inverseErlangBReal(n, traffic); // 1/B
  const lnPax = lnLowerRegGamma(a, x);
  const lnJ = lnPax - lnPoissonDensity(a, x);

  // P(wait) = 1 / (1 + (1 − B)/(B·J)), with B·J formed in logs (J may exceed the double range when n ≪ A).
  const probWait = 1 / (1 + (1 - 1 / r) * Math.exp(Math.log(r) - lnJ));
  const servedGivenWait = clamp01((n / traffic) * -Math.expm1(-lnJ));
  const abandonRate = clamp01(probWait * (1 - servedGivenWait));

  let servedWithinGivenWait = servedGivenWait;
  if (t > 0) {
    const y = x * Math.exp(-t / patience);
    servedWithinGivenWait -= Math.exp(Math.log(a / x) + lnLowerRegGamma(a + 1, y) - lnPax);
  }
  const serviceLevel = clamp01(1 - probWait + probWait * Math.max(0, servedWithinGivenWait));
  const answered = 1 - abandonRate;

  const waitAnsweredGivenWait = Math.max(0, waitOfAnsweredGivenWait(a, x, patience));
  const asaSeconds = answered > 0 ? (probWait * servedGivenWait * waitAnsweredGivenWait) / answered : 0;

  return {
    model: 'erlang-a',
    agents: n,
    trafficErlangs: traffic,
    probWait,
    serviceLevel,
    asaSeconds,
    occupancy: clamp01((traffic * answered) / n),
    abandonRate,
    serviceLevelExcludingAbandoned: answered > 0 ? clamp01(serviceLevel / answered) : 0,
    meanWaitAllSeconds: abandonRate * patience,
  };
}

/**
 * E[wait of an answered caller | they waited] = (1/θ)·[ln x − ψ(a+1) − ∂/∂a ln P(a+1, x)].
 *
 * Where P(a+1, x) comes from its series (x < a+2: enough agents, the usual case) we differentiate the series
 * term by term, P(a+1,x) = D(a+1,x)·S with S = Σ_k Π_{i≤k} x/(a+1+i), which cancels ln x − ψ exactly:
 *   result = (1/θ)·[1/(a+1) + Σ_k t_k H_k / S],   H_k = Σ_{i≤k} 1/(a+1+i)
 * — positive terms only, so full precision even at a ~ 10^8 (very patient callers), and Erlang C's
 * AHT/(n−A) as patience → ∞. Otherwise (fewer agents than the load needs) a central difference in a, whose
 * step scales with the √a width of the gamma transition; the waits there are long, so its ~1e-8 relative
 * error does not matter.
 */
function waitOfAnsweredGivenWait(a: number, x: number, patience: number): number {
  if (x < a + 2) {
    let term = 1;
    let sum = 1;
    let weighted = 0;
    let harmonic = 0;
    const cap = 1000 + Math.ceil(20 * Math.sqrt(a + x));
    for (let k = 1; k < cap; k++) {
      const d = a + 1 + k;
      harmonic += 1 / d;
      term *= x / d;
      sum += term;
      weighted += term * harmonic;
      if (term < sum * 1e-17 && x < d) break;
    }
    return patience * (1 / (a + 1) + weighted / sum);
  }
  const h = 1e-4 * Math.max(1, Math.sqrt(a));
  const dLnP = (lnLowerRegGamma(a + 1 + h, x) - lnLowerRegGamma(a + 1 - h, x)) / (2 * h);
  return patience * (Math.log(x) - digamma(a + 1) - dLnP);
}
