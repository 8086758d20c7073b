import { resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { CallChannel, CollectOutcome, PlayOutcome, RecordOutcome } from '../ivr/channel.js';
import { MAX_SAYABLE, numberPromptFile, sayDuration, sayNumber } from '../ivr/say-number.js';
import { LANGUAGES, type DigitSpec, type Disposition, type Language, type PlayItem } from '../ivr/spec.js';
import { isMediaError } from '../media/errors.js';
import type { MediaLeg } from '../media/leg.js';
import type { DialogSignal } from './ports.js';
import type { CallSession } from './session.js';

/** How PlayItems become files FreeSWITCH can open (it shares the prompts directory at the same path). */
export interface PromptFiles {
  /** Absolute path of a prompt file named by the flow. */
  prompt(file: string): string;
  /** Files that say a number, or [] when this language has no number pieces (the number is then skipped). */
  number(value: number, language: string): string[];
}

const isLanguage = (l: string): l is Language => (LANGUAGES as readonly string[]).includes(l);

/** The number pieces under `<promptDir>/<language>/num/` (src/ivr/say-number.ts) that say numbers and durations. */
export function numberFiles(promptDir: string): { number(value: number, language: string): string[]; duration(seconds: number, language: string): string[] } {
  const dir = resolve(promptDir);
  // A count or a time is said whole: an estimate of 2.4 minutes is "2", a huge one is capped, never an error mid-call.
  const whole = (v: number, max: number): number => Math.min(max, Math.max(0, Math.round(Number.isFinite(v) ? v : 0)));
  return {
    number: (value, language) => (isLanguage(language) ? sayNumber(whole(value, MAX_SAYABLE), language).map((id) => numberPromptFile(dir, language, id)) : []),
    duration: (seconds, language) =>
      isLanguage(language) ? sayDuration(whole(seconds, MAX_SAYABLE * 60), language).map((id) => numberPromptFile(dir, language, id)) : [],
  };
}

/**
 * Prompt files as the flow names them, and numbers said piece by piece from `promptDir` (the flows directory's
 * `prompts/`). Without `promptDir` numbers are skipped.
 */
export function defaultPromptFiles(promptDir?: string): PromptFiles {
  const numbers = promptDir === undefined ? undefined : numberFiles(promptDir);
  return { prompt: (file) => resolve(file), number: (value, language) => numbers?.number(value, language) ?? [] };
}

/**
 * The late-answer whisper to the agent: "the caller has waited 2 minutes 5 seconds, please apologise first"
 * (来电人已等待两分钟五秒,请先向来电人致歉), from the standard scripts in `promptDir`.
 */
export function lateWhisperFiles(promptDir: string, language: Language = 'zh'): (waitedSec: number) => string[] {
  const dir = resolve(promptDir);
  const numbers = numberFiles(dir);
  return (waitedSec) => [`${dir}/${language}/late-answer.wav`, ...numbers.duration(waitedSec, language), `${dir}/${language}/late-answer-apologise.wav`];
}

/**
 * The IVR's call-channel port (src/ivr/channel.ts) over a FreeSWITCH leg. A hangup — the caller's BYE, the leg
 * ending, or MEDIA_GONE from an operation — answers the pending operation with 'hangup'; every other media error
 * is thrown, and the flow runner treats it as the end of the call. `hangup()` goes to the session's one cleanup path.
 */
export class MediaCallChannel implements CallChannel {
  private readonly listeners = new Set<() => void>();
  private readonly offs: Array<() => void> = [];
  private hungUp = false;

  constructor(
    private readonly session: CallSession,
    private readonly leg: MediaLeg,
    signal: DialogSignal,
    private readonly files: PromptFiles,
    private readonly log: Logger,
    readonly caller: string,
    readonly called: string,
  ) {
    const onGone = (): void => this.farEndGone();
    this.offs.push(signal.onHangup(onGone), leg.onGone(onGone));
  }

  get callId(): string {
    return this.session.callId;
  }

  answer(): Promise<void> {
    // The INVITE was answered with FreeSWITCH's SDP before the flow started: media is already up.
    return Promise.resolve();
  }

  async play(items: PlayItem[]): Promise<PlayOutcome> {
    return this.guard(async () => {
      await this.leg.play(this.toFiles(items));
      return 'finished' as const;
    });
  }

  async playCollect(items: PlayItem[], spec: DigitSpec): Promise<CollectOutcome> {
    return this.guard(async () => {
      const digits = await this.leg.collect({
        prompts: this.toFiles(items),
        min: spec.min,
        max: spec.max,
        timeoutMs: spec.firstDigitTimeoutMs,
        interDigitMs: spec.interDigitTimeoutMs,
        ...(spec.terminator ? { terminators: spec.terminator } : {}),
        ...(spec.bargeIn === false ? { bargeIn: false } : {}),
      });
      return digits === '' ? ('no-input' as const) : { digits };
    });
  }

  async record(items: PlayItem[], file: string, maxSec: number): Promise<RecordOutcome> {
    return this.guard(async () => {
      await this.leg.play([...this.toFiles(items), 'tone_stream://%(500,0,800)']);
      const r = await this.leg.record(file, { maxSec, silenceSec: 5 });
      return { file, durationSec: r.seconds };
    });
  }

  async detectVoice(timeoutMs: number): Promise<'voice' | 'silence' | 'hangup'> {
    return this.guard(async () => ((await this.leg.waitForVoice(timeoutMs)) ? ('voice' as const) : ('silence' as const)));
  }

  startMusic(items: PlayItem[]): void {
    const [file] = this.toFiles(items);
    if (!file || this.hungUp) return;
    this.leg.startBackground(file).catch((err: unknown) => {
      if (!isMediaError(err, 'MEDIA_GONE')) this.log.warn({ err }, 'music on hold failed');
    });
  }

  stopMusic(): void {
    if (this.hungUp) return;
    this.leg.stopAudio().catch((err: unknown) => {
      if (!isMediaError(err, 'MEDIA_GONE')) this.log.warn({ err }, 'stopping music failed');
    });
  }

  /** Blind transfer from the IVR to an outside number needs a trunk this server does not have: report failure. */
  transfer(to: string): Promise<boolean> {
    this.log.warn({ to }, 'IVR transfer to an outside number is not available (no trunk configured)');
    return Promise.resolve(false);
  }

  async hangup(disposition: Disposition): Promise<void> {
    this.dispose();
    await this.session.hangup(disposition);
  }

  onHangup(listener: () => void): void {
    this.listeners.add(listener);
  }

  offHangup(listener: () => void): void {
    this.listeners.delete(listener);
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private farEndGone(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    for (const fn of [...this.listeners]) fn();
  }

  private async guard<T>(op: () => Promise<T>): Promise<T | 'hangup'> {
    if (this.hungUp || this.leg.gone) return 'hangup';
    try {
      return await op();
    } catch (err) {
      if (isMediaError(err, 'MEDIA_GONE') || this.leg.gone) return 'hangup';
      throw err;
    }
  }

  private toFiles(items: readonly PlayItem[]): string[] {
    const out: string[] = [];
    for (const i of items) {
      if (i.kind === 'prompt') out.push(this.files.prompt(i.file));
      else if (i.kind === 'number') out.push(...this.files.number(i.value, i.language));
      // No text-to-speech engine in the media server: synthesised text is logged, not said.
      else this.log.debug({ text: i.text }, 'tts item skipped (no TTS engine)');
    }
    return out;
  }
}
