import type { AgentState, CallRequest, NotReadyReason, Offer } from '../acd/model.js';
import type { MediaLeg } from '../media/leg.js';
import type { CallRecord } from './record.js';

/**
 * What a call session needs from the world, as ports: the SIP side (src/sip implements them over drachtio-srf),
 * the ACD (the Redis store), agent state and the call-record store (PostgreSQL). Tests pass scripted versions on a
 * VirtualClock (test/call).
 */

/** One answered SIP dialog (the caller's, or a seat's). */
export interface DialogSignal {
  /** Send BYE. Idempotent; never throws. */
  hangup(): Promise<void>;
  /** The far end hung up (BYE). */
  onHangup(fn: () => void): () => void;
}

/** A seat's answered call: its media leg and its dialog (with REFER for blind transfer). */
export interface AnsweredSeat extends DialogSignal {
  readonly leg: MediaLeg;
  onRefer(fn: (target: string) => void): () => void;
}

/** A late-offer INVITE ringing at a seat. */
export interface RingingSeat {
  /** Resolves when the seat answers; rejects with CallError SEAT_REJECTED / SEAT_CANCELLED. */
  readonly answered: Promise<AnsweredSeat>;
  /** CANCEL the INVITE (or BYE it if the answer crossed the CANCEL). Idempotent. */
  cancel(): Promise<void>;
}

export interface SeatDialer {
  /** Start ringing the agent's registered seat; rejects with SEAT_UNREACHABLE when it has no registration. */
  ring(agentId: string, call: { callId: string; callerNumber: string }): Promise<RingingSeat>;
}

/** The ACD queue as the call sees it. */
export interface QueuePort {
  enqueue(req: CallRequest): Promise<void>;
  /** Offers for this call (an agent was matched and reserved). */
  onOffer(callId: string, fn: (offer: Offer) => void): () => void;
  /** Redirect on no answer: the call goes back to the head of its queue. */
  requeueAtHead(callId: string, queueId: string): Promise<void>;
  /** The call leaves the queue (answered, abandoned, transferred, ended). Idempotent. */
  leave(callId: string): Promise<void>;
}

/** The agent-state store (Redis): validated, time-stamped transitions. */
export interface AgentStatePort {
  /**
   * Move an agent to `to`. With `from`, only if the agent is in one of those states now (compare-and-set);
   * returns false when it was not.
   */
  transition(
    agentId: string,
    to: AgentState,
    opts?: { reason?: NotReadyReason; callId?: string; from?: readonly AgentState[] },
  ): Promise<boolean>;
  current(agentId: string): Promise<AgentState | undefined>;
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
