import type Srf from 'drachtio-srf';
import type { Logger } from '../core/logger.js';
import { freeSrfGate, srfReinviteInProgress, type SrfReinviteGate } from './srf-gate.js';

/** The part of a drachtio Dialog the relay needs (srf's types lack `local.contact` and the gate). */
export interface RelayDialog extends SrfReinviteGate {
  local: { sdp?: string; contact?: string };
  modify(sdp: string): Promise<string>;
  on(event: 'modify', fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): unknown;
  on(event: 'destroy', fn: () => void): unknown;
  off(event: 'modify', fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): unknown;
  off(event: 'destroy', fn: () => void): unknown;
}

/** Runs work on the caller's dialog in turn with its other re-INVITEs (SrfMediaPeer's queue: reinvite, reanchor, revert). */
export type CallerQueue = <T>(work: () => Promise<T>) => Promise<T>;

type Side = 'caller' | 'seat';

/**
 * Media release: caller and seat send RTP to each other while srf holds two dialogs (the caller's, the seat's).
 * srf answers a re-INVITE it has no 'modify' listener for with the dialog's old local SDP, so a hold, a new RTP
 * address or a codec change from one party would never reach the other. While the talk is direct this relays each
 * re-INVITE with an offer to the other party's dialog and its answer back, as a B2BUA does.
 *
 * Both directions run in the caller's queue, so a reanchor or revert of the caller waits until a relayed re-INVITE
 * is answered (one INVITE transaction at a time on the caller's dialog, RFC 3261 §14.1). stop() removes the
 * listeners (srf auto-answers again); a relay already under way still gets its answer to the asking party.
 */
export class ReinviteRelay {
  private stopped = false;
  private readonly onCallerModify = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => this.relay('caller', req, res);
  private readonly onSeatModify = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => this.relay('seat', req, res);
  private readonly onDestroy = (): void => this.stop();

  constructor(
    private readonly caller: RelayDialog,
    private readonly seat: RelayDialog,
    private readonly callerQueue: CallerQueue,
    private readonly log: Logger,
  ) {
    caller.on('modify', this.onCallerModify);
    seat.on('modify', this.onSeatModify);
    caller.on('destroy', this.onDestroy);
    seat.on('destroy', this.onDestroy);
  }

  /** Idempotent. srf removes a dialog's listeners itself when it ends; off() on it is harmless. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.caller.off('modify', this.onCallerModify);
    this.seat.off('modify', this.onSeatModify);
    this.caller.off('destroy', this.onDestroy);
    this.seat.off('destroy', this.onDestroy);
  }

  private relay(from: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const asking = from === 'caller' ? this.caller : this.seat;
    const other = from === 'caller' ? this.seat : this.caller;
    const offer = typeof req.body === 'string' ? req.body : '';
    if (offer.trim() === '') {
      // An offerless re-INVITE asks us for an offer, and its answer comes in the ACK. Relaying it would take an
      // offerless re-INVITE to the other party and that party's ACK held until this one's: not done. Offering what
      // this party last had from us (the other party's current SDP), as srf does, keeps the media as it is.
      this.answerLocally(asking, res);
      return;
    }
    if (srfReinviteInProgress(asking)) {
      // Glare: our own re-INVITE to this party is in progress (a relay the other way, a reanchor); RFC 3261 §14.2.
      this.send(res, 491, {});
      return;
    }
    const work = async (): Promise<void> => {
      if (this.stopped) {
        // Stopped while it waited its turn (the seat hung up, a reanchor was asked for): the other party no longer
        // has this one's media, so answer as srf would without the relay.
        this.answerLocally(asking, res);
        return;
      }
      const before = other.local.sdp;
      let answer: string;
      try {
        answer = await other.modify(offer);
      } catch (err) {
        // srf took the refused offer as what the other party has from us; it still has the one before.
        other.local.sdp = before;
        const status = (err as { status?: unknown }).status;
        if (typeof status === 'number') {
          freeSrfGate(other, this.log);
          // 491 (glare: the asker retries after its timer) and 488 (offer not acceptable) mean the same to the
          // asker; any other refusal of the other party is this offer not being acceptable here.
          this.send(res, status === 491 || status === 488 ? status : 488, {});
        } else {
          // No answer at all (the dialog is gone, the SIP stack failed).
          this.send(res, 500, {});
        }
        this.log.info({ err, from, status }, 're-INVITE relayed during media release not accepted');
        return;
      }
      if (typeof answer !== 'string' || answer.trim() === '') {
        // srf ACKed a 200 OK without SDP: the other party keeps its media as it was, and there is no answer to give.
        this.log.warn({ from }, 're-INVITE relayed during media release answered without SDP');
        this.send(res, 500, {});
        return;
      }
      // For the 200 OK we send by hand srf records nothing: keep local.sdp what this party last got from us, for a
      // later auto-answer by srf (an offerless re-INVITE, any re-INVITE after stop()); the answer is that SDP.
      asking.local.sdp = answer;
      this.answerLocally(asking, res);
    };
    this.callerQueue(work).catch((err: unknown) => {
      this.log.warn({ err, from }, 're-INVITE relay failed');
      this.send(res, 500, {});
    });
  }

  /** 200 with the SDP this party last had from us: srf's own answer to a re-INVITE nobody listens to (lib/dialog.js, case 'INVITE'). */
  private answerLocally(dialog: RelayDialog, res: Srf.SrfResponse): void {
    this.send(res, 200, { body: dialog.local.sdp, headers: { Contact: dialog.local.contact, 'Content-Type': 'application/sdp' } });
  }

  private send(res: Srf.SrfResponse, status: number, opts: object): void {
    if (res.finalResponseSent) return;
    try {
      res.send(status, opts);
    } catch (err) {
      // The dialog (and its transaction) ended meanwhile: nobody is left to answer.
      this.log.debug({ err, status }, 'answer to a relayed re-INVITE not sent');
    }
  }
}
