import type { Clock } from '../core/clock.js';

/**
 * Admission control for new calls, following the live load of the media server.
 *
 * It replaces OverloadGuard, which refused every new call for a fixed MEDIA_BACKOFF_MS after one media set-up
 * failure: one endpoint that timed out on a busy but healthy FreeSWITCH turned away every caller for seconds, then
 * let the whole backlog in at once (on/off oscillation), and a sustained overload was answered no more firmly than
 * a single hiccup. Here two signals each take a proportional share, so shedding tracks the load:
 *
 * - A limit on media set-ups in flight (admitted calls whose FreeSWITCH endpoint is not up yet), adapted by AIMD
 *   as in Netflix's concurrency-limits: a set-up that succeeds within the latency target while the limit was
 *   at least half used raises it by one; a failure or a set-up slower than the target multiplies it by
 *   `backoffRatio`. By Little's law the calls admitted per second are at most limit / set-up latency, so when
 *   FreeSWITCH slows down, admission falls with it, and it rises again as set-ups get quick. One slow set-up
 *   only trims the limit (10 → 9); a run of time-outs brings it down geometrically, never below one.
 * - FreeSWITCH's idle CPU (its heartbeat) as a ramp: at or above `softIdleCpu` every call, at or below
 *   `hardIdleCpu` none, in between that share of them, spread by an accumulator (deterministic, no Math.random:
 *   at a share of 25 %, exactly every fourth call).
 *
 * - The app's own event loop (its utilisation, `loopBusy`) as a second ramp, from `loopBusySoft` (every call) to
 *   `loopBusyMax` (none). Measured on the load bench at twice the sustainable rate: with only the two signals
 *   above, the app itself saturated first, and every SIP message then waited its turn behind the backlog: refusals
 *   that should go out at once took 0.5–2 s (drachtio's log: 100 Trying in 1 ms, our 503 a median 535 ms later),
 *   and admitted calls got their prompts late. Keeping the loop below saturation keeps the refusals immediate.
 *   Utilisation rather than the loop's delay (how late a timer fires, which is the harm itself): a call loads the
 *   loop for its whole length, so by the time the delay shows, the calls already admitted carry it past saturation;
 *   a ramp on the delay alone (20 → 200 ms) swung between refusing everything and a backlog of 2 s in the fluid
 *   model of the saturation test in test/call/admission.test.ts (tried there; the utilisation ramp holds). The
 *   delay is on /metrics for operators (hotline_nodejs_eventloop_lag_*, prom-client's default metrics).
 *
 * - The media server's control lag (src/media/server-slot.ts: how long its event socket takes to answer a ping,
 *   every MEDIA_PING_MS) as a third ramp, from `mediaLagSoftMs` (every call) to `mediaLagMaxMs` (none). Measured
 *   on the load bench at twice the sustainable rate with FreeSWITCH at normal priority on the app's two cores: its
 *   control threads fell behind its ~300 channel threads, its heartbeat (and with it the idle-CPU figure) came 5–8 s
 *   late, and by then the calls already admitted were failing; the ping's answer time is read every half second
 *   and a ping still out counts with its age, so a stalling server is seen while it stalls.
 *
 * - A limit on how fast admission may grow: each second may take at most 1.5 % more calls than the second before,
 *   plus a quarter, and only while every signal shows headroom (nextLimit); never fewer than `rateFloor`. Every
 *   signal above trails the load it measures: a call weighs most on FreeSWITCH and the app 9–10 s after it is
 *   admitted (the menu's digit, the queue, the agent, the re-INVITE), so a surge shows only once ten seconds of it
 *   are in. Measured on the load bench, 80 calls/s offered to a hotline that
 *   holds 40, after a warm-up at 20: every call of the first 10 s was admitted (800), the control lag and the loop
 *   rose only then, and most admitted calls failed. The rate limit lets a surge in at the pace the signals can
 *   follow (doubling in about 47 s; DEFAULT_RATE_GROWTH); a load that grows as a busy hour does (over minutes) never
 *   meets it. `rate-limit` refusals are light (Retry-After 1 s).
 *
 * The set-up limit and the ramps work at different points. While set-ups are quick (tens of ms on the load bench), a
 * limit of even one set-up allows 25 calls/s, so the set-up limit binds only near the cliff where FreeSWITCH stops
 * answering in time; it is the backstop that keeps time-outs from piling up. The CPU ramp acts before the cliff and
 * gives the smooth share (test/call/admission.test.ts runs both at twice a model server's sustainable rate).
 *
 * A refusal is immediate and says how long to wait (Retry-After, 1–5 s, longer the deeper the cut).
 * MAX_CONCURRENT_CALLS stays a hard cap, in CallRegistry. No timers: lateness is noticed at the next admission.
 */
export interface AdmissionOptions {
  /** Idle CPU (percent) at or above which the CPU signal admits every call. */
  softIdleCpu: number;
  /** Idle CPU (percent) at or below which it admits none; 0 turns the CPU signal off. Between the two, a linear share. */
  hardIdleCpu: number;
  /** A media set-up slower than this (ms) is a sign of saturation, like a failure: it shrinks the limit. */
  latencyTargetMs: number;
  /** Ceiling of the set-up limit (its floor is 1). */
  maxSetups: number;
  /** Where the limit starts; default min(10, maxSetups). */
  initialSetups?: number;
  /** Factor applied to the limit on each failed or slow set-up; default 0.9 (concurrency-limits' AIMD default). */
  backoffRatio?: number;
  /** Event-loop utilisation (0..1) at or below which the app's own signal admits every call. */
  loopBusySoft?: number;
  /** Event-loop utilisation at or above which it admits none; absent or 0: the signal is off. */
  loopBusyMax?: number;
  /** Media control lag (ms) at or below which the media-lag signal admits every call. */
  mediaLagSoftMs?: number;
  /** Media control lag (ms) at or above which it admits none; absent or 0: the signal is off. */
  mediaLagMaxMs?: number;
  /**
   * The admission rate's floor (calls/s): whatever was admitted the second before, at least this many may come in
   * each second. Absent or 0: no rate limit (the ramps and the set-up limit alone).
   */
  rateFloor?: number;
  /** How much more than the last second's admissions the next second may take, as a share (default 0.015)... */
  rateGrowth?: number;
  /** ...plus this many calls (default 0.25). */
  rateStep?: number;
}

export type AdmissionRefusalReason = 'media-down' | 'setup-limit' | 'media-cpu' | 'app-busy' | 'media-slow' | 'rate-limit';

/** One admitted call's media set-up: report how it ended, once (later reports are ignored). */
export interface SetupTicket {
  /** The endpoint is up: its latency is learnt. */
  succeeded(): void;
  /** The media server failed or timed out: the limit shrinks. */
  failed(): void;
  /** Nothing to learn (the set-up never ran to an outcome): only frees the slot. */
  dropped(): void;
}

export type AdmissionDecision = { ok: true; setup: SetupTicket } | { ok: false; reason: AdmissionRefusalReason; retryAfterSec: number };

/** What CallRegistry needs of admission control (a port: tests and the default admit everything). */
export interface AdmissionControl {
  tryAdmit(): AdmissionDecision;
}

export interface AdmissionState {
  /** The current limit on set-ups in flight (a whole number of calls). */
  setupLimit: number;
  setupsInFlight: number;
  /** Share of new calls the CPU signal admits now (0..1; 1 before the first heartbeat). */
  cpuAdmitFraction: number;
  /** Share of new calls the app's event-loop signal admits now (0..1; 1 when off or not measured yet). */
  loopAdmitFraction: number;
  /** The reading behind it (0..1), undefined before the first. */
  loopBusy: number | undefined;
  /** Share of new calls the media-lag signal admits now (0..1; 1 when off or not measured yet). */
  mediaLagAdmitFraction: number;
  /** The reading behind it (ms), undefined before the first. */
  mediaLagMs: number | undefined;
  /** Calls per second the rate limit lets in this second (Infinity when off). */
  rateLimit: number;
}

const MIN_RETRY_SEC = 1;
/**
 * The rate limit's growth per second: 1.5 % and a quarter of a call. Every signal trails a call's load by about ten
 * seconds, so the admitted rate can pass what the hotline holds by about 13 s of growth before it is seen: 1.5 % a
 * second keeps that overshoot near a fifth (test/call/admission.test.ts), and still doubles the rate in 47 s.
 */
const DEFAULT_RATE_GROWTH = 0.015;
const DEFAULT_RATE_STEP = 0.25;
const MAX_RETRY_SEC = 5;
/** Float slack for the accumulator: ten steps of 0.1 must make one whole call. */
const EPS = 1e-9;

export const admitAll: AdmissionControl = {
  tryAdmit: () => ({ ok: true, setup: { succeeded: () => undefined, failed: () => undefined, dropped: () => undefined } }),
};

export class AdmissionController implements AdmissionControl {
  private limit: number;
  /** Set-ups in flight. */
  private readonly open = new Set<InFlight>();
  /** Calls owed by the CPU ramp: each candidate adds the admit fraction; a whole one is admitted. Stays in [0, 1). */
  private credit = 0;
  private readonly ratio: number;
  /** Admissions in the current second (from `secondStart`) and in the one before. */
  private secondStart: number | undefined;
  private admittedThisSecond = 0;
  private admittedLastSecond = 0;
  private secondLimit = 0;
  /**
   * The rate limit's token bucket: calls that may come in now, refilled at the limit, holding at most 0.2 s of it
   * (two calls at least, so no fraction is lost between arrivals).
   */
  private tokens = 1;
  private refilledAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly opts: AdmissionOptions,
    /** FreeSWITCH's idle CPU in percent, undefined before its first heartbeat (or from a pool: of the next server). */
    private readonly cpuIdle: () => number | undefined,
    /** Media servers in service (src/media/media-pool.ts): with none, every call would fail to get media. */
    private readonly inService: () => number = () => 1,
    /** This process's event-loop utilisation over the last interval (0..1), undefined before the first reading. */
    private readonly loopBusy: () => number | undefined = () => undefined,
    /** Control lag (ms) of the media server the next call would go to, undefined before it is measured. */
    private readonly mediaLag: () => number | undefined = () => undefined,
  ) {
    this.limit = Math.min(Math.max(opts.initialSetups ?? 10, 1), Math.max(1, opts.maxSetups));
    this.ratio = opts.backoffRatio ?? 0.9;
  }

  tryAdmit(): AdmissionDecision {
    // Refused before it is answered: the caller's proxy can try another site rather than hear a dropped call.
    if (this.inService() === 0) return { ok: false, reason: 'media-down', retryAfterSec: MAX_RETRY_SEC };
    this.noteLate();
    const limit = Math.floor(this.limit);
    if (this.open.size >= limit) return { ok: false, reason: 'setup-limit', retryAfterSec: retryAfter(this.limitSeverity()) };
    if (!this.rateAllows()) return { ok: false, reason: 'rate-limit', retryAfterSec: MIN_RETRY_SEC };
    // One share for all ramps (the strictest), so two half-loaded signals do not refuse three calls in four.
    const cpu = this.cpuFraction();
    const loop = this.loopFraction();
    const lag = this.lagFraction();
    const f = Math.min(cpu, loop, lag);
    if (!this.takeShare(f)) return { ok: false, reason: lag < Math.min(cpu, loop) ? 'media-slow' : loop < cpu ? 'app-busy' : 'media-cpu', retryAfterSec: retryAfter(1 - f) };
    this.admittedThisSecond++;
    this.tokens -= 1;
    return { ok: true, setup: this.start() };
  }

  /** Calls per second allowed this second (set when it began: rollSecond). */
  private rateLimitNow(): number {
    const floor = this.opts.rateFloor ?? 0;
    if (floor <= 0) return Infinity;
    this.rollSecond();
    return this.secondLimit;
  }

  /**
   * The next second's limit: the last second's admissions plus the growth while every signal shows headroom, else
   * no more than the last second took; never below the floor. Headroom is more than "not shedding": the signals
   * trail the load, so growth stops while they are still short of their ramps (the loop at 0.8 of its soft value,
   * the lag at half of its, the CPU ramp admitting all). On the load bench at 2x, growth that went on until a ramp
   * cut in had admitted 48-50 calls/s to a hotline that holds 40 by the time the calls weighed in.
   */
  private nextLimit(): number {
    const floor = this.opts.rateFloor ?? 0;
    const last = this.admittedLastSecond;
    const grown = last * (1 + (this.opts.rateGrowth ?? DEFAULT_RATE_GROWTH)) + (this.opts.rateStep ?? DEFAULT_RATE_STEP);
    return Math.max(floor, this.hasHeadroom() ? grown : last);
  }

  private hasHeadroom(): boolean {
    const { loopBusySoft, loopBusyMax, mediaLagSoftMs, mediaLagMaxMs } = this.opts;
    return this.cpuFraction() >= 1 && below(this.loopBusy(), loopBusySoft, loopBusyMax, 0.8) && below(this.mediaLag(), mediaLagSoftMs, mediaLagMaxMs, 0.5);
  }

  /**
   * Whether the rate limit lets one more call in now: a token bucket refilled at the limit, so arrivals spread
   * evenly are admitted evenly (not the first N of each second) and a second takes no more than its limit.
   */
  private rateAllows(): boolean {
    const rate = this.rateLimitNow();
    if (rate === Infinity) return true;
    const now = this.clock.now();
    const dt = this.refilledAt === undefined ? 0 : Math.max(0, now - this.refilledAt) / 1000;
    this.refilledAt = now;
    this.tokens = Math.min(Math.max(2, rate * 0.2), this.tokens + rate * dt);
    return this.tokens >= 1;
  }

  private rollSecond(): void {
    const now = this.clock.now();
    if (this.secondStart === undefined) {
      this.secondStart = now;
      this.secondLimit = this.nextLimit();
      return;
    }
    if (now - this.secondStart < 1000) return;
    // A second (or more) with no admission check in between counts as admitting nothing.
    this.admittedLastSecond = now - this.secondStart < 2000 ? this.admittedThisSecond : 0;
    this.admittedThisSecond = 0;
    this.secondStart = now - ((now - this.secondStart) % 1000);
    this.secondLimit = this.nextLimit();
  }

  state(): AdmissionState {
    this.noteLate();
    return {
      setupLimit: Math.floor(this.limit),
      setupsInFlight: this.open.size,
      cpuAdmitFraction: this.cpuFraction(),
      loopAdmitFraction: this.loopFraction(),
      loopBusy: this.loopBusy(),
      mediaLagAdmitFraction: this.lagFraction(),
      mediaLagMs: this.mediaLag(),
      rateLimit: this.rateLimitNow(),
    };
  }

  /** The media-lag ramp's share for the last reading. */
  private lagFraction(): number {
    return ramp(this.mediaLag(), this.opts.mediaLagSoftMs, this.opts.mediaLagMaxMs);
  }

  /** The event-loop ramp's share for the last reading. */
  private loopFraction(): number {
    return ramp(this.loopBusy(), this.opts.loopBusySoft, this.opts.loopBusyMax);
  }

  /** The CPU ramp's share for the last heartbeat. */
  private cpuFraction(): number {
    const idle = this.cpuIdle();
    const { softIdleCpu: soft, hardIdleCpu: hard } = this.opts;
    if (hard <= 0 || idle === undefined || !Number.isFinite(idle)) return 1;
    if (idle < hard) return 0;
    // soft <= hard leaves no ramp: a plain floor at `hard` (the old MEDIA_MIN_IDLE_CPU behaviour).
    if (idle >= soft) return 1;
    return (idle - hard) / (soft - hard);
  }

  private takeShare(f: number): boolean {
    if (f >= 1) return true;
    if (f <= 0) return false;
    this.credit += f;
    if (this.credit < 1 - EPS) return false;
    this.credit = Math.max(0, this.credit - 1);
    return true;
  }

  /** 0 with the limit at its ceiling, 1 at its floor. */
  private limitSeverity(): number {
    const max = Math.max(1, this.opts.maxSetups);
    return max <= 1 ? 0 : 1 - (Math.floor(this.limit) - 1) / (max - 1);
  }

  private start(): SetupTicket {
    const setup: InFlight = { startedAt: this.clock.now(), inFlightAtStart: this.open.size + 1, late: false };
    this.open.add(setup);
    const end = (outcome: 'ok' | 'failed' | 'dropped'): void => {
      if (!this.open.delete(setup)) return;
      if (outcome === 'dropped' || setup.late) return;
      const slow = this.clock.now() - setup.startedAt > this.opts.latencyTargetMs;
      if (outcome === 'failed' || slow) this.shrink();
      // Grow only a limit that was used: an idle hotline must not bank a limit far above what it ever needed.
      else if (setup.inFlightAtStart * 2 >= this.limit) this.limit = Math.min(Math.max(1, this.opts.maxSetups), this.limit + 1);
    };
    return { succeeded: () => end('ok'), failed: () => end('failed'), dropped: () => end('dropped') };
  }

  /**
   * A set-up still in flight past the latency target is already known to be slow: count it now, once, rather than
   * when it ends (a time-out ends 10 s later, and meanwhile the old limit would keep admitting calls).
   */
  private noteLate(): void {
    const now = this.clock.now();
    for (const s of this.open) {
      if (!s.late && now - s.startedAt > this.opts.latencyTargetMs) {
        s.late = true;
        this.shrink();
      }
    }
  }

  private shrink(): void {
    this.limit = Math.max(1, this.limit * this.ratio);
  }
}

interface InFlight {
  readonly startedAt: number;
  /** Set-ups in flight when it started, itself included: whether the limit was in use. */
  readonly inFlightAtStart: number;
  /** Already counted as slow while in flight. */
  late: boolean;
}

/**
 * Share admitted for a reading that is worse the higher it is: 1 at or below `soft`, 0 at or above `max`, linear
 * between; 1 when the signal is off (`max` absent or 0) or the reading is missing.
 */
function ramp(reading: number | undefined, soft: number | undefined, max: number | undefined): number {
  const hi = max ?? 0;
  const lo = soft ?? hi;
  if (hi <= 0 || reading === undefined || !Number.isFinite(reading)) return 1;
  if (reading >= hi) return 0;
  if (reading <= lo) return 1;
  return (hi - reading) / (hi - lo);
}

/**
 * Whether a ramp's reading is at or below `share` of its soft value (the rate limit's headroom): the same ramp with
 * its soft point moved down, so a signal that is off or not measured yet counts as headroom, as it sheds nothing.
 */
function below(reading: number | undefined, soft: number | undefined, max: number | undefined, share: number): boolean {
  return ramp(reading, share * (soft ?? max ?? 0), max) >= 1;
}

/** Retry-After for a refusal of the given severity (0..1): a light squeeze 1 s, a full stop 5 s. */
function retryAfter(severity: number): number {
  const s = Math.min(1, Math.max(0, severity));
  return Math.round(MIN_RETRY_SEC + (MAX_RETRY_SEC - MIN_RETRY_SEC) * s);
}
