import { AcdPlace } from './acd-place.js';
import { CallContext, type CallerSide, type QueueSettings, type SessionDeps } from './call-context.js';
import { CallerLeg } from './caller-leg.js';
import { cleanupCall } from './call-cleanup.js';
import { runConnected } from './connected-call.js';
import { OfferInbox } from './offer-inbox.js';
import type { TransferTarget } from './ports.js';
import type { CallRecord, Disposition, EndedBy } from './record.js';
import { offerSeat } from './seat-offer.js';
import { isMediaServerLoss } from '../media/leg.js';

export type { CallerSide, QueueSettings, SessionDeps, SessionPrompts } from './call-context.js';

/** How a stay in the queue ended, for the owner (the IVR's queue node) to continue. */
export type QueueResult =
  | { outcome: 'agent-ended'; agentId: string } // the agent hung up; the caller is still here (survey next)
  | { outcome: 'transferred'; target: TransferTarget }
  | { outcome: 'cancelled' } // the owner took the call out of the queue (callback offer, menu choice, max wait)
  | { outcome: 'ended' }; // the call ended (caller gone, silent, shutdown): nothing more to do

/**
 * One call, one owner. The session is the call's face to HotlineCalls and the IVR; its parts own one thing each:
 * the ACD place (acd-place.ts), the offers (offer-inbox.ts), ringing a seat under the answer timer
 * (seat-offer.ts), the answered call (connected-call.ts, transfer.ts), the timers (call-timers.ts) and THE cleanup
 * path (call-cleanup.ts): `end()` runs it for BYE, CANCEL, our own hangup, errors and shutdown alike, once.
 */
export class CallSession {
  readonly callId: string;
  private readonly ctx: CallContext;
  private readonly place: AcdPlace;
  private ending: Promise<void> | undefined;
  private inbox: OfferInbox | undefined;

  constructor(deps: SessionDeps, caller: CallerSide, info: { callId: string; callerNumber: string; calledNumber: string; flowId?: string }) {
    this.callId = info.callId;
    const leg = new CallerLeg(caller.leg, caller.signal.media);
    this.ctx = new CallContext(deps, { leg, signal: caller.signal }, info);
    this.place = new AcdPlace(this.ctx);
    this.ctx.offs.push(caller.signal.onHangup(() => void this.callerHungUp()));
    // The caller's media gone is the caller hanging up, unless its media server was lost: then the record says
    // error (an abandon rate must not count our failures), through the same cleanup.
    this.ctx.offs.push(leg.onGone((reason) => void (isMediaServerLoss(reason) ? this.end('error', 'error') : this.callerHungUp())));
  }

  /**
   * The caller's media as every part of the call must use it (the IVR channel too): one object whose leg may be
   * released during the talk and brought back after (media release).
   */
  get callerLeg(): CallerLeg {
    return this.ctx.caller.leg;
  }

  get ended(): boolean {
    return this.ctx.isEnded();
  }

  /** Resolves once the call has ended and its record is written. */
  get done(): Promise<void> {
    return this.ctx.stopped.promise.then(() => this.ending);
  }

  /** A snapshot of the record being built (tests, live views). */
  snapshot(): Readonly<CallRecord> {
    return this.ctx.snapshot();
  }

  /** Data the IVR saves (survey rating) goes into the one record. */
  saveSurvey(rating: number): void {
    this.ctx.record.surveyRating = rating;
  }

  /**
   * Be in `settings.queueId` until an agent answers, then stay connected until one side leaves. The IVR's queue node
   * owns the waiting caller (music, announcements, maximum wait, callback offer) and takes the call out with
   * cancelQueue(). Redirect on no answer happens inside (seat-offer.ts).
   */
  async serveQueue(first: QueueSettings, hooks: { answered?: () => void; moved?: (queueId: string) => QueueSettings | undefined } = {}): Promise<QueueResult> {
    let settings = first;
    const { ctx, place } = this;
    if (ctx.isEnded()) return { outcome: 'ended' };
    const inbox = new OfferInbox(ctx);
    this.inbox = inbox;
    ctx.phase = 'queued';
    ctx.record.queueId = settings.queueId;
    const queuedAt = ctx.deps.clock.now();
    ctx.record.queuedAt ??= queuedAt;
    try {
      await place.join(settings);
      for (;;) {
        const offer = await inbox.next();
        if (offer === 'ended' || ctx.isEnded()) return { outcome: 'ended' };
        if (offer === 'cancelled') {
          await place.leave('caller');
          ctx.phase = 'ivr';
          return { outcome: 'cancelled' };
        }
        if (offer.queueId !== settings.queueId) {
          // A supervisor moved the waiting call (AcdStore.moveCall, from any instance): the offer comes from the new
          // queue, so ring, whisper, record and wrap up by its settings, and the record names it.
          settings = hooks.moved?.(offer.queueId) ?? { ...settings, queueId: offer.queueId };
          ctx.record.queueId = offer.queueId;
          place.moved(settings);
        }
        const seat = await offerSeat(ctx, place, offer, settings, queuedAt, inbox.cancelled);
        if (seat === 'ended') return { outcome: 'ended' };
        if (seat === 'next' || seat === 'cancelled') continue;
        hooks.answered?.();
        const r = await runConnected(ctx, place, seat, settings, queuedAt);
        if (r.outcome !== 'end') return r;
        await this.end(r.disposition, r.endedBy);
        return { outcome: 'ended' };
      }
    } finally {
      if (this.inbox === inbox) this.inbox = undefined;
      inbox.close();
    }
  }

  /** Take the call out of the queue (waiting or ringing); serveQueue then resolves with `cancelled`. */
  cancelQueue(): void {
    this.inbox?.takeOut();
  }

  /**
   * A supervisor hangs the call up (API, possibly relayed from another instance): THE cleanup path, disposition
   * ended-by-operator. Null when the call is already ending (its cleanup runs once); else the cleanup's promise.
   */
  hangupByOperator(): Promise<void> | null {
    if (this.ending) return null;
    return this.end('ended-by-operator', 'operator');
  }

  /** End the call from our side (flow hangup, after the survey). */
  hangup(disposition: Disposition = 'completed'): Promise<void> {
    return this.end(disposition, 'system');
  }

  private callerHungUp(): Promise<void> {
    const { phase } = this.ctx;
    if (phase === 'ended') return this.ending ?? Promise.resolve();
    const d: Disposition = phase === 'queued' || phase === 'ringing' ? 'abandoned' : phase === 'ivr' ? 'caller-hangup' : 'completed';
    return this.end(d, 'caller');
  }

  /** End the call. Runs the one cleanup path once whatever triggers it; later calls wait for the first. */
  end(disposition: Disposition, endedBy: EndedBy): Promise<void> {
    if (this.ending) return this.ending;
    const { ctx } = this;
    ctx.phase = 'ended';
    ctx.record.disposition = disposition;
    ctx.record.endedBy = endedBy;
    ctx.stopped.resolve();
    this.ending = cleanupCall(ctx, this.place);
    return this.ending;
  }
}
