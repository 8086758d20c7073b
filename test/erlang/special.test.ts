import { describe, expect, it } from 'vitest';
import { bd0, digamma, lnGamma, lnLowerRegGamma, lnPoissonDensity } from '../../src/erlang/special.js';

const EULER_GAMMA = 0.5772156649015329;

describe('special functions', () => {
  it('lnGamma matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    // lnΓ(101) = ln(100!) = 363.73937555556347 (standard tables of log-factorials)
    expect(lnGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });

  it('digamma: ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(x+1) = ψ(x) + 1/x', () => {
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 13);
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2, 13);
    for (const x of [0.3, 2.5, 7.25, 1234.5]) expect(digamma(x + 1) - digamma(x)).toBeCloseTo(1 / x, 12);
  });

  it('bd0 agrees with the direct formula away from a ≈ x and is non-negative', () => {
    expect(bd0(10, 3)).toBeCloseTo(10 * Math.log(10 / 3) + 3 - 10, 12);
    expect(bd0(1e6, 1e6)).toBe(0);
    expect(bd0(1e6 + 1, 1e6)).toBeGreaterThan(0);
    // a ln(a/x) + x − a ≈ (a−x)²/(2x) for a ≈ x
    expect(bd0(1e6 + 1000, 1e6)).toBeCloseTo(1000 ** 2 / (2 * 1e6) - 1000 ** 3 / (6 * 1e12), 6);
  });

  it('lnPoissonDensity is the Poisson pmf at whole a, with no overflow at huge arguments', () => {
    // P(X = 3 | λ = 2) = e^-2 2^3 / 3!
    expect(Math.exp(lnPoissonDensity(3, 2))).toBeCloseTo((Math.exp(-2) * 8) / 6, 15);
    // Poisson(10^6) at its mean: ≈ 1/√(2π·10^6) · (1 − 1/(12·10^6))
    expect(Math.exp(lnPoissonDensity(1e6, 1e6))).toBeCloseTo(1 / Math.sqrt(2 * Math.PI * 1e6), 10);
    expect(Number.isFinite(lnPoissonDensity(1e7, 1))).toBe(true);
  });

  it('regularized lower incomplete gamma: P(1,x) = 1 − e^−x and P(1/2, x) = erf(√x)', () => {
    for (const x of [0.01, 0.5, 1, 2, 5, 30]) {
      expect(Math.exp(lnLowerRegGamma(1, x))).toBeCloseTo(1 - Math.exp(-x), 14);
    }
    // erf(1) = 0.8427007929497149, erf(2) = 0.9953222650189527 (Abramowitz & Stegun table 7.1)
    expect(Math.exp(lnLowerRegGamma(0.5, 1))).toBeCloseTo(0.8427007929497149, 13);
    expect(Math.exp(lnLowerRegGamma(0.5, 4))).toBeCloseTo(0.9953222650189527, 13);
  });

  it('P(a, a) → 1/2 for large a (central limit), and is finite at extreme arguments', () => {
    // P(a, a) = 1/2 + 1/(3√(2πa)) + O(1/a): Temme's expansion of the median of the gamma distribution.
    const a = 1e6;
    expect(Math.exp(lnLowerRegGamma(a, a))).toBeCloseTo(0.5 + 1 / (3 * Math.sqrt(2 * Math.PI * a)), 8);
    expect(Number.isFinite(lnLowerRegGamma(1e7, 10))).toBe(true);
    expect(lnLowerRegGamma(10, 1e7)).toBeCloseTo(0, 15);
  });
});
