/**
 * The typed media endpoint the rest of the app sees: one leg of a call anchored in FreeSWITCH. src/call and the
 * IVR channel use only this; fsmrf's Endpoint stays inside src/media (fsmrf-leg.ts), and tests use a scripted leg
 * on a VirtualClock. Every operation settles: with its result, or with a MediaError (timeout, gone, failed).
 */
export interface CollectOptions {
  /** Files played while digits are collected (barge-in: the first digit stops them). */
  prompts: readonly string[];
  min: number;
  max: number;
  /** Time for the first digit after the prompts, ms; 0 = none (only digits typed during the prompts count). */
  timeoutMs: number;
  /** Time between digits, ms. */
  interDigitMs: number;
  /** Keys that end input early, e.g. '#'. */
  terminators?: string;
  /** false: the prompts play to the end and digits pressed meanwhile are dropped (default: barge-in). */
  bargeIn?: boolean;
}

export interface RecordOptions {
  maxSec: number;
  /** Seconds of silence that end the recording. */
  silenceSec: number;
}

export type GoneListener = (reason: string) => void;

/**
 * How the gone reason of a leg starts when its media server was taken out of service (MediaPool: event socket
 * ended, heartbeat stale): the call ended by our failure, not by the caller hanging up.
 */
export const MEDIA_SERVER_LOST = 'media server lost';

export function isMediaServerLoss(reason: string): boolean {
  return reason.startsWith(MEDIA_SERVER_LOST);
}
export type DtmfListener = (digit: string) => void;

export interface MediaLeg {
  /** The FreeSWITCH channel uuid (or a test id). */
  readonly id: string;
  /** True once the leg hung up or was released; every operation then fails with MEDIA_GONE. */
  readonly gone: boolean;
  /**
   * The SIP dialog to FreeSWITCH that carries this leg, as plain data (the same kind as DialogSignal.ref): should
   * this instance die, the instance that reaps it ends the channel with a BYE (a bridged channel would stay up).
   */
  readonly ref?: Readonly<Record<string, string>>;
  play(files: readonly string[], opts?: { timeoutMs?: number }): Promise<void>;
  /** Digits collected ('' when none came before the timeout). */
  collect(opts: CollectOptions): Promise<string>;
  record(file: string, opts: RecordOptions): Promise<{ seconds: number }>;
  /**
   * Listen for voice on this leg's incoming audio for up to `timeoutMs`: true as soon as voice is heard, false on
   * silence until the timeout. (FreeSWITCH detect_audio: it also works on a bridged leg, pausing the bridge.)
   */
  waitForVoice(timeoutMs: number): Promise<boolean>;
  /** Loop a file (music on hold) until stopAudio(); returns once it started. */
  startBackground(file: string): Promise<void>;
  /** Stop whatever plays or listens on this leg now. */
  stopAudio(): Promise<void>;
  /** Record both directions of the call into `file` until the leg ends. */
  recordSession(file: string): Promise<void>;
  bridge(other: MediaLeg): Promise<void>;
  unbridge(): Promise<void>;
  onDtmf(fn: DtmfListener): () => void;
  onGone(fn: GoneListener): () => void;
  /** Hang up this leg's media. Idempotent; never throws. */
  release(): Promise<void>;
}
