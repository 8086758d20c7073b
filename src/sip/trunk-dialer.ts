import type Srf from 'drachtio-srf';
import type { Logger } from '../core/logger.js';
import { CallError, type CallErrorCode } from '../call/errors.js';
import type { CustomerLeg, DialingCustomer, TrunkDialer } from '../call/ports.js';
import type { MediaLeg } from '../media/leg.js';
import type { FsmrfLeg } from '../media/fsmrf-leg.js';
import type { MediaLegFactory } from '../media/media-pool.js';
import { SrfDialogSignal } from './dialogs.js';
import type { KeepaliveOptions } from './dialog-keepalive.js';

/** The customer's answered dialog with its FreeSWITCH leg. */
class SrfCustomer extends SrfDialogSignal implements CustomerLeg {
  constructor(
    dialog: Srf.Dialog,
    readonly leg: MediaLeg,
    keepalive?: KeepaliveOptions,
  ) {
    super(dialog, undefined, undefined, keepalive);
  }
}

/** SIP status of a failed INVITE → what it means for a callback attempt. */
export function customerFailure(status: number | undefined): CallErrorCode {
  if (status === 486 || status === 600 || status === 603) return 'CUSTOMER_BUSY';
  if (status === 408 || status === 480 || status === 487) return 'CUSTOMER_NO_ANSWER';
  return 'CUSTOMER_FAILED';
}

/**
 * Dials customers through SIP_TRUNK (host[:port]; the number is the request-URI's user part). FreeSWITCH offers
 * first (an endpoint without remote SDP); the trunk's early media (183 with SDP) or its answer completes the
 * endpoint, so whatever the network plays before the answer (ring-back, "the number is busy") reaches the agent.
 */
export class SipTrunkDialer implements TrunkDialer {
  constructor(
    private readonly srf: Srf,
    private readonly media: Pick<MediaLegFactory<FsmrfLeg>, 'offerLeg'>,
    private readonly trunk: string,
    private readonly sipDomain: string,
    private readonly log: Logger,
    /** In-dialog OPTIONS to answered customers (SIP_KEEPALIVE_SEC); undefined: none. */
    private readonly keepalive?: KeepaliveOptions,
  ) {}

  async dial(number: string, call: { callId: string; callerId: string; mediaNear?: string }): Promise<DialingCustomer> {
    const leg: FsmrfLeg = await this.media.offerLeg({ near: call.mediaNear });
    let invite: Srf.SrfRequest | undefined;
    let cancelled = false;
    let early: Promise<void> | undefined;
    let earlySdp: string | undefined;
    let resolveMedia!: (l: MediaLeg) => void;
    let rejectMedia!: (e: unknown) => void;
    const media = new Promise<MediaLeg>((res, rej) => {
      resolveMedia = res;
      rejectMedia = rej;
    });
    media.catch(() => undefined);
    let customer: SrfCustomer | undefined;

    const answered = (async (): Promise<CustomerLeg> => {
      let dialog: Srf.Dialog;
      try {
        dialog = await this.srf.createUAC(
          `sip:${number}@${this.trunk}`,
          { localSdp: leg.localSdp, headers: { From: `<sip:${encodeURIComponent(call.callerId)}@${this.sipDomain}>`, 'X-Hotline-Call-Id': call.callId } },
          {
            // srf calls cbRequest(err, req), not cbRequest(req) as its types say.
            cbRequest: ((_err: unknown, req: Srf.SrfRequest | undefined) => {
              if (!req) return;
              invite = req;
              if (cancelled) req.cancel(() => undefined);
            }) as unknown as (req: Srf.SrfRequest) => void,
            cbProvisional: (res: Srf.SrfResponse) => {
              const body = (res as unknown as { body?: string }).body;
              if (early || !body || !/m=audio/.test(body)) return;
              earlySdp = body;
              early = leg.answerWith(body).then(
                () => resolveMedia(leg),
                (err: unknown) => this.log.warn({ err, callId: call.callId }, 'early media from the trunk not applied'),
              );
            },
          },
        );
      } catch (err) {
        await leg.release();
        const status = (err as { status?: number }).status;
        const code = cancelled ? 'CUSTOMER_CANCELLED' : customerFailure(status);
        const e = new CallError(code, `trunk answered ${status ?? String(err)} for ${number}`, { status }, { cause: err });
        rejectMedia(e);
        throw e;
      }
      if (cancelled) {
        await Promise.allSettled([dialog.destroy() as unknown as Promise<unknown>, leg.release()]);
        const e = new CallError('CUSTOMER_CANCELLED', `dial of ${number} cancelled`);
        rejectMedia(e);
        throw e;
      }
      try {
        if (early) await early;
        // The answer's SDP is the one that holds when it differs from the early one (another re-INVITE otherwise).
        if (dialog.remote.sdp !== earlySdp || !leg.answered) await leg.answerWith(dialog.remote.sdp);
      } catch (err) {
        await Promise.allSettled([dialog.destroy() as unknown as Promise<unknown>, leg.release()]);
        rejectMedia(err);
        throw err;
      }
      resolveMedia(leg);
      customer = new SrfCustomer(dialog, leg, this.keepalive);
      return customer;
    })();
    answered.catch(() => undefined);

    return {
      media,
      answered,
      cancel: async () => {
        if (cancelled) return;
        cancelled = true;
        if (customer) {
          await Promise.all([customer.hangup(), leg.release()]);
          return;
        }
        if (invite) {
          const req = invite;
          await new Promise<void>((resolve) => {
            try {
              req.cancel(() => resolve());
            } catch {
              resolve();
            }
          });
        }
      },
    };
  }
}
