import { isMediaError, MediaError } from '../media/errors.js';
import type { CollectOptions, DtmfListener, GoneListener, MediaLeg, RecordOptions } from '../media/leg.js';
import type { MediaPeer } from './ports.js';

/**
 * The caller's media for the whole call, whichever media-server leg carries it at the moment. With media release
 * (QueueSettings.releaseMedia) the caller's FreeSWITCH leg is released while caller and agent talk to each other
 * directly (`detach`): the caller is still here, so this leg is not gone, and nothing plays. The first operation
 * that needs the caller's media again (the survey after the agent, a transfer prompt) brings it back through the
 * caller's MediaPeer (an offerless re-INVITE into a new leg) and runs on that leg; a call that simply ends never
 * pays for it. Listeners (gone, DTMF) belong to this object and follow the current leg, so the session, the IVR
 * channel and the cleanup path keep one reference for the whole call.
 */
export class CallerLeg implements MediaLeg {
  private current: MediaLeg | undefined;
  private lastId: string;
  private offCurrent: Array<() => void> = [];
  private reanchoring: Promise<MediaLeg> | undefined;
  private released = false;
  private lost = false;
  private readonly goneFns = new Set<GoneListener>();
  private readonly dtmfFns = new Set<DtmfListener>();
  private readonly attachedFns = new Set<(leg: MediaLeg) => void>();

  constructor(
    first: MediaLeg,
    private readonly peer: MediaPeer | undefined,
  ) {
    this.lastId = first.id;
    this.attach(first);
  }

  /** The current leg's id; while detached, the last one's (a placement hint only). */
  get id(): string {
    return this.current?.id ?? this.lastId;
  }

  get gone(): boolean {
    return this.released || this.lost;
  }

  get ref(): Readonly<Record<string, string>> | undefined {
    return this.current?.ref;
  }

  /** True while no media-server leg carries the caller (media released). */
  get detached(): boolean {
    return this.current === undefined && !this.gone;
  }

  /** Told of every leg that starts carrying the caller after the first (the call's tracking entry names it). */
  onAttached(fn: (leg: MediaLeg) => void): () => void {
    this.attachedFns.add(fn);
    return () => this.attachedFns.delete(fn);
  }

  /**
   * Release the media-server leg while the caller stays: called once the caller's media goes straight to the seat.
   * The leg's own end is not the caller's (no gone event). Idempotent.
   */
  async detach(): Promise<void> {
    const leg = this.current;
    if (!leg || this.gone) return;
    this.current = undefined;
    for (const off of this.offCurrent.splice(0)) off();
    await leg.release();
  }

  play(files: readonly string[], opts?: { timeoutMs?: number }): Promise<void> {
    return this.withLeg('play', (l) => l.play(files, opts), () => undefined);
  }

  collect(opts: CollectOptions): Promise<string> {
    return this.withLeg('collect', (l) => l.collect(opts), () => '');
  }

  record(file: string, opts: RecordOptions): Promise<{ seconds: number }> {
    return this.withLeg('record', (l) => l.record(file, opts));
  }

  waitForVoice(timeoutMs: number): Promise<boolean> {
    return this.withLeg('waitForVoice', (l) => l.waitForVoice(timeoutMs));
  }

  startBackground(file: string): Promise<void> {
    return this.withLeg('startBackground', (l) => l.startBackground(file), () => undefined);
  }

  recordSession(file: string): Promise<void> {
    return this.withLeg('recordSession', (l) => l.recordSession(file));
  }

  bridge(other: MediaLeg): Promise<void> {
    return this.withLeg('bridge', (l) => l.bridge(other));
  }

  /** Nothing plays on a detached caller: no re-INVITE just to stop it. */
  stopAudio(): Promise<void> {
    return this.current ? this.current.stopAudio() : Promise.resolve();
  }

  unbridge(): Promise<void> {
    return this.current ? this.current.unbridge() : Promise.resolve();
  }

  onDtmf(fn: DtmfListener): () => void {
    this.dtmfFns.add(fn);
    return () => this.dtmfFns.delete(fn);
  }

  onGone(fn: GoneListener): () => void {
    this.goneFns.add(fn);
    return () => this.goneFns.delete(fn);
  }

  /** The call's end: the current leg is released (its gone event passes on as before); a re-anchor in flight is released when it lands. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.current?.release();
  }

  private attach(leg: MediaLeg): void {
    this.current = leg;
    this.lastId = leg.id;
    this.offCurrent = [
      leg.onGone((reason) => {
        if (this.current !== leg) return;
        this.lost = true;
        for (const fn of [...this.goneFns]) fn(reason);
      }),
      leg.onDtmf((d) => {
        for (const fn of [...this.dtmfFns]) fn(d);
      }),
    ];
  }

  /**
   * `stopped`: what the operation answers when detach() released its leg under it. FreeSWITCH answers uuid_break at
   * once and the broken application reports back later, so a prompt still under way at the seat's answer (the
   * queue's first announcement) ends with the leg, as MEDIA_GONE: that is audio stopped for the talk, not the
   * caller leaving (the IVR channel reads MEDIA_GONE as a hangup).
   */
  private async withLeg<T>(op: string, fn: (leg: MediaLeg) => Promise<T>, stopped?: () => T): Promise<T> {
    const leg = await this.leg(op);
    try {
      return await fn(leg);
    } catch (err) {
      if (stopped && isMediaError(err, 'MEDIA_GONE') && this.current !== leg && !this.gone) return stopped();
      throw err;
    }
  }

  /** The leg carrying the caller now, re-anchoring a detached caller first (one re-INVITE for concurrent operations). */
  private async leg(op: string): Promise<MediaLeg> {
    if (this.gone) throw new MediaError('MEDIA_GONE', op, 'the caller leg is gone');
    if (this.current) return this.current;
    const peer = this.peer;
    if (!peer) throw new MediaError('MEDIA_FAILED', op, 'the caller is detached and cannot be re-anchored');
    this.reanchoring ??= peer
      .reanchor({})
      .then(async (leg) => {
        if (this.gone) {
          // The call ended while the re-INVITE ran: the new leg has no owner but us; free it.
          await leg.release();
          throw new MediaError('MEDIA_GONE', op, 'the call ended while the caller was re-anchored');
        }
        this.attach(leg);
        for (const fn of [...this.attachedFns]) fn(leg);
        return leg;
      })
      .finally(() => {
        this.reanchoring = undefined;
      });
    return this.reanchoring;
  }
}
