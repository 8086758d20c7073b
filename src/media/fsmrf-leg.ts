import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import { dialogRef } from '../sip/orphans.js';
import type { Clock } from '../core/clock.js';
import { MediaError, type MediaObserver } from './errors.js';
import { MEDIA_SERVER_LOST, type CollectOptions, type DtmfListener, type GoneListener, type MediaLeg, type RecordOptions } from './leg.js';
import { withTimeout } from './timeout.js';

export interface MediaLimits {
  /** Added to every operation's natural length before it is declared stuck, ms. */
  graceMs: number;
  /** Upper bound for a play whose length we cannot know in advance, ms. */
  playMs: number;
  /** Limit for short control commands (bridge, break, set), ms. */
  commandMs: number;
  /** detect_audio energy threshold and consecutive frames above it that count as voice. */
  voiceThreshold: number;
  voiceHits: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  graceMs: 3000,
  playMs: 60_000,
  commandMs: 5000,
  voiceThreshold: 300,
  voiceHits: 3,
};

/**
 * Several files as one: FreeSWITCH's file_string:// plays them in order in one application. fsmrf's play() of a list
 * and a delimited play_and_get_digits would first `set playback_delimiter` — one more execute, with its events
 * carrying every channel variable, on every announcement. (A file of the list that cannot be opened is skipped.)
 */
export function fileList(files: readonly string[]): string {
  return files.length === 1 ? files[0]! : `file_string://${files.join('!')}`;
}

/**
 * What a leg uses of its endpoint: fsmrf's Endpoint (its own event socket per channel), or a ParkedEndpoint driven
 * over the media server's shared socket (MEDIA_CONTROL=shared).
 */
export interface LegEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string };
  play(file: string | string[]): Promise<Mrf.PlayResult>;
  playCollect(opts: Mrf.PlayCollectOptions): Promise<Mrf.PlayCollectResult>;
  record(file: string, opts?: Mrf.RecordOptions): Promise<Mrf.RecordResult>;
  execute(app: string, arg?: string): Promise<Mrf.EslEvent>;
  api(command: string, args?: string | string[]): Promise<Mrf.EslEvent>;
  bridge(other: string): Promise<void>;
  unbridge(): Promise<void>;
  modify(sdp: string): Promise<string>;
  destroy(): Promise<void>;
  on(event: 'dtmf', fn: (evt: Mrf.DtmfEvent) => void): unknown;
  on(event: 'destroy', fn: (evt?: { reason?: string }) => void): unknown;
  off(event: 'dtmf', fn: (evt: Mrf.DtmfEvent) => void): unknown;
  off(event: 'destroy', fn: (evt?: { reason?: string }) => void): unknown;
}

/** A MediaLeg over one drachtio-fsmrf Endpoint (or a ParkedEndpoint of the same shape). */
export class FsmrfLeg implements MediaLeg {
  private isGone = false;
  private remoteApplied = false;
  private background: Promise<unknown> | undefined;
  private backgroundFile: string | undefined;
  /** Bumped by every start/stop of music, so an operation over the music resumes it only if nobody else acted. */
  private musicGen = 0;
  /** Applications this leg started that have not reported back (play, collect, record, detect_audio). */
  private running = 0;
  private readonly goneListeners = new Set<GoneListener>();
  private readonly onDestroy = (evt?: { reason?: string }): void => this.markGone(evt?.reason ?? 'hangup');

  constructor(
    private readonly ep: LegEndpoint,
    private readonly clock: Clock,
    private readonly limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
    private readonly observer?: MediaObserver,
  ) {
    ep.on('destroy', this.onDestroy);
  }

  get id(): string {
    return this.ep.uuid;
  }

  get ref(): Readonly<Record<string, string>> | undefined {
    const dialog = (this.ep as unknown as { dialog?: Srf.Dialog | null }).dialog;
    const ref = dialog ? dialogRef(dialog) : undefined;
    return ref ? { ...ref } : undefined;
  }

  get gone(): boolean {
    return this.isGone;
  }

  /** The SDP FreeSWITCH offers/answers for this leg (for the SIP side). */
  get localSdp(): string {
    return this.ep.local.sdp;
  }

  play(files: readonly string[], opts?: { timeoutMs?: number }): Promise<void> {
    return this.overMusic(() => this.playNow(files, opts));
  }

  private async playNow(files: readonly string[], opts?: { timeoutMs?: number }): Promise<void> {
    if (files.length === 0) return;
    this.ensureLive('play');
    const limit = opts?.timeoutMs ?? this.limits.playMs;
    await this.guard('play', this.track(this.ep.play([fileList(files)])), limit + this.limits.graceMs);
  }

  collect(opts: CollectOptions): Promise<string> {
    return this.overMusic(() => this.collectNow(opts));
  }

  private async collectNow(opts: CollectOptions): Promise<string> {
    this.ensureLive('collect');
    let prompts = opts.prompts;
    if (opts.bargeIn === false && prompts.length > 0) {
      // No barge-in: a plain playback, whose DTMF FreeSWITCH's playback app swallows; then the digits are collected.
      await this.playNow(prompts);
      prompts = [];
    }
    const file = prompts.length > 0 ? fileList(prompts) : 'silence_stream://250';
    const work = this.track(this.ep.playCollect({
      file,
      min: Math.max(1, opts.min),
      max: opts.max,
      tries: 1,
      // fsmrf turns 0 into its default of 120 s; 1 ms is "do not wait after the prompt" (type-ahead only).
      timeout: Math.max(1, opts.timeoutMs),
      digitTimeout: opts.interDigitMs,
      terminators: opts.terminators ?? '#',
      regexp: `[0-9*#]{${Math.max(1, opts.min)},${opts.max}}`,
    }));
    // The prompts' length is unknown here; bound it by the play limit plus the digit windows.
    const limit = this.limits.playMs + opts.timeoutMs + opts.interDigitMs * opts.max + this.limits.graceMs;
    const r = await this.guard('collect', work, limit);
    return r.digits ?? '';
  }

  record(file: string, opts: RecordOptions): Promise<{ seconds: number }> {
    return this.overMusic(() => this.recordNow(file, opts));
  }

  private async recordNow(file: string, opts: RecordOptions): Promise<{ seconds: number }> {
    this.ensureLive('record');
    const work = this.track(this.ep.record(file, { timeLimitSecs: opts.maxSec, silenceThresh: 200, silenceHits: opts.silenceSec }));
    const r = await this.guard('record', work, opts.maxSec * 1000 + this.limits.graceMs);
    return { seconds: Number(r.recordSeconds ?? 0) || 0 };
  }

  waitForVoice(timeoutMs: number): Promise<boolean> {
    return this.overMusic(() => this.waitForVoiceNow(timeoutMs));
  }

  private async waitForVoiceNow(timeoutMs: number): Promise<boolean> {
    this.ensureLive('waitForVoice');
    const { voiceThreshold, voiceHits } = this.limits;
    const evt = await this.guard(
      'waitForVoice',
      this.track(this.ep.execute('detect_audio', `${voiceThreshold} ${voiceHits} ${timeoutMs}`)),
      timeoutMs + this.limits.graceMs,
    );
    // detect_audio sets detect_audio_timeout=false when it heard voice, true when the time ran out.
    return evt.getHeader('variable_detect_audio_timeout') === 'false';
  }

  /**
   * Run a media operation over the music loop: FreeSWITCH queues applications, so a prompt sent while
   * endless_playback runs would wait for ever. The loop is broken, the operation runs, and the loop resumes —
   * unless someone started or stopped music meanwhile.
   */
  private async overMusic<T>(op: () => Promise<T>): Promise<T> {
    const music = this.backgroundFile;
    if (music === undefined) return op();
    const gen = ++this.musicGen;
    this.backgroundFile = undefined;
    await this.breakAll();
    try {
      return await op();
    } finally {
      if (this.musicGen === gen && !this.isGone) {
        await this.startBackground(music).catch(() => undefined);
      }
    }
  }

  async startBackground(file: string): Promise<void> {
    this.ensureLive('startBackground');
    this.musicGen++;
    // Two owners may ask for the same music at once (the IVR's queue node and the session): one loop is enough,
    // and a second endless_playback would nest inside the first where one uuid_break cannot end both.
    if (this.backgroundFile === file) return;
    this.backgroundFile = file;
    await this.breakAll();
    if (this.backgroundFile !== file || this.isGone) return;
    // endless_playback runs until uuid_break; its completion is awaited in stopAudio (or dropped on hangup).
    this.background = this.ep.execute('endless_playback', file).catch(() => undefined);
  }

  async stopAudio(): Promise<void> {
    this.musicGen++;
    this.backgroundFile = undefined;
    await this.breakAll();
  }

  private async breakAll(): Promise<void> {
    if (this.isGone) return;
    // Nothing of ours runs on the channel (no music, every application reported back): a uuid_break would be an event
    // socket round trip that stops nothing — starting the music after the menu, stopping it twice at the answer.
    if (this.running === 0 && this.background === undefined) return;
    await this.guard('stopAudio', this.ep.api('uuid_break', `${this.ep.uuid} all`), this.limits.commandMs);
    const bg = this.background;
    this.background = undefined;
    // The loop's completion proves the channel is free; on a bridged leg it may never come, so wait only briefly.
    // onLate null: the loop's completion is an event, it holds nothing to release.
    if (bg) await withTimeout(bg, 1000, this.clock, 'stopAudio', { onLate: null }).catch(() => undefined);
  }

  async recordSession(file: string): Promise<void> {
    this.ensureLive('recordSession');
    await this.guard('recordSession', this.ep.execute('record_session', file), this.limits.commandMs);
  }

  async bridge(other: MediaLeg): Promise<void> {
    this.ensureLive('bridge');
    if (other.gone) throw new MediaError('MEDIA_GONE', 'bridge', 'the other leg has already ended');
    await this.guard('bridge', this.ep.bridge(other.id), this.limits.commandMs);
  }

  async unbridge(): Promise<void> {
    this.ensureLive('unbridge');
    await this.guard('unbridge', this.ep.unbridge(), this.limits.commandMs);
  }

  onDtmf(fn: DtmfListener): () => void {
    const listener = (evt: Mrf.DtmfEvent): void => fn(evt.dtmf);
    this.ep.on('dtmf', listener);
    return () => {
      this.ep.off('dtmf', listener);
    };
  }

  onGone(fn: GoneListener): () => void {
    if (this.isGone) {
      queueMicrotask(() => fn('gone'));
      return () => undefined;
    }
    this.goneListeners.add(fn);
    return () => {
      this.goneListeners.delete(fn);
    };
  }

  /**
   * Give an endpoint that offered first (MediaServerConnection.offerLeg) the far end's answer: early media from a
   * 183, or the 200 OK's SDP (fsmrf re-INVITEs FreeSWITCH with it).
   */
  async answerWith(remoteSdp: string): Promise<void> {
    this.ensureLive('answerWith');
    await this.guard('answerWith', this.ep.modify(remoteSdp), this.limits.commandMs);
    this.remoteApplied = true;
  }

  /** An offering endpoint has been given the far end's SDP (answerWith succeeded). */
  get answered(): boolean {
    return this.remoteApplied;
  }

  async release(): Promise<void> {
    if (this.isGone) return;
    this.markGone('released');
    // onLate null: a late destroy has done its job; there is nothing more to release.
    await withTimeout(this.ep.destroy(), this.limits.commandMs, this.clock, 'release', { onLate: null }).catch(() => undefined);
  }

  /**
   * The leg's media server was taken out of service (MediaPool: its event socket ended, its heartbeat went stale,
   * or set-ups kept timing out). The leg ends now, so the call's cleanup runs at once instead of waiting on replies
   * that may never come; the endpoint is still asked to hang up, in case FreeSWITCH lives and only its event socket
   * stalled (bounded like release()).
   */
  serverLost(reason: string): void {
    if (this.isGone) return;
    this.markGone(`${MEDIA_SERVER_LOST}: ${reason}`);
    // onLate null: a late destroy has done its job; there is nothing more to release.
    withTimeout(this.ep.destroy(), this.limits.commandMs, this.clock, 'release', { onLate: null }).catch(() => undefined);
  }

  private markGone(reason: string): void {
    if (this.isGone) return;
    this.isGone = true;
    this.ep.off('destroy', this.onDestroy);
    for (const fn of [...this.goneListeners]) fn(reason);
    this.goneListeners.clear();
  }

  /** Count an application as running until FreeSWITCH reports it done (also past our time limit for it). */
  private track<T>(work: Promise<T>): Promise<T> {
    this.running++;
    const done = (): void => {
      this.running--;
    };
    void work.then(done, done);
    return work;
  }

  private ensureLive(op: string): void {
    if (this.isGone) throw new MediaError('MEDIA_GONE', op, 'the leg has ended');
  }

  /** Time-limit an fsmrf call; a timeout breaks the stuck application so the channel is free again. */
  private async guard<T>(op: string, work: Promise<T>, ms: number): Promise<T> {
    try {
      return await this.guarded(op, work, ms);
    } catch (e) {
      if (e instanceof MediaError) this.observer?.error(e.code, op);
      throw e;
    }
  }

  private async guarded<T>(op: string, work: Promise<T>, ms: number): Promise<T> {
    // The leg may go while the operation runs. When FreeSWITCH itself dies its event socket ends, fsmrf drops the
    // endpoint's listeners and the operation never settles: it ends at once as MEDIA_GONE instead of holding the
    // call's cleanup (and its record) for the operation's whole time limit (a minute for a prompt).
    let offGone: (() => void) | undefined;
    const gone = new Promise<never>((_resolve, reject) => {
      const fn: GoneListener = (reason) => reject(new MediaError('MEDIA_GONE', op, `the leg ended during the operation (${reason})`));
      this.goneListeners.add(fn);
      offGone = () => this.goneListeners.delete(fn);
    });
    try {
      // onLate null: these are results of applications on an endpoint this leg already owns (and releases);
      // they hold no resource of their own.
      return await withTimeout(Promise.race([work, gone]), ms, this.clock, op, {
        onLate: null,
        onTimeout: () => {
          if (!this.isGone) this.ep.api('uuid_break', `${this.ep.uuid} all`).catch(() => undefined);
        },
      });
    } catch (e) {
      if (this.isGone) throw new MediaError('MEDIA_GONE', op, 'the leg ended during the operation', { cause: e });
      if (e instanceof Error && /File Not Found/i.test(e.message)) {
        throw new MediaError('MEDIA_FILE_NOT_FOUND', op, e.message, { cause: e });
      }
      throw e;
    } finally {
      offGone?.();
    }
  }
}
