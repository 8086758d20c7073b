import type { Clock } from '../core/clock.js';
import type { MediaPressure } from './overload.js';

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

export type Admission = { ok: true } | { ok: false; status: 503; reason: 'draining' | 'overloaded' | MediaPressure };

/**
 * The live calls of this instance: load shedding (503 above MAX_CONCURRENT_CALLS, before FreeSWITCH saturates and
 * media operations stop settling) and the graceful drain on shutdown (no new calls; live calls may finish within a
 * limit; the rest are ended through their own cleanup path, so agents and records are still right).
 */
export class CallRegistry {
  private readonly calls = new Map<string, LiveCall>();
  private draining = false;
  /** Calls admitted but not yet handed over (endpoint being created): they count against the limit too. */
  private pending = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxConcurrent: number,
    /** Live media-server pressure (src/call/overload.ts): a reason to refuse, or undefined. */
    private readonly pressure: () => MediaPressure | undefined = () => undefined,
    /** Told of every call refused with 503, with its reason (metrics). */
    private readonly onShed?: (reason: Extract<Admission, { ok: false }>['reason']) => void,
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

  /** Ask to take a new call; on ok the caller must follow with add() or abandon(). */
  admit(): Admission {
    const a = this.admission();
    if (!a.ok) this.onShed?.(a.reason);
    return a;
  }

  private admission(): Admission {
    if (this.draining) return { ok: false, status: 503, reason: 'draining' };
    if (this.size >= this.maxConcurrent) return { ok: false, status: 503, reason: 'overloaded' };
    const pressure = this.pressure();
    if (pressure) return { ok: false, status: 503, reason: pressure };
    this.pending++;
    return { ok: true };
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
