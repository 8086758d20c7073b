import type Srf from 'drachtio-srf';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { CallError } from '../call/errors.js';
import type { AnsweredSeat, DirectMedia, MediaPeer, RingingSeat, SeatDialer } from '../call/ports.js';
import type { FsmrfLeg } from '../media/fsmrf-leg.js';
import type { MediaLegFactory } from '../media/media-pool.js';
import { SrfSeat } from './dialogs.js';
import type { KeepaliveOptions } from './dialog-keepalive.js';
import { isRelaying, isRevertible } from './media-peer.js';
import type { RegistrationStore } from './registrations.js';

/** What drachtio-srf's createUAC resolves to with `noAck: true` and no local SDP (a late-offer INVITE). */
interface LateOfferAnswer {
  sdp: string;
  ack(localSdp: string): Promise<Srf.Dialog>;
  destroy(): Promise<void>;
}

/**
 * Rings a seat at its registered contact with an INVITE WITHOUT SDP (late offer). The seat's 200 OK carries its
 * offer; a FreeSWITCH endpoint takes that as its remote SDP and its answer goes back in the ACK. (FreeSWITCH
 * offering first and then re-negotiating did not carry audio both ways in trials.)
 */
export class SipSeatDialer implements SeatDialer {
  constructor(
    private readonly srf: Srf,
    private readonly media: Pick<MediaLegFactory<FsmrfLeg>, 'legForRemoteSdp'>,
    private readonly registrations: RegistrationStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly sipDomain: string,
    /** In-dialog OPTIONS to answered seats (SIP_KEEPALIVE_SEC); undefined: none. */
    private readonly keepalive?: KeepaliveOptions,
  ) {}

  async ring(agentId: string, call: { callId: string; callerNumber: string; mediaNear?: string; direct?: DirectMedia }): Promise<RingingSeat> {
    const [reg] = await this.registrations.contacts(agentId, this.clock.now());
    if (!reg) throw new CallError('SEAT_UNREACHABLE', `agent ${agentId} has no registered seat`, { agentId });

    // A seat behind NAT is reached where its REGISTER came from, for the INVITE and every in-dialog request after.
    const proxy = behindNat(reg.contact, reg.source) ? `sip:${reg.source}` : undefined;
    const cancelledError = (): CallError => new CallError('SEAT_CANCELLED', `ringing ${agentId} cancelled`, { agentId });
    let invite: Srf.SrfRequest | undefined;
    let cancelled = false;
    let seat: SrfSeat | undefined;
    let leg: FsmrfLeg | undefined;
    /** The caller's media peer when the seat's answer went to the caller (media release). */
    let peer: MediaPeer | undefined;

    const answered = (async (): Promise<AnsweredSeat> => {
      let uac: LateOfferAnswer;
      try {
        uac = (await this.srf.createUAC(
          reg.contact,
          {
            noAck: true,
            ...(proxy ? { proxy } : {}),
            headers: {
              From: `<sip:${encodeURIComponent(call.callerNumber || 'anonymous')}@${this.sipDomain}>`,
              'X-Hotline-Call-Id': call.callId,
            },
          },
          {
            // srf calls cbRequest(err, req), not cbRequest(req) as its types say.
            cbRequest: ((_err: unknown, req: Srf.SrfRequest | undefined) => {
              if (!req) return;
              invite = req;
              if (cancelled) req.cancel(() => undefined);
            }) as unknown as (req: Srf.SrfRequest) => void,
          },
        )) as unknown as LateOfferAnswer;
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (cancelled || status === 487) throw cancelledError();
        throw new CallError('SEAT_REJECTED', `seat of ${agentId} answered ${status ?? String(err)}`, { agentId, status }, { cause: err });
      }
      if (cancelled) {
        // The 200 OK crossed our CANCEL: complete and end the dialog so the seat stops ringing.
        await uac.destroy();
        throw cancelledError();
      }
      peer = call.direct?.();
      const callerAnswer = peer ? await this.offerToCaller(peer, uac.sdp, agentId, call.callId) : undefined;
      if (callerAnswer !== undefined) {
        let dialog: Srf.Dialog;
        try {
          dialog = await uac.ack(callerAnswer);
        } catch (err) {
          // No seat dialog: end its answered call (ACK + BYE), and give the caller its media-server leg back (the
          // session still holds it: it releases it only once it has the seat).
          await Promise.allSettled([uac.destroy(), revert(peer)]);
          throw err;
        }
        // From now on the caller and the seat talk directly: each one's re-INVITEs (hold, new address) must reach
        // the other. The relay stops at the seat's hangup, at the caller's re-anchor or revert, or when a dialog ends.
        const stopRelay = peer && isRelaying(peer) ? peer.relayWith(dialog) : undefined;
        seat = new SrfSeat(dialog, undefined, proxy, stopRelay, this.keepalive);
        if (cancelled) {
          // The CANCEL came while the caller was being re-INVITEd (the seat had answered already): the caller goes
          // back to its media-server leg, which the session still holds.
          await Promise.allSettled([seat.hangup(), revert(peer)]);
          throw cancelledError();
        }
        return seat;
      }
      if (cancelled) {
        await uac.destroy();
        throw cancelledError();
      }
      try {
        leg = await this.media.legForRemoteSdp(uac.sdp, { near: call.mediaNear });
      } catch (err) {
        await uac.destroy();
        throw err;
      }
      let dialog: Srf.Dialog;
      try {
        dialog = await uac.ack(leg.localSdp);
      } catch (err) {
        // No dialog, so no seat will ever own this leg: free its FreeSWITCH channel and end the seat's answered
        // call (destroy sends ACK + BYE; a duplicate ACK is harmless), then report the failure.
        const answeredLeg = leg;
        leg = undefined;
        await Promise.allSettled([answeredLeg.release(), uac.destroy()]);
        throw err;
      }
      seat = new SrfSeat(dialog, leg, proxy, undefined, this.keepalive);
      if (cancelled) {
        await Promise.all([seat.hangup(), leg.release()]);
        throw cancelledError();
      }
      return seat;
    })();
    // The session always observes `answered`; this keeps a rejection after cancel from being reported unhandled.
    answered.catch(() => undefined);

    return {
      answered,
      cancel: async () => {
        if (cancelled) return;
        cancelled = true;
        if (seat) {
          // An answer the session did not take (it stopped waiting just before): a direct seat had the caller's
          // media, which goes back to the caller's media-server leg, still the session's.
          await Promise.all([seat.hangup(), seat.leg ? seat.leg.release() : revert(peer)]);
          return;
        }
        if (invite) {
          const req = invite;
          await new Promise<void>((resolve) => {
            try {
              req.cancel(() => resolve());
            } catch (err) {
              this.log.debug({ err, agentId }, 'CANCEL not sent (INVITE already final)');
              resolve();
            }
          });
        }
      },
    };
  }

  /**
   * Media release: the seat's offer goes to the caller by re-INVITE, the caller's answer will go in the seat's ACK.
   * Undefined when the caller refused or the re-INVITE failed: the seat is then anchored in FreeSWITCH as usual, so
   * a caller that cannot move its media still talks to the agent.
   */
  private async offerToCaller(peer: MediaPeer, seatOffer: string, agentId: string, callId: string): Promise<string | undefined> {
    try {
      return await peer.reinvite(seatOffer);
    } catch (err) {
      this.log.warn({ err, agentId, callId }, 'caller refused the seat media (re-INVITE): seat anchored in the media server');
      return undefined;
    }
  }
}

/** Take the caller's media back from a seat that did not become the call's (see RevertibleMediaPeer). */
async function revert(peer: MediaPeer | undefined): Promise<void> {
  if (peer && isRevertible(peer)) await peer.revert();
}

/**
 * A seat whose Contact names another IP address than the one its REGISTER came from is behind NAT: its INVITEs go
 * to the source address (where the NAT binding is), not to the private Contact. Same IP, other port: the Contact is
 * trusted (a phone may register from one socket and listen on another).
 */
export function behindNat(contact: string, source: string): boolean {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;>]+)/.exec(contact);
  const contactHost = m?.[1];
  const sourceHost = source.replace(/:\d+$/, '');
  return contactHost !== undefined && contactHost !== sourceHost;
}
