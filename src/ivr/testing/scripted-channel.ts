import type { Clock, TimerHandle } from '../../core/clock.js';
import type { CallChannel, CollectOutcome, IvrQueuePort, PlayOutcome, QueueTicket, RecordOutcome } from '../channel.js';
import type { DigitSpec, Disposition, EnqueueRequest, PlayItem, QueueOutcome } from '../spec.js';

/**
 * A call-channel double on a virtual clock, for scripted call tests ("caller presses 2, stays silent 11 s").
 * Each question the channel asks (collect, record, voice detection) takes the caller's next scripted action;
 * prompts take `itemMs` per item. The telephony side can reuse it for call-session tests.
 */
export type CallerAction =
  | { press: string; afterMs?: number }
  /**
   * The caller types `typeAhead` `atMs` after the next prompt starts (default 1000), while it still plays. Kept
   * (the prompt stops there) when the channel was asked to collect digits with barge-in; lost otherwise.
   */
  | { typeAhead: string; atMs?: number }
  | { silent: true }
  | { speak: number }
  | { hangup: true; afterMs?: number };

export interface ChannelLogEntry {
  at: number;
  op: 'answer' | 'play' | 'collect' | 'record' | 'music' | 'transfer' | 'hangup' | 'caller-hangup' | 'detect';
  /** Prompt ids; `tts:<text>` and `#<n>` for synthesised text and numbers. */
  say?: string[];
  digits?: string;
  detail?: string;
}

export function describeItem(i: PlayItem): string {
  return i.kind === 'prompt' ? i.id : i.kind === 'tts' ? `tts:${i.text}` : `#${i.value}`;
}

interface Pending {
  timer: TimerHandle | undefined;
  settle: (v: 'hangup') => void;
}

export class ScriptedChannel implements CallChannel {
  readonly log: ChannelLogEntry[] = [];
  disposition: Disposition | undefined;
  languages = new Set<string>();
  private readonly script: CallerAction[];
  private readonly listeners = new Set<() => void>();
  private pending: Pending | undefined;
  private gone = false;

  constructor(
    private readonly clock: Clock,
    opts: {
      callId?: string;
      caller?: string;
      called?: string;
      script?: CallerAction[];
      itemMs?: number;
      /** How long each item plays, ms (e.g. the real prompt files' lengths); default `itemMs` per item. */
      itemLength?: (item: PlayItem) => number;
      transferOk?: boolean;
    } = {},
  ) {
    this.callId = opts.callId ?? 'call-1';
    this.caller = opts.caller ?? '13800138000';
    this.called = opts.called ?? '12345';
    this.script = [...(opts.script ?? [])];
    this.itemMs = opts.itemMs ?? 2000;
    this.transferOk = opts.transferOk ?? true;
    this.itemLength = opts.itemLength;
  }

  readonly callId: string;
  readonly caller: string;
  readonly called: string;
  private readonly itemMs: number;
  private readonly transferOk: boolean;
  private readonly itemLength: ((item: PlayItem) => number) | undefined;

  private lengthOf(items: PlayItem[]): number {
    const f = this.itemLength;
    return f ? items.reduce((ms, i) => ms + f(i), 0) : items.length * this.itemMs;
  }

  /** Every prompt said, in order (collect and record prompts included, music excluded). */
  said(): string[] {
    return this.log.filter((e) => e.op === 'play' || e.op === 'collect' || e.op === 'record').flatMap((e) => e.say ?? []);
  }

  /** The caller hangs up at virtual time `at`. */
  hangupAt(at: number): void {
    this.clock.setTimeout(() => this.callerHangup(), Math.max(0, at - this.clock.now()));
  }

  callerHangup(): void {
    if (this.gone) return;
    this.gone = true;
    this.log.push({ at: this.clock.now(), op: 'caller-hangup' });
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      this.clock.clearTimeout(p.timer);
      p.settle('hangup');
    }
    for (const l of [...this.listeners]) l();
  }

  answer(): Promise<void> {
    this.log.push({ at: this.clock.now(), op: 'answer' });
    return Promise.resolve();
  }

  private wait<T>(ms: number, value: () => T): Promise<T | 'hangup'> {
    if (this.gone) return Promise.resolve('hangup');
    return new Promise((resolve) => {
      const p: Pending = { timer: undefined, settle: resolve };
      p.timer = this.clock.setTimeout(() => {
        if (this.pending === p) this.pending = undefined;
        resolve(value());
      }, ms);
      this.pending = p;
    });
  }

  private note(op: ChannelLogEntry['op'], items: PlayItem[], extra: Partial<ChannelLogEntry> = {}): ChannelLogEntry {
    for (const i of items) this.languages.add(i.language);
    const entry: ChannelLogEntry = { at: this.clock.now(), op, say: items.map(describeItem), ...extra };
    this.log.push(entry);
    return entry;
  }

  /** The items begun before `ms` into the list (a key there stops the playback: the rest is never heard). */
  private begunBefore(items: PlayItem[], ms: number): PlayItem[] {
    let start = 0;
    return items.filter((i) => {
      const begun = start < ms;
      start += this.lengthOf([i]);
      return begun;
    });
  }

  async play(items: PlayItem[]): Promise<PlayOutcome> {
    this.note('play', items);
    const ahead = this.takeTypeAhead(items);
    const r = await this.wait(this.lengthOf(items), () => 'finished' as const);
    // A plain play keeps no digits (FreeSWITCH's playback drops them): the caller's key is lost.
    if (ahead && r !== 'hangup') this.log.push({ at: ahead.at, op: 'play', digits: ahead.digits, detail: 'lost' });
    return r;
  }

  private nextAction(): CallerAction {
    return this.script.shift() ?? { silent: true };
  }

  /** The scripted type-ahead for the prompt starting now, if the caller presses before it ends. */
  private takeTypeAhead(items: PlayItem[]): { digits: string; atMs: number; at: number } | undefined {
    const a = this.script[0];
    if (!a || !('typeAhead' in a)) return undefined;
    const atMs = a.atMs ?? 1000;
    if (atMs >= this.lengthOf(items)) return undefined;
    this.script.shift();
    return { digits: a.typeAhead, atMs, at: this.clock.now() + atMs };
  }

  async playCollect(items: PlayItem[], spec: DigitSpec): Promise<CollectOutcome> {
    const entry = this.note('collect', items);
    const ahead = this.takeTypeAhead(items);
    if (ahead && spec.bargeIn !== false) {
      // Barge-in: the key stops the prompt (the rest of the list too: one playback) and counts (up to `max` digits).
      entry.say = this.begunBefore(items, ahead.atMs).map(describeItem);
      const r = await this.wait(ahead.atMs, () => ({ digits: ahead.digits.slice(0, spec.max) }));
      if (r !== 'hangup') this.log.push({ at: this.clock.now(), op: 'collect', digits: r.digits, detail: 'barge-in' });
      return r;
    }
    if ((await this.wait(this.lengthOf(items), () => 'ok' as const)) === 'hangup') return 'hangup';
    if (ahead) this.log.push({ at: ahead.at, op: 'collect', digits: ahead.digits, detail: 'lost' });
    // Only type-ahead was asked for (a play before a menu): nothing after the prompt is waited for.
    if (spec.firstDigitTimeoutMs === 0) return 'no-input';
    const a = this.nextAction();
    if ('hangup' in a) {
      await this.wait(a.afterMs ?? 0, () => 'ok' as const);
      this.callerHangup();
      return 'hangup';
    }
    if ('press' in a) {
      const r = await this.wait(a.afterMs ?? 1000, () => ({ digits: a.press }));
      if (r !== 'hangup') this.log.push({ at: this.clock.now(), op: 'collect', digits: a.press });
      return r;
    }
    return this.wait(spec.firstDigitTimeoutMs, () => 'no-input' as const);
  }

  async record(items: PlayItem[], file: string, maxSec: number): Promise<RecordOutcome> {
    this.note('record', items, { detail: file });
    if ((await this.wait(this.lengthOf(items), () => 'ok' as const)) === 'hangup') return 'hangup';
    const a = this.nextAction();
    const sec = 'speak' in a ? Math.min(a.speak, maxSec) : 0;
    return this.wait(sec * 1000, () => ({ file, durationSec: sec }));
  }

  async detectVoice(timeoutMs: number): Promise<'voice' | 'silence' | 'hangup'> {
    this.log.push({ at: this.clock.now(), op: 'detect' });
    const a = this.nextAction();
    if ('speak' in a || 'press' in a) return this.wait(500, () => 'voice' as const);
    if ('hangup' in a) {
      this.callerHangup();
      return 'hangup';
    }
    return this.wait(timeoutMs, () => 'silence' as const);
  }

  startMusic(items: PlayItem[]): void {
    this.note('music', items);
  }

  stopMusic(): void {
    /* music is not timed in the double */
  }

  async transfer(to: string): Promise<boolean> {
    this.log.push({ at: this.clock.now(), op: 'transfer', detail: to });
    const r = await this.wait(1000, () => this.transferOk);
    return r === 'hangup' ? false : r;
  }

  hangup(disposition: Disposition): Promise<void> {
    this.log.push({ at: this.clock.now(), op: 'hangup', detail: disposition });
    this.disposition = disposition;
    this.gone = true;
    return Promise.resolve();
  }

  onHangup(listener: () => void): void {
    this.listeners.add(listener);
  }

  offHangup(listener: () => void): void {
    this.listeners.delete(listener);
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}

/** What the scripted ACD does with a queued call. */
export interface QueuePlan {
  /** Position when queued; it moves up one every `advanceEveryMs`. */
  position?: number;
  advanceEveryMs?: number;
  /** An agent answers after this long in queue ... */
  answerAfterMs?: number;
  /** ... talks this long, then hangs up (agent-ended). */
  talkMs?: number;
  /** Or the ACD reports this instead, after `outcomeAfterMs`. */
  outcome?: Exclude<QueueOutcome, 'answered' | 'agent-ended'>;
  outcomeAfterMs?: number;
}

export class ScriptedQueue implements IvrQueuePort {
  readonly requests: EnqueueRequest[] = [];
  cancelled = 0;
  private readonly timers: TimerHandle[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly plan: QueuePlan = {},
  ) {}

  enqueue(_call: { callId: string; caller: string; flowId: string }, request: EnqueueRequest, onOutcome: (o: QueueOutcome) => void): QueueTicket {
    this.requests.push(request);
    const start = this.clock.now();
    const p = this.plan;
    if (p.outcome !== undefined) this.timers.push(this.clock.setTimeout(() => onOutcome(p.outcome!), p.outcomeAfterMs ?? 0));
    else if (p.answerAfterMs !== undefined) {
      this.timers.push(
        this.clock.setTimeout(() => {
          onOutcome('answered');
          this.timers.push(this.clock.setTimeout(() => onOutcome('agent-ended'), p.talkMs ?? 60_000));
        }, p.answerAfterMs),
      );
    }
    return {
      position: () => Promise.resolve(Math.max(1, (p.position ?? 1) - Math.floor((this.clock.now() - start) / (p.advanceEveryMs ?? 60_000)))),
      cancel: () => {
        this.cancelled++;
        for (const t of this.timers.splice(0)) this.clock.clearTimeout(t);
        return Promise.resolve();
      },
    };
  }
}
