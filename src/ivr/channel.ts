import type { DigitSpec, Disposition, EnqueueRequest, Flow, LastServedInfo, PlayItem, QueueOutcome, Saved } from './spec.js';

/**
 * The call-channel port: everything the IVR asks of a live call. The telephony side implements it with
 * FreeSWITCH (drachtio-fsmrf endpoint); tests implement it with the scripted channel in ./testing on a virtual
 * clock. Methods resolve with what happened; a caller hanging up resolves the pending operation with `hangup`
 * and fires the hangup listeners.
 */
export type PlayOutcome = 'finished' | 'hangup';
export type CollectOutcome = { digits: string } | 'no-input' | 'hangup';
export type RecordOutcome = { file: string; durationSec: number } | 'hangup';

export interface CallChannel {
  readonly callId: string;
  readonly caller: string;
  readonly called: string;
  answer(): Promise<void>;
  /** Say the items in order (prompt files, text-to-speech, numbers). */
  play(items: PlayItem[]): Promise<PlayOutcome>;
  /** Say the items (digits typed during them barge in) and collect DTMF by `spec`. */
  playCollect(items: PlayItem[], spec: DigitSpec): Promise<CollectOutcome>;
  /** Say the items, beep, then record the caller to `file` for at most `maxSec` (ended by # or silence). */
  record(items: PlayItem[], file: string, maxSec: number): Promise<RecordOutcome>;
  /** Voice-activity detection: whether the caller speaks within `timeoutMs` (silent-call script on agent legs). */
  detectVoice(timeoutMs: number): Promise<'voice' | 'silence' | 'hangup'>;
  /** Loop these items (music on hold) until stopMusic or another play. */
  startMusic(items: PlayItem[]): void;
  stopMusic(): void;
  /** Blind transfer; resolves false when the far end could not be reached. */
  transfer(to: string): Promise<boolean>;
  hangup(disposition: Disposition): Promise<void>;
  onHangup(listener: () => void): void;
  offHangup(listener: () => void): void;
}

/** A place in a queue, as the ACD gives it to the IVR. */
export interface QueueTicket {
  /** 1 = next to be answered. */
  position(): Promise<number>;
  /** Leave the queue (caller took a callback, timed out, hung up). */
  cancel(): Promise<void>;
}

/** The ACD as the IVR sees it; outcomes (answered, agent-ended, timeout, no-agents, overflow) come back by callback. */
export interface IvrQueuePort {
  enqueue(call: { callId: string; caller: string; flowId: string }, request: EnqueueRequest, onOutcome: (o: QueueOutcome) => void): QueueTicket;
}

/**
 * Expected wait for announcements, in seconds. `erlangWaitEstimator` (wait.ts) plugs the Erlang engine in, given
 * live agent counts and AHT from the ACD. Undefined when unknown (nobody logged in): the announcement then says
 * the position only.
 */
export interface WaitEstimator {
  expectedWaitSec(queueId: string | undefined, position: number): number | undefined | Promise<number | undefined>;
}

/**
 * Who served a caller last (the `returning` node): the ACD's last-agent record in Redis, so the caller never waits
 * on PostgreSQL. Null when no agent served this number in the last 90 days.
 */
export interface ReturningCallers {
  lastServed(callerNumber: string): Promise<LastServedInfo | null>;
}

/** Where survey ratings, callback requests and messages go (PostgreSQL through the call session). */
export interface CallDataSink {
  save(callId: string, data: Saved): void | Promise<void>;
}

/** Current flows by id, for `transfer: { flow }` (the FlowRegistry satisfies it). */
export interface FlowLookup {
  byId(flowId: string): Flow | undefined;
}
