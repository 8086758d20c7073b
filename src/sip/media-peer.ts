import type Srf from 'drachtio-srf';
import { SystemClock, type Clock } from '../core/clock.js';
import { HotlineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MediaPeer, MediaPlacement } from '../call/ports.js';
import type { MediaLeg } from '../media/leg.js';
import type { FsmrfLeg } from '../media/fsmrf-leg.js';
import type { MediaLegFactory } from '../media/media-pool.js';
import { withTimeout } from '../media/timeout.js';
import { ReinviteRelay, type RelayDialog } from './reinvite-relay.js';
import { freeSrfGate, type SrfReinviteGate } from './srf-gate.js';

export type MediaPeerErrorCode =
  | 'REINVITE_REFUSED' // the far end answered the re-INVITE with a failure status (details.status)
  | 'REINVITE_FAILED' // no final answer: the dialog is gone, or the SIP stack failed
  | 'REANCHOR_FAILED'; // the far end answered, but no media leg could be made for its offer (it was ACKed anyway)

export class MediaPeerError extends HotlineError {
  declare readonly code: MediaPeerErrorCode;
  constructor(code: MediaPeerErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

export function isMediaPeerError(e: unknown, code?: MediaPeerErrorCode): e is MediaPeerError {
  return e instanceof MediaPeerError && (code === undefined || e.code === code);
}

/** What Dialog.modify(undefined, {noAck: true}) resolves to: the far end's offer, and the ACK that carries our answer. */
interface OfferToAnswer {
  sdp: string;
  ack(localSdp: string): void;
}

/** The part of a drachtio Dialog this needs (srf's types lack the noAck overload and the internals below). */
interface ModifiableDialog extends SrfReinviteGate {
  modify(sdp: string | undefined, opts?: { noAck?: boolean }): Promise<string | OfferToAnswer>;
  local: { sdp?: string };
}

export interface SrfMediaPeerOptions {
  clock?: Clock;
  /**
   * Time for the media leg of a re-anchor. The far end retransmits its 200 OK until our ACK, and gives up (BYE)
   * after 32 s: the ACK must go well before, with or without a leg.
   */
  legTimeoutMs?: number;
}

/**
 * A MediaPeer that can take its last re-INVITE back (src/sip only): a seat whose answer was handed to the caller but
 * that did not become the call's seat after all (the CANCEL crossed, its ACK failed) must not keep the caller's media.
 */
export interface RevertibleMediaPeer extends MediaPeer {
  /** Re-INVITE the far end with the SDP it had from us before the last reinvite(). Never throws. */
  revert(): Promise<void>;
}

export function isRevertible(peer: MediaPeer): peer is RevertibleMediaPeer {
  return typeof (peer as Partial<RevertibleMediaPeer>).revert === 'function';
}

/** A MediaPeer that can relay re-INVITEs with the seat that has its media (src/sip only; see ReinviteRelay). */
export interface RelayingMediaPeer extends MediaPeer {
  /**
   * Relay re-INVITEs between the far end and `seat` (its media goes straight to that seat now) until the returned
   * stop function is called, the far end is re-anchored or reverted, or either dialog ends.
   */
  relayWith(seat: Srf.Dialog): () => void;
}

export function isRelaying(peer: MediaPeer): peer is RelayingMediaPeer {
  return typeof (peer as Partial<RelayingMediaPeer>).relayWith === 'function';
}

/**
 * Media release over the caller's drachtio Dialog: re-INVITE it with a seat's offer (its media leaves FreeSWITCH),
 * or without an offer to anchor it in a new FreeSWITCH leg again. One re-INVITE at a time, in call order.
 */
export class SrfMediaPeer implements RevertibleMediaPeer, RelayingMediaPeer {
  /** The SDP the far end had from us before the last reinvite() (its media-server leg's, still alive then). */
  private beforeLast: string | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Re-INVITEs relayed with the seat that has the far end's media (media released), while it has it. */
  private relay: ReinviteRelay | undefined;
  private readonly dialog: ModifiableDialog;
  private readonly clock: Clock;
  private readonly legTimeoutMs: number;

  constructor(
    dialog: Srf.Dialog,
    private readonly media: Pick<MediaLegFactory<FsmrfLeg>, 'legForRemoteSdp'>,
    private readonly log: Logger,
    opts: SrfMediaPeerOptions = {},
  ) {
    this.dialog = dialog;
    this.clock = opts.clock ?? new SystemClock();
    this.legTimeoutMs = opts.legTimeoutMs ?? 8_000;
  }

  reinvite(offerSdp: string): Promise<string> {
    return this.serial(async () => {
      const before = this.dialog.local.sdp;
      const answer = await this.modify(offerSdp);
      this.beforeLast = before;
      if (typeof answer !== 'string' || answer === '') {
        // srf ACKed already; a 200 OK without an answer leaves the far end's media where it was.
        throw new MediaPeerError('REINVITE_FAILED', 'the re-INVITE was answered without SDP');
      }
      return answer;
    });
  }

  relayWith(seat: Srf.Dialog): () => void {
    this.stopRelay();
    const relay = new ReinviteRelay(this.dialog as unknown as RelayDialog, seat, (work) => this.serial(work), this.log);
    this.relay = relay;
    return () => {
      relay.stop();
      if (this.relay === relay) this.relay = undefined;
    };
  }

  reanchor(placement: MediaPlacement): Promise<MediaLeg> {
    // The far end's media leaves the seat: its re-INVITEs are no longer the seat's business. Stopped now, not when
    // the queue gets to it, so no re-INVITE from the seat is queued behind it and sent to the re-anchored far end.
    this.stopRelay();
    return this.serial(async () => {
      // What the far end last had from us: the only answer left to ACK with if no leg can be made.
      const lastSdp = this.dialog.local.sdp;
      const got = await this.modify(undefined, { noAck: true });
      if (typeof got === 'string') throw new MediaPeerError('REINVITE_FAILED', 'the offerless re-INVITE was ACKed by the SIP stack');
      let leg: FsmrfLeg;
      try {
        leg = await withTimeout(this.media.legForRemoteSdp(got.sdp, { near: placement.mediaNear }), this.legTimeoutMs, this.clock, 'createEndpoint', {
          // The ACK has gone without it and nobody will ever own it: free its FreeSWITCH channel.
          onLate: (late) => late.release(),
        });
      } catch (err) {
        // The far end is waiting for our answer (retransmitting its 200 OK): complete the transaction anyway.
        got.ack(lastSdp ?? '');
        this.dialog.local.sdp = lastSdp;
        throw new MediaPeerError('REANCHOR_FAILED', 'no media leg for the re-anchored caller', {}, { cause: err });
      }
      got.ack(leg.localSdp);
      // srf forgets the answer it sent in an ACK; keep it so its auto-answer to a re-INVITE from the far end (session
      // refresh, hold) offers the live leg, not nothing.
      this.dialog.local.sdp = leg.localSdp;
      return leg;
    });
  }

  revert(): Promise<void> {
    // As reanchor: the far end goes back to its media-server leg, away from the seat.
    this.stopRelay();
    return this.serial(async () => {
      const sdp = this.beforeLast;
      this.beforeLast = undefined;
      if (sdp === undefined) return;
      try {
        await this.modify(sdp);
      } catch (err) {
        // The caller is gone (or refuses): the session ends or re-anchors it; nothing more to do here.
        this.log.info({ err }, 'could not move the caller back to its media-server leg');
      }
    });
  }

  private stopRelay(): void {
    this.relay?.stop();
    this.relay = undefined;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async modify(sdp: string | undefined, opts?: { noAck: true }): Promise<string | OfferToAnswer> {
    const before = this.dialog.local.sdp;
    try {
      return await this.dialog.modify(sdp, opts);
    } catch (err) {
      // srf took the refused offer (or the lack of one) as ours already: the far end still has the one before.
      this.dialog.local.sdp = before;
      const status = (err as { status?: number }).status;
      if (typeof status === 'number') {
        freeSrfGate(this.dialog, this.log);
        throw new MediaPeerError('REINVITE_REFUSED', `re-INVITE answered ${status}`, { status }, { cause: err });
      }
      throw new MediaPeerError('REINVITE_FAILED', `re-INVITE failed: ${String(err)}`, {}, { cause: err });
    }
  }
}
