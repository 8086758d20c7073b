import type { Offer } from '../acd/model.js';
import { deferred, type CallContext, type Deferred } from './call-context.js';

/**
 * The offers the ACD makes for this call (through this instance's inbox, AcdBridge), and the owner's request to
 * take the call out of the queue (cancelQueue): whichever comes first wakes the queue loop.
 */
export class OfferInbox {
  private readonly offers: Offer[] = [];
  private wake: Deferred<void> = deferred<void>();
  private readonly cancel = deferred<'cancelled'>();
  private cancelledFlag = false;
  private readonly off: () => void;

  constructor(private readonly ctx: CallContext) {
    this.off = ctx.deps.acd.onOffer(ctx.callId, (offer) => {
      this.offers.push(offer);
      this.wake.resolve();
    });
    ctx.offs.push(this.off);
  }

  /** Resolves when the owner takes the call out of the queue (for the ringing race). */
  get cancelled(): Promise<'cancelled'> {
    return this.cancel.promise;
  }

  get isCancelled(): boolean {
    return this.cancelledFlag;
  }

  /** Take the call out of the queue (waiting or ringing). */
  takeOut(): void {
    this.cancelledFlag = true;
    this.cancel.resolve('cancelled');
    this.wake.resolve();
  }

  /** The next offer, or why there is none: the owner took the call out, or the call ended. */
  async next(): Promise<Offer | 'cancelled' | 'ended'> {
    for (;;) {
      if (this.ctx.isEnded()) return 'ended';
      if (this.cancelledFlag) return 'cancelled';
      const offer = this.offers.shift();
      if (offer) return offer;
      this.wake = deferred<void>();
      await Promise.race([this.wake.promise, this.ctx.stopped.promise]);
    }
  }

  close(): void {
    this.off();
  }
}
