import type { CallRequest, Offer } from '../acd/model.js';
import type { MediaLeg } from '../media/leg.js';
import type { CallRecord } from './record.js';

/**
 * What a call session needs from the world, as ports: the SIP side (src/sip implements them over drachtio-srf),
 * the ACD (the Redis store), agent state and the call-record store (PostgreSQL). Tests pass scripted versions on a
 * VirtualClock (test/call).
 */

/** One answered SIP dialog (the caller's, or a seat's). */
export interface DialogSignal {
  /**
   * The dialog's coordinates as plain data, opaque outside src/sip: kept with the call in the ACD store
   * (AcdStore.trackCall) so that, should this instance die, the instance that reaps it can send the BYE.
   */
  readonly ref?: Readonly<Record<string, string>>;
  /** Send BYE. Idempotent; never throws. */
  hangup(): Promise<void>;
  /** The far end hung up (BYE). */
  onHangup(fn: () => void): () => void;
  /** Present when the far end's media can be moved by re-INVITE (the caller's dialog): media release. */
  readonly media?: MediaPeer;
}

/**
 * Moving a caller's media off the media server and back (media release, QueueSettings.releaseMedia): the SIP side
 * re-INVITEs the caller. Session descriptions are opaque strings here; only src/sip and src/media read them.
 */
export interface MediaPeer {
  /** Re-INVITE the far end with another party's offer (a seat's); resolves with its answer. Rejects on refusal. */
  reinvite(offerSdp: string): Promise<string>;
  /** Re-INVITE without an offer and anchor the far end's answer-offer in a new media leg; resolves with that leg. */
  reanchor(placement: MediaPlacement): Promise<MediaLeg>;
}

/**
 * A seat's answered call: its dialog (with REFER for blind transfer) and its media leg, or none when its media goes
 * straight to the caller (the seat's offer was answered by the caller through MediaPeer.reinvite: media released).
 */
export interface AnsweredSeat extends DialogSignal {
  readonly leg: MediaLeg | undefined;
  onRefer(fn: (target: string) => void): () => void;
}

/** A late-offer INVITE ringing at a seat. */
export interface RingingSeat {
  /** Resolves when the seat answers; rejects with CallError SEAT_REJECTED / SEAT_CANCELLED. */
  readonly answered: Promise<AnsweredSeat>;
  /** CANCEL the INVITE (or BYE it if the answer crossed the CANCEL). Idempotent. */
  cancel(): Promise<void>;
}

/**
 * The media leg a new leg must share its media server with (MediaLeg.id of the call's other leg): a bridge cannot
 * span two FreeSWITCH servers. Undefined: the media side places the leg where it likes.
 */
export interface MediaPlacement {
  mediaNear?: string;
}

/**
 * Asked when the seat answers: the caller's MediaPeer to hand the seat's offer to (media released, no seat leg), or
 * undefined to anchor the seat in a media leg as usual. Asked at the answer because whether the agent must hear the
 * late-answer whisper (which needs a media leg) depends on how long the caller has waited by then.
 */
export type DirectMedia = () => MediaPeer | undefined;

export interface SeatDialer {
  /**
   * Start ringing the agent's registered seat; rejects with SEAT_UNREACHABLE when it has no registration. With
   * `direct`, an answer may connect the seat's media straight to the caller; if the caller refuses that re-INVITE the
   * seat is anchored in a media leg instead.
   */
  ring(agentId: string, call: { callId: string; callerNumber: string; direct?: DirectMedia } & MediaPlacement): Promise<RingingSeat>;
}

/**
 * The ACD as one call sees it: call-centric operations over the AcdStore (src/acd/store.ts), implemented by
 * AcdBridge, which also delivers this instance's offers and times wrap-up.
 */
export interface CallAcd {
  enqueue(req: CallRequest): Promise<void>;
  /** Offers for this call (an agent was matched and reserved for it). */
  onOffer(callId: string, fn: (offer: Offer) => void): () => void;
  /** The offered seat is ringing. */
  ringing(callId: string): Promise<void>;
  /** The offered seat answered: agent on-call. */
  answered(callId: string): Promise<void>;
  /** Redirect on no answer: the agent becomes not-ready(missed), the call goes back to the head of its queue. */
  noAnswer(callId: string): Promise<void>;
  /**
   * Give the offer back after a failure of ours (seatFailureOwner 'ours'): the call to the head of its queue, the
   * agent ready (or its pending after-call state), counted as offer-returned, never as a RONA.
   */
  giveBack(callId: string, agentId: string): Promise<void>;
  /**
   * The call leaves the ACD. While waiting or offered: it is removed and an offered agent is ready again. While
   * talking: the agent's call ends (`by` tells who hung up) and wrap-up runs for `wrapUpSec`. Idempotent.
   */
  leave(callId: string, by: 'agent' | 'caller' | 'operator', wrapUpSec: number): Promise<void>;
}

export interface CallRecordSink {
  /** Store the record of an ended call. The session calls this exactly once per call. */
  write(record: CallRecord): Promise<void>;
}

/** Where a blind transfer (REFER) can go. */
export type TransferTarget = { kind: 'queue'; queueId: string } | { kind: 'flow'; flowId: string } | { kind: 'agent'; agentId: string };

export interface TransferResolver {
  resolve(target: string): TransferTarget | undefined;
}

/** A callback's customer, answered through the trunk: its media leg and its dialog. */
export interface CustomerLeg extends DialogSignal {
  readonly leg: MediaLeg;
}

/** An outbound INVITE to a customer through SIP_TRUNK, ringing. */
export interface DialingCustomer {
  /** The customer's leg as soon as the far end sends media: early media (ring-back, announcements) or the answer. */
  readonly media: Promise<MediaLeg>;
  /** Resolves on answer; rejects with CallError CUSTOMER_BUSY / CUSTOMER_NO_ANSWER / CUSTOMER_FAILED / CUSTOMER_CANCELLED. */
  readonly answered: Promise<CustomerLeg>;
  /** CANCEL the INVITE (or BYE it if the answer crossed the CANCEL). Idempotent. */
  cancel(): Promise<void>;
}

export interface TrunkDialer {
  /** Dial `number` through the trunk, FreeSWITCH offering the media. */
  dial(number: string, call: { callId: string; callerId: string } & MediaPlacement): Promise<DialingCustomer>;
}
