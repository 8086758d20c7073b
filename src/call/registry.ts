import type { Clock } from '../core/clock.js';
import { admitAll, type AdmissionControl, type AdmissionRefusalReason, type SetupTicket } from './admission.js';

/** What the registry needs of a live call. */
export interface LiveCall {
  readonly callId: string;
  readonly done: Promise<void>;
  end(disposition: 'error', endedBy: 'shutdown'): Promise<void>;
  /** A supervisor's hang-up: null when the call is already ending. */
  hangupByOperator(): Promise<void> | null;
}

/** What an operator's hang-up found here. */
export type LocalHangup = { status: 'accepted'; done: Promise<void> } | { status: 'ended' } | { status: 'unknown' };

export type ShedReason = 'draining' | 'overloaded' | AdmissionRefusalReason;

/**
 * On ok the caller reports its media set-up on `setup` and follows with add() or abandon(). A refusal is 503 with
 * Retry-After `retryAfterSec` (src/sip/shed-response.ts).
 */
export type Admission = { ok: true; setup: SetupTicket } | { ok: false; status: 503; reason: ShedReason; retryAfterSec: number };

/** A hard cap or a drain: no live signal says when it lifts, so the longest hint. */
const CAP_RETRY_SEC = 5;

/**
 * The live calls of this instance: load shedding (503 above MAX_CONCURRENT_CALLS, and as the admission control
 * says from the media server's live load, before FreeSWITCH saturates and media operations stop settling) and the
 * graceful drain on shutdown (no new calls; live calls may finish within a limit; the rest are ended through their
 * own cleanup path, so agents and records are still right).
 */
export class CallRegistry {
  private readonly calls = new Map<string, LiveCall>();
  private draining = false;
  /** Calls admitted but not yet handed over (endpoint being created): they count against the limit too. */
  private pending = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxConcurrent: number,
    /** Live media-server load (src/call/admission.ts): set-ups in flight and idle CPU. */
    private readonly control: AdmissionControl = admitAll,
    /** Told of every call refused with 503, with its reason (metrics). */
    private readonly onShed?: (reason: ShedReason) => void,
  ) {}

  get size(): number {
    return this.calls.size + this.pending;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Refuse new calls from now on (503); live calls carry on. */
  stopAccepting(): void {
    this.draining = true;
  }

  /** Ask to take a new call; on ok the caller must settle `setup` and follow with add() or abandon(). */
  admit(): Admission {
    const a = this.admission();
    if (!a.ok) this.onShed?.(a.reason);
    return a;
  }

  private admission(): Admission {
    if (this.draining) return { ok: false, status: 503, reason: 'draining', retryAfterSec: CAP_RETRY_SEC };
    if (this.size >= this.maxConcurrent) return { ok: false, status: 503, reason: 'overloaded', retryAfterSec: CAP_RETRY_SEC };
    const d = this.control.tryAdmit();
    if (!d.ok) return { ok: false, status: 503, reason: d.reason, retryAfterSec: d.retryAfterSec };
    this.pending++;
    return { ok: true, setup: d.setup };
  }

  abandon(): void {
    if (this.pending > 0) this.pending--;
  }

  add(call: LiveCall): void {
    this.abandon();
    this.calls.set(call.callId, call);
    const forget = (): void => {
      this.calls.delete(call.callId);
    };
    call.done.then(forget, forget);
  }

  /** Hang a live call of this instance up through its own cleanup path (a supervisor's request). */
  hangup(callId: string): LocalHangup {
    const call = this.calls.get(callId);
    if (!call) return { status: 'unknown' };
    const done = call.hangupByOperator();
    return done ? { status: 'accepted', done } : { status: 'ended' };
  }

  /** Stop taking calls, wait up to `limitMs` for live calls to end, then end the rest. */
  async drain(limitMs: number): Promise<{ finished: number; forced: number }> {
    this.draining = true;
    const live = [...this.calls.values()];
    if (live.length === 0) return { finished: 0, forced: 0 };
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, limitMs);
    });
    await Promise.race([Promise.allSettled(live.map((c) => c.done)), limit]);
    this.clock.clearTimeout(timer);
    const rest = [...this.calls.values()];
    await Promise.allSettled(rest.map((c) => c.end('error', 'shutdown')));
    return { finished: live.length - rest.length, forced: rest.length };
  }
}
