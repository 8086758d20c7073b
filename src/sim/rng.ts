/**
 * The simulator's randomness: one seeded generator per run, so `--seed N` reproduces a run exactly on any
 * machine (Math.random cannot be seeded). xoshiro128** (Blackman & Vigna, 2018) on 32-bit integer maths, seeded
 * through splitmix32 so that nearby seeds give unrelated streams; period 2^128 − 1, far beyond the ~10^8 draws of
 * a simulated day.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      // splitmix32
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // An all-zero state would stay zero forever; splitmix32 cannot produce four zeros in a row, but be explicit.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  uniformPositive(): number {
    return 1 - this.uniform();
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(this.uniformPositive());
  }

  /** Standard normal (Box–Muller; the second value is dropped to keep the stream simple to reason about). */
  normal(): number {
    const u = this.uniformPositive();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.uniform() < p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** How long something lasts, in seconds: talk time and similar. */
export type DurationSpec =
  | { distribution: 'exponential'; meanSec: number }
  | { distribution: 'lognormal'; meanSec: number; sdSec: number }
  | { distribution: 'constant'; meanSec: number };

/** A sampler of seconds for a duration spec. Log-normal is parameterised by its own mean and standard deviation
 * (what a call-centre report gives), converted to the underlying normal's μ and σ. */
export function durationSampler(spec: DurationSpec, rng: Rng): () => number {
  switch (spec.distribution) {
    case 'exponential': {
      const m = spec.meanSec;
      return () => rng.exponential(m);
    }
    case 'constant': {
      const m = spec.meanSec;
      return () => m;
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(spec.meanSec, spec.sdSec);
      return () => Math.exp(mu + sigma * rng.normal());
    }
  }
}

/** μ and σ of ln X for a log-normal X with the given mean and standard deviation. */
export function lognormalParams(mean: number, sd: number): { mu: number; sigma: number } {
  const sigma2 = Math.log1p((sd * sd) / (mean * mean));
  return { mu: Math.log(mean) - sigma2 / 2, sigma: Math.sqrt(sigma2) };
}
