import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { AdmissionController, type AdmissionOptions, type SetupTicket } from '../../src/call/admission.js';
import { CallRegistry, type Admission, type LiveCall } from '../../src/call/registry.js';

const BASE: AdmissionOptions = { softIdleCpu: 30, hardIdleCpu: 10, latencyTargetMs: 500, maxSetups: 20 };

/** Admit until the first refusal; the tickets of the calls taken. */
function burst(c: AdmissionController, max = 1000): SetupTicket[] {
  const out: SetupTicket[] = [];
  for (let i = 0; i < max; i++) {
    const d = c.tryAdmit();
    if (!d.ok) break;
    out.push(d.setup);
  }
  return out;
}

/** The pattern of admit (A) and refuse (R) for `n` calls, each admitted set-up dropped at once (no learning). */
/** A ramp's ends: at its max nothing is admitted, at or below its soft value everything, and so without a reading. */
function rampEnds(c: AdmissionController, set: (reading: number | undefined) => void, max: number, low: number): void {
  set(max);
  expect(pattern(c, 4)).toBe('RRRR');
  set(low);
  expect(pattern(c, 4)).toBe('AAAA');
  set(undefined); // not measured yet
  expect(pattern(c, 4)).toBe('AAAA');
}

function pattern(c: AdmissionController, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const d = c.tryAdmit();
    if (d.ok) d.setup.dropped();
    s += d.ok ? 'A' : 'R';
  }
  return s;
}

describe('AdmissionController: shedding that follows the live load', () => {
  it('one slow set-up only trims the limit: the next call is taken at once, no blanket refusal', () => {
    const clock = new VirtualClock();
    const c = new AdmissionController(clock, { ...BASE, initialSetups: 10 }, () => 80);
    const slow = c.tryAdmit();
    if (!slow.ok) throw new Error('refused');
    clock.advance(501);
    slow.setup.succeeded();
    expect(c.state().setupLimit).toBe(9);
    // Still taking calls right away, up to the trimmed limit of set-ups in flight.
    expect(burst(c)).toHaveLength(9);
    expect(c.tryAdmit()).toEqual({ ok: false, reason: 'setup-limit', retryAfterSec: 3 });
  });

  it('refuses as media-down while no media server is in service, whatever the CPU and the limit say, and recovers with one', () => {
    const clock = new VirtualClock();
    let inService = 0;
    const c = new AdmissionController(clock, BASE, () => 90, () => inService);
    expect(c.tryAdmit()).toEqual({ ok: false, reason: 'media-down', retryAfterSec: 5 });
    expect(c.state().setupsInFlight).toBe(0);
    inService = 1;
    expect(c.tryAdmit().ok).toBe(true);
  });

  it('a failed set-up also trims the limit by 10 %; a report after the first is ignored', () => {
    const clock = new VirtualClock();
    const c = new AdmissionController(clock, { ...BASE, initialSetups: 10 }, () => undefined);
    const d = c.tryAdmit();
    if (!d.ok) throw new Error('refused');
    d.setup.failed();
    d.setup.failed();
    d.setup.succeeded();
    expect(c.state()).toEqual({ setupLimit: 9, setupsInFlight: 0, cpuAdmitFraction: 1, loopAdmitFraction: 1, loopBusy: undefined, mediaLagAdmitFraction: 1, mediaLagMs: undefined, rateLimit: Infinity });
  });

  it('a set-up still in flight past the target counts as slow at once (not only at its time-out), and only once', () => {
    const clock = new VirtualClock();
    const c = new AdmissionController(clock, { ...BASE, initialSetups: 10 }, () => undefined);
    const stuck = c.tryAdmit();
    if (!stuck.ok) throw new Error('refused');
    clock.advance(500);
    expect(c.state().setupLimit).toBe(10); // at the target: not late yet
    clock.advance(1);
    expect(c.state().setupLimit).toBe(9);
    clock.advance(9_499);
    expect(c.state().setupLimit).toBe(9);
    stuck.setup.failed(); // its time-out: already counted
    expect(c.state()).toMatchObject({ setupLimit: 9, setupsInFlight: 0 });
  });

  it('sustained time-outs bring admission down geometrically, a step at a time, never below one set-up', () => {
    const clock = new VirtualClock();
    const c = new AdmissionController(clock, { ...BASE, initialSetups: 20 }, () => undefined);
    const limits: number[] = [];
    const taken: number[] = [];
    for (let i = 0; i < 25; i++) {
      const calls = burst(c);
      taken.push(calls.length);
      clock.advance(10_000);
      calls[0]!.failed(); // one time-out per round; the rest of the round's set-ups end with nothing learnt
      for (const t of calls.slice(1)) t.dropped();
      limits.push(c.state().setupLimit);
    }
    expect(limits).toEqual([18, 16, 14, 13, 11, 10, 9, 8, 7, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1]);
    // Each round admits what the limit allows: down smoothly, and still one call at a time at the floor.
    expect(taken).toEqual([20, ...limits.slice(0, -1)]);
  });

  it('recovers as set-ups get quick again: each quick set-up while the limit is in use raises it by one, up to the ceiling', () => {
    const clock = new VirtualClock();
    const c = new AdmissionController(clock, { ...BASE, initialSetups: 1, maxSetups: 12 }, () => undefined);
    const limits: number[] = [];
    for (let round = 0; round < 6; round++) {
      const calls = burst(c);
      clock.advance(40);
      for (const t of calls) t.succeeded();
      limits.push(c.state().setupLimit);
    }
    // 1 → 2 → 4 → 7 (of 4 set-ups, the one that started alone did not use half the limit) → 11 → 12 (ceiling).
    expect(limits).toEqual([2, 4, 7, 11, 12, 12]);
  });

  it('an unused limit does not grow: quick set-ups one at a time leave it where it was', () => {
    const clock = new VirtualClock();
    const c = new AdmissionController(clock, { ...BASE, initialSetups: 10 }, () => undefined);
    for (let i = 0; i < 100; i++) {
      const d = c.tryAdmit();
      if (!d.ok) throw new Error('refused');
      clock.advance(40);
      d.setup.succeeded();
    }
    expect(c.state().setupLimit).toBe(10);
  });

  it("idle CPU is a ramp between the soft and the hard threshold, shared out exactly by an accumulator", () => {
    let idle: number | undefined = 20;
    const c = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000 }, () => idle);
    expect(pattern(c, 8)).toBe('RARARARA'); // 50 %
    idle = 15;
    expect(pattern(c, 8)).toBe('RRRARRRA'); // 25 %
    idle = 25;
    expect(pattern(c, 8)).toBe('RAAARAAA'); // 75 %
    idle = 12;
    expect(pattern(c, 20)).toBe('RRRRRRRRRARRRRRRRRRA'); // 10 %: ten steps of 0.1 make a whole call despite floats
    idle = 30;
    expect(pattern(c, 4)).toBe('AAAA');
    idle = 10;
    expect(pattern(c, 4)).toBe('RRRR');
    idle = 3;
    expect(pattern(c, 4)).toBe('RRRR');
    idle = undefined; // before the first heartbeat
    expect(pattern(c, 4)).toBe('AAAA');
    idle = Number.NaN;
    expect(pattern(c, 4)).toBe('AAAA');
  });

  it('the ramp does not bank credit while everything is admitted or refused, and 0 as the hard threshold turns it off', () => {
    let idle = 90;
    const c = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000 }, () => idle);
    expect(pattern(c, 50)).toMatch(/^A+$/);
    idle = 20;
    expect(pattern(c, 2)).toBe('RA');
    const off = new AdmissionController(new VirtualClock(), { ...BASE, hardIdleCpu: 0, maxSetups: 1000 }, () => 0);
    expect(pattern(off, 4)).toBe('AAAA');
    // soft at or below hard: a plain floor, as MEDIA_MIN_IDLE_CPU alone used to be.
    let idle2 = 10;
    const floor = new AdmissionController(new VirtualClock(), { ...BASE, softIdleCpu: 5, maxSetups: 1000 }, () => idle2);
    expect(pattern(floor, 2)).toBe('AA');
    idle2 = 9.9;
    expect(pattern(floor, 2)).toBe('RR');
  });

  it("the media server's control lag is a ramp too (soft 250 ms, max 1500 ms): refusals say media-slow, one share with the others", () => {
    let lag: number | undefined = 875; // half-way
    let busy = 0.5;
    const c = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000, loopBusySoft: 0.8, loopBusyMax: 0.95, mediaLagSoftMs: 250, mediaLagMaxMs: 1500 }, () => 90, () => 1, () => busy, () => lag);
    expect(pattern(c, 8)).toBe('RARARARA');
    expect(c.tryAdmit()).toEqual({ ok: false, reason: 'media-slow', retryAfterSec: 3 });
    expect(c.state()).toMatchObject({ mediaLagAdmitFraction: 0.5, mediaLagMs: 875 });
    c.tryAdmit();
    rampEnds(c, (v) => (lag = v), 1500, 250);
    // The loop stricter than the lag: its reason, its share.
    lag = 875;
    busy = 0.9125; // loop share 0.25
    expect(pattern(c, 8)).toBe('RRRARRRA');
    expect(c.tryAdmit()).toMatchObject({ ok: false, reason: 'app-busy' });
    // Off without mediaLagMaxMs, whatever the lag.
    const off = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000 }, () => 90, () => 1, () => undefined, () => 60_000);
    expect(pattern(off, 4)).toBe('AAAA');
  });

  it("the app's event loop is a ramp too (soft 0.8, max 0.95): refusals say app-busy, the stricter ramp of the two sets the share", () => {
    let busy: number | undefined = 0.875; // half-way
    let idle = 90;
    const c = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000, loopBusySoft: 0.8, loopBusyMax: 0.95 }, () => idle, () => 1, () => busy);
    expect(pattern(c, 8)).toBe('RARARARA');
    expect(c.tryAdmit()).toEqual({ ok: false, reason: 'app-busy', retryAfterSec: 3 });
    c.tryAdmit(); // the accumulator's admitted half
    rampEnds(c, (v) => (busy = v), 0.95, 0.5);
    // Both squeezed: one share, the stricter (25 % from the CPU), not 50 % of 25 %.
    busy = 0.875;
    idle = 15;
    expect(pattern(c, 8)).toBe('RRRARRRA');
    expect(c.tryAdmit()).toMatchObject({ ok: false, reason: 'media-cpu' });
    expect(c.state()).toMatchObject({ cpuAdmitFraction: 0.25, loopAdmitFraction: 0.5 });
    // Off without loopBusyMax (or 0), whatever the loop says.
    const off = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000 }, () => 90, () => 1, () => 1);
    expect(pattern(off, 4)).toBe('AAAA');
  });

  it('an app whose loop saturates at 10.5 calls/s, offered 20/s: the loop ramp keeps it below saturation and admits about 10/s', () => {
    const clock = new VirtualClock();
    // A call's work spread over its 13 s (set-up, prompts, the queue, the agent, the hang-up): 10 calls/s keep the
    // loop 95 % busy.
    const CALL_MS = 13_000;
    const admittedAt: number[] = [];
    const busy = (): number => Math.min(1, (admittedAt.filter((t) => t > clock.now() - CALL_MS).length * 0.095 * 1000) / CALL_MS);
    let readBusy: number | undefined;
    const c = new AdmissionController(clock, { ...BASE, maxSetups: 1000, loopBusySoft: 0.8, loopBusyMax: 0.95 }, () => 90, () => 1, () => readBusy);
    let saturated = 0;
    for (let ms = 0; ms < 120_000; ms += 50) {
      clock.advance(50);
      if (ms % 500 === 0) readBusy = busy(); // read every half second, as EventLoopLoad does
      if (busy() >= 1) saturated++;
      const d = c.tryAdmit(); // one call every 50 ms: 20 calls/s
      if (d.ok) {
        d.setup.succeeded();
        admittedAt.push(clock.now());
      }
    }
    const perSec = admittedAt.length / 120;
    expect(perSec).toBeGreaterThan(8.5);
    expect(perSec).toBeLessThan(10.5);
    expect(saturated).toBe(0);
  });

  it('the rate limit: the floor at once, then 1.5 % + 0.25 a second over the last second, only with headroom; refusals say rate-limit', () => {
    const clock = new VirtualClock(5_000_000);
    let busy: number | undefined = 0.5;
    const c = new AdmissionController(clock, { ...BASE, hardIdleCpu: 0, maxSetups: 1000, loopBusySoft: 0.9, loopBusyMax: 0.98, rateFloor: 20 }, () => undefined, () => 1, () => busy);
    // 100 calls/s offered for a second at a time: how many get in.
    const second = (): number => {
      let n = 0;
      for (let i = 0; i < 100; i++) {
        clock.advance(10);
        const d = c.tryAdmit();
        if (d.ok) {
          d.setup.succeeded();
          n++;
        } else expect(d).toEqual({ ok: false, reason: 'rate-limit', retryAfterSec: 1 });
      }
      return n;
    };
    const first = second();
    expect(first).toBeGreaterThanOrEqual(20);
    expect(first).toBeLessThanOrEqual(22); // the bucket starts with one call and holds 0.2 s
    const seconds = [first];
    for (let i = 0; i < 10; i++) seconds.push(second());
    // Each second about 1.5 % + 0.25 more than the one before: 20 → about 25 in ten seconds, never a jump.
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBeLessThanOrEqual(2);
    expect(seconds[10]).toBeGreaterThanOrEqual(24);
    expect(seconds[10]).toBeLessThanOrEqual(28);
    // The loop past 0.8 of its soft value (0.72): no growth, though nothing is shed by the loop yet.
    busy = 0.75;
    const held = [second(), second(), second(), second()];
    expect(Math.max(...held.slice(1))).toBeLessThanOrEqual(held[0]! + 1);
    expect(c.state().loopAdmitFraction).toBe(1);
    // Demand gone for a while: back to the floor, which is let in at once.
    clock.advance(5000);
    busy = 0.5;
    expect(c.state().rateLimit).toBe(20);
    // Off with a floor of 0 (the default): Infinity, nothing refused as rate-limit.
    const off = new AdmissionController(clock, { ...BASE, hardIdleCpu: 0, maxSetups: 1000 }, () => undefined);
    expect(off.state().rateLimit).toBe(Infinity);
  });

  it('a surge meets signals that trail it by ten seconds: the rate limit lets it in at the pace they can follow', () => {
    // A hotline that holds 40 calls/s, whose calls weigh on FreeSWITCH from 8 to 13 s after admission (the menu's
    // digit, the queue, the agent): its control lag shows the load of calls admitted ten seconds before. 20 calls/s
    // for 30 s, then 80/s for 30 s (the load bench's overload step after its warm-up).
    const run = (rateFloor: number, rateGrowth?: number, rateStep?: number): { peakHeavy: number; surgePerSec: number } => {
      const clock = new VirtualClock();
      const admittedAt: number[] = [];
      const heavy = (): number => admittedAt.filter((t) => t > clock.now() - 13_000 && t <= clock.now() - 8_000).length;
      // 200 heavy calls (40/s × 5 s) is the limit: the lag is 250 ms at 190 and 1.5 s at 240.
      const lagNow = (): number => Math.max(0, heavy() - 177.5) * 20;
      let lag: number | undefined;
      const c = new AdmissionController(
        clock,
        { ...BASE, hardIdleCpu: 0, maxSetups: 1000, mediaLagSoftMs: 250, mediaLagMaxMs: 1500, rateFloor, rateGrowth, rateStep },
        () => undefined,
        () => 1,
        () => undefined,
        () => lag,
      );
      let peakHeavy = 0;
      let surge = 0;
      for (let ms = 0; ms < 75_000; ms += 12.5) {
        clock.advance(12.5);
        if (ms % 500 === 0) lag = lagNow(); // pinged every half second
        peakHeavy = Math.max(peakHeavy, heavy());
        const rate = ms < 30_000 ? 20 : ms < 60_000 ? 80 : 0;
        if (rate === 0 || Math.round(ms / 12.5) % (80 / rate) !== 0) continue;
        const d = c.tryAdmit();
        if (!d.ok) continue;
        d.setup.succeeded();
        admittedAt.push(clock.now());
        if (ms >= 30_000) surge++;
      }
      return { peakHeavy, surgePerSec: surge / 30 };
    };
    const without = run(0);
    const limited = run(10);
    // Without the rate limit every call of the surge's first ten seconds is in before the lag shows: twice the load.
    expect(without.peakHeavy).toBeGreaterThan(350);
    // With it (its defaults: 1.5 % a second) the load overshoots the limit (200) by at most a fifth, and the surge is
    // still served at most of what the hotline holds.
    expect(limited.peakHeavy).toBeLessThan(240);
    expect(limited.surgePerSec).toBeGreaterThan(30);
    // Growing 5 % a second the overshoot is what it was without the limit, nearly: the growth must stay slow.
    expect(run(10, 0.05, 1).peakHeavy).toBeGreaterThan(300);
  });

  it('Retry-After grows with the depth of the cut: 1 s for a light squeeze, 5 s for a full stop', () => {
    let idle = 29;
    const c = new AdmissionController(new VirtualClock(), { ...BASE, maxSetups: 1000 }, () => idle);
    const firstRefusal = (): unknown => {
      for (;;) {
        const d = c.tryAdmit();
        if (!d.ok) return d;
        d.setup.dropped();
      }
    };
    expect(firstRefusal()).toEqual({ ok: false, reason: 'media-cpu', retryAfterSec: 1 }); // 95 % admitted
    idle = 20;
    expect(firstRefusal()).toEqual({ ok: false, reason: 'media-cpu', retryAfterSec: 3 });
    idle = 5;
    expect(firstRefusal()).toEqual({ ok: false, reason: 'media-cpu', retryAfterSec: 5 });
    // The set-up limit: at its ceiling 1 s, at its floor 5 s.
    const clock = new VirtualClock();
    const l = new AdmissionController(clock, { ...BASE, initialSetups: 20 }, () => undefined);
    burst(l);
    expect(l.tryAdmit()).toEqual({ ok: false, reason: 'setup-limit', retryAfterSec: 1 });
    const floor = new AdmissionController(clock, { ...BASE, initialSetups: 1 }, () => undefined);
    burst(floor);
    expect(floor.tryAdmit()).toEqual({ ok: false, reason: 'setup-limit', retryAfterSec: 5 });
  });

  it('through CallRegistry: its 503 carries the reason and Retry-After, a refused call is not counted, MAX_CONCURRENT_CALLS stays a hard cap', () => {
    const clock = new VirtualClock();
    let idle = 5;
    const shed: string[] = [];
    const r = new CallRegistry(clock, 2, new AdmissionController(clock, { ...BASE, initialSetups: 1 }, () => idle), (reason) => shed.push(reason));
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'media-cpu', retryAfterSec: 5 });
    expect(r.size).toBe(0);
    idle = 50;
    const a = r.admit();
    expect(a).toMatchObject({ ok: true });
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'setup-limit', retryAfterSec: 5 });
    if (a.ok) a.setup.succeeded(); // quick, and the limit of one was in use: it grows to 2
    const b = r.admit();
    expect(b).toMatchObject({ ok: true });
    if (b.ok) b.setup.succeeded();
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'overloaded', retryAfterSec: 5 });
    expect(shed).toEqual(['media-cpu', 'setup-limit', 'overloaded']);
  });
});

/**
 * A media server on the virtual clock: set-ups take 40 ms until `capacity` calls are up, then 1.5 times longer per
 * call above it (time-out at 10 s); idle CPU falls 0.75 % per call and is read at each 2 s heartbeat. Calls last
 * 13 s once answered (the load bench's call). Sustainable: `capacity` / 13 s calls per second.
 */
function overloadRun(opts: { rate: number; seconds: number; capacity: number; admission: AdmissionOptions }) {
  const clock = new VirtualClock();
  let calls = 0;
  let heartbeatIdle: number | undefined;
  const heartbeat = (): void => {
    heartbeatIdle = Math.max(0, 100 - 0.75 * calls);
    clock.setTimeout(heartbeat, 2000);
  };
  heartbeat();
  const admission = new AdmissionController(clock, opts.admission, () => heartbeatIdle);
  const registry = new CallRegistry(clock, 200, admission);
  const stats = { offered: 0, admitted: 0, refused: 0, timedOut: 0, answered: 0, peakCalls: 0, peakCallsAfter30s: 0, retryAfter: new Set<number>(), admittedAfter30s: 0 };
  const live: (() => void)[] = [];
  const arrival = (): void => {
    stats.offered++;
    const a: Admission = registry.admit();
    if (!a.ok) {
      stats.refused++;
      stats.retryAfter.add(a.retryAfterSec);
      return;
    }
    stats.admitted++;
    if (clock.now() >= 30_000) stats.admittedAfter30s++;
    const latency = calls <= opts.capacity ? 40 : 40 * 1.5 ** (calls - opts.capacity);
    if (latency >= 10_000) {
      clock.setTimeout(() => {
        stats.timedOut++;
        a.setup.failed();
        registry.abandon();
      }, 10_000);
      return;
    }
    clock.setTimeout(() => {
      a.setup.succeeded();
      stats.answered++;
      calls++;
      stats.peakCalls = Math.max(stats.peakCalls, calls);
      if (clock.now() >= 30_000) stats.peakCallsAfter30s = Math.max(stats.peakCallsAfter30s, calls);
      let end!: () => void;
      const done = new Promise<void>((resolve) => (end = resolve));
      const call: LiveCall = { callId: `c${stats.admitted}`, done, end: () => done, hangupByOperator: () => null };
      registry.add(call);
      live.push(end);
      clock.setTimeout(() => {
        calls--;
        end();
      }, 13_000);
    }, latency);
  };
  // The state every 5 s, printed with SIM_DEBUG=1: how the limit, the CPU share and the calls swing (for tuning).
  const trace: string[] = [];
  const sample = (): void => {
    const st = admission.state();
    trace.push(`${clock.now() / 1000}s calls=${calls} idle=${heartbeatIdle} limit=${st.setupLimit} inflight=${st.setupsInFlight} f=${st.cpuAdmitFraction.toFixed(2)} adm=${stats.admitted} ref=${stats.refused} to=${stats.timedOut}`);
    clock.setTimeout(sample, 5000);
  };
  sample();
  const interval = 1000 / opts.rate;
  for (let i = 0; i < opts.seconds * opts.rate; i++) clock.setTimeout(arrival, Math.round(i * interval));
  return { clock, registry, admission, stats, trace };
}

describe('AdmissionController under twice the sustainable call rate (virtual clock)', () => {
  const capacity = 110; // ≈ 8.5 calls/s of 13 s: the hotline's limit measured on the development machine
  const sustainable = capacity / 13;

  it('admits about the sustainable share, refuses the rest at once with Retry-After, and holds no set-up after the load stops', async () => {
    const run = overloadRun({
      rate: 2 * sustainable,
      seconds: 120,
      capacity,
      admission: { softIdleCpu: 25, hardIdleCpu: 10, latencyTargetMs: 500, maxSetups: 50 },
    });
    await run.clock.advanceAsync(120_000);
    const { stats } = run;
    if (process.env.SIM_DEBUG) console.log(JSON.stringify({ ...stats, retryAfter: [...stats.retryAfter], trace: run.trace }));
    // Steady state (after the first 30 s, which fill the server): the admitted rate is the sustainable one.
    const admittedRate = stats.admittedAfter30s / 90;
    expect(admittedRate / sustainable).toBeGreaterThan(0.85);
    expect(admittedRate / sustainable).toBeLessThan(1.15);
    expect(stats.refused / stats.offered).toBeGreaterThan(0.4);
    // Every admitted call got its media: the load stays below the cliff where set-ups take 10 s (~124 calls here).
    expect(stats.timedOut).toBe(0);
    expect(stats.answered).toBe(stats.admitted);
    // The cold start overshoots by the calls admitted within one 2 s heartbeat; after that the ramp holds the line.
    expect(stats.peakCallsAfter30s).toBeLessThanOrEqual(capacity + 13);
    expect([...stats.retryAfter].every((s) => s >= 1 && s <= 5)).toBe(true);
    // 60 s after the last arrival: every call ended, no set-up slot or registry place left held.
    await run.clock.advanceAsync(60_000);
    expect(run.registry.size).toBe(0);
    expect(run.admission.state().setupsInFlight).toBe(0);
  });

  // Set-up latency alone is a late signal (it rises only at the cliff, while 13 s calls admitted earlier still pile
  // up), so without the heartbeat the load swings; the set-up limit still bounds the damage to a few time-outs a swing.
  it('with the CPU signal off, the set-up limit alone still serves most of the sustainable rate with few time-outs', async () => {
    const run = overloadRun({
      rate: 2 * sustainable,
      seconds: 120,
      capacity,
      admission: { softIdleCpu: 0, hardIdleCpu: 0, latencyTargetMs: 500, maxSetups: 50 },
    });
    await run.clock.advanceAsync(120_000);
    const { stats } = run;
    if (process.env.SIM_DEBUG) console.log(JSON.stringify({ ...stats, retryAfter: [...stats.retryAfter], trace: run.trace }));
    const admittedRate = stats.admittedAfter30s / 90;
    expect(admittedRate / sustainable).toBeGreaterThan(0.6);
    expect(admittedRate / sustainable).toBeLessThan(1.1);
    expect(stats.refused / stats.offered).toBeGreaterThan(0.4);
    expect(stats.timedOut).toBeLessThanOrEqual(stats.admitted * 0.03);
    await run.clock.advanceAsync(60_000);
    expect(run.registry.size).toBe(0);
    expect(run.admission.state().setupsInFlight).toBe(0);
  });
});
