import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MediaLeg } from '../media/leg.js';
import type { CallerLeg } from './caller-leg.js';
import { CallTimers } from './call-timers.js';
import type { AnsweredSeat, CallAcd, CallRecordSink, DialogSignal, RingingSeat, SeatDialer, TransferResolver } from './ports.js';
import type { CallRecord } from './record.js';

/**
 * Per-queue telephony settings (the flow's queue node and the queue definition). Music on hold, announcements and
 * the maximum wait are not here: the IVR's queue node owns the caller while it waits (one owner of a queued call).
 */
export interface QueueSettings {
  queueId: string;
  priority: number;
  /** Rings before redirect on no answer (the standard: 3). */
  answerRings: number;
  wrapUpSec: number;
  /** Record the conversation (file named after the call, in RECORDINGS_DIR). */
  record: boolean;
  /** Whisper to the agent when the caller waited longer than the answer window. */
  lateWhisper: boolean;
  /** The silent-call script on the agent leg: automatic or not, its seconds, and the agent's key to start it. */
  silentCall: { auto: boolean; silenceSec: number; agentKey: string };
  /**
   * Media release: when the seat answers without a late-answer whisper, the caller is re-INVITEd to the seat and the
   * caller's media-server leg is released for the talk (src/call/caller-leg.ts). Only for queues that neither record
   * nor run the silent-call script (hotline.ts makes sure): both need the media.
   */
  releaseMedia: boolean;
  /** A returning caller's choice (src/acd/model.ts CallRequest.hold); absent: the queue's sticky rule. */
  hold?: { agentId: string; sec: number } | 'none';
}

export interface SessionPrompts {
  /** "The caller waited N seconds, please apologise first."; lateWhisperFiles (media-channel.ts) says N as minutes and seconds. */
  lateWhisper(waitedSec: number): readonly string[];
  silentHello: readonly string[];
  silentGoodbye: readonly string[];
  transferring: readonly string[];
}

export interface SessionDeps {
  clock: Clock;
  log: Logger;
  acd: CallAcd;
  seats: SeatDialer;
  records: CallRecordSink;
  prompts: SessionPrompts;
  ring: { onMs: number; offMs: number };
  instanceId: string;
  recordingsDir: string;
  transfers?: TransferResolver;
  /** Told when a seat answers this call (HotlineCalls adds the seat's dialog to the call's tracking entry). */
  seatAnswered?: (seat: AnsweredSeat) => void;
}

export interface CallerSide {
  leg: MediaLeg;
  signal: DialogSignal;
}

/** The caller as the call's parts see it: its media may be released and brought back (CallerLeg). */
export interface CallerParty {
  leg: CallerLeg;
  signal: DialogSignal;
}

export type Phase = 'ivr' | 'queued' | 'ringing' | 'connected' | 'after-agent' | 'ended';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * What the parts of one call share: its record, its phase, its timers and listeners, and the resources the one
 * cleanup path (call-cleanup.ts) must release. Each resource is set by the part that owns it while it owns it:
 * `ringing` by seat-offer.ts, `agent` from the answer until the agent's side is released, `silentRun` by
 * connected-call.ts.
 */
export class CallContext {
  readonly callId: string;
  readonly log: Logger;
  readonly record: CallRecord;
  phase: Phase = 'ivr';
  /** Resolves when the call starts ending: every wait of every part races it. */
  readonly stopped = deferred<void>();
  readonly timers: CallTimers;
  readonly offs: Array<() => void> = [];
  ringing: { agentId: string; seat: RingingSeat } | undefined;
  agent: { agentId: string; seat: AnsweredSeat } | undefined;
  silentRun: Promise<void> | undefined;

  constructor(
    readonly deps: SessionDeps,
    readonly caller: CallerParty,
    info: { callId: string; callerNumber: string; calledNumber: string; flowId?: string },
  ) {
    this.callId = info.callId;
    this.log = deps.log.child({ callId: info.callId });
    this.timers = new CallTimers(deps.clock);
    this.record = {
      callId: info.callId,
      callerNumber: info.callerNumber,
      calledNumber: info.calledNumber,
      flowId: info.flowId,
      queueId: undefined,
      agentId: undefined,
      startedAt: deps.clock.now(),
      queuedAt: undefined,
      agentAnsweredAt: undefined,
      endedAt: 0,
      waitedMs: undefined,
      ringsToAnswer: undefined,
      missedAgents: [],
      disposition: 'completed',
      endedBy: 'system',
      surveyRating: undefined,
      recordingFile: undefined,
      transferredTo: undefined,
      whispered: false,
    };
  }

  /** A method the compiler does not narrow on: the phase changes under our feet across awaits. */
  isEnded(): boolean {
    return this.phase === 'ended';
  }

  /** Resolves with `value` when the call starts ending, for Promise.race. */
  whenStopped<T>(value: T): Promise<T> {
    return this.stopped.promise.then(() => value);
  }

  snapshot(): CallRecord {
    return { ...this.record, missedAgents: [...this.record.missedAgents] };
  }
}
