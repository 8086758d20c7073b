import type { Offer } from '../acd/model.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { MediaError, isMediaError } from '../media/errors.js';
import type { MediaLeg } from '../media/leg.js';
import { answerWindowMs, ringsHeard } from './answer-timer.js';
import type { AnsweredSeat, CallAcd, CallRecordSink, DialogSignal, RingingSeat, SeatDialer, TransferResolver, TransferTarget } from './ports.js';
import type { CallRecord, Disposition, EndedBy } from './record.js';
import { runSilentScript } from './silent-script.js';

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
}

export interface CallerSide {
  leg: MediaLeg;
  signal: DialogSignal;
}

/** How a stay in the queue ended, for the owner (the IVR runner) to continue. */
export type QueueResult =
  | { outcome: 'agent-ended'; agentId: string } // the agent hung up; the caller is still here (survey next)
  | { outcome: 'transferred'; target: TransferTarget }
  | { outcome: 'cancelled' } // the owner took the call out of the queue (callback offer, menu choice)
  | { outcome: 'ended' }; // the call ended (caller gone, silent, shutdown): nothing more to do

type Phase = 'ivr' | 'queued' | 'ringing' | 'connected' | 'after-agent' | 'ended';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * One call, one owner. The session holds the caller's leg and dialog, rings agents, bridges, runs the silent-call
 * script and the answer timer, and owns the ONE cleanup path: `end()` runs for BYE, CANCEL, our own hangup, errors
 * and shutdown alike, is idempotent, restores the agent's state, releases both legs and writes the record once.
 */
export class CallSession {
  readonly callId: string;
  private phase: Phase = 'ivr';
  private readonly log: Logger;
  private readonly stopped = deferred<void>();
  private ending: Promise<void> | undefined;
  private readonly timers = new Set<TimerHandle>();
  private readonly offs: Array<() => void> = [];
  private ringingSeat: { agentId: string; seat: RingingSeat } | undefined;
  private agent: { agentId: string; seat: AnsweredSeat; wrapUpSec: number } | undefined;
  private readonly record: CallRecord;
  private silentRun: Promise<void> | undefined;
  private silentAborted = false;
  /** The call is known to the ACD (queued, offered or talking) until it leaves; cleanup makes it leave. */
  private inAcd: { wrapUpSec: number } | undefined;
  private queueCancel: Deferred<'cancelled'> | undefined;

  constructor(
    private readonly deps: SessionDeps,
    private readonly caller: CallerSide,
    info: { callId: string; callerNumber: string; calledNumber: string; flowId?: string },
  ) {
    this.callId = info.callId;
    this.log = deps.log.child({ callId: info.callId });
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
    this.offs.push(caller.signal.onHangup(() => void this.callerHungUp()));
    this.offs.push(caller.leg.onGone(() => void this.callerHungUp()));
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }

  /** Resolves once the call has ended and its record is written. */
  get done(): Promise<void> {
    return this.stopped.promise.then(() => this.ending);
  }

  /** A snapshot of the record being built (tests, live views). */
  snapshot(): Readonly<CallRecord> {
    return { ...this.record, missedAgents: [...this.record.missedAgents] };
  }

  /** Data the IVR saves (survey rating, transfer target) goes into the one record. */
  saveSurvey(rating: number): void {
    this.record.surveyRating = rating;
  }

  // --- the queue ------------------------------------------------------------------------------------------------

  /**
   * Be in `settings.queueId` until an agent answers, then stay connected until one side leaves. The IVR's queue node
   * owns the waiting caller (music, announcements, maximum wait, callback offer) and takes the call out with
   * cancelQueue(). Redirect on no answer happens inside: a seat that does not answer within the rings is cancelled,
   * its agent set not-ready (missed) and the call goes back to the head of the queue for the next agent.
   */
  async serveQueue(settings: QueueSettings, hooks: { answered?: () => void } = {}): Promise<QueueResult> {
    if (this.phase === 'ended') return { outcome: 'ended' };
    const cancel = deferred<'cancelled'>();
    this.queueCancel = cancel;
    let cancelled = false;
    void cancel.promise.then(() => {
      cancelled = true;
      wake.resolve();
    });
    const { clock, acd } = this.deps;
    this.phase = 'queued';
    this.record.queueId = settings.queueId;
    const queuedAt = clock.now();
    this.record.queuedAt ??= queuedAt;

    const offers: Offer[] = [];
    let wake = deferred<void>();
    const offOffer = acd.onOffer(this.callId, (offer) => {
      offers.push(offer);
      wake.resolve();
    });
    this.offs.push(offOffer);

    try {
      this.inAcd = { wrapUpSec: settings.wrapUpSec };
      await acd.enqueue({
        callId: this.callId,
        queueId: settings.queueId,
        callerNumber: this.record.callerNumber,
        priority: settings.priority,
        ownerInstance: this.deps.instanceId,
      });
      for (;;) {
        if (offers.length === 0 && !cancelled) await Promise.race([wake.promise, this.stopped.promise]);
        if (this.isEnded()) return { outcome: 'ended' };
        if (cancelled) {
          await this.leaveAcd('caller');
          this.phase = 'ivr';
          return { outcome: 'cancelled' };
        }
        const offer = offers.shift();
        if (!offer) {
          wake = deferred<void>();
          continue;
        }
        if (offers.length === 0) wake = deferred<void>();
        const answered = await this.offerTo(offer, settings, queuedAt);
        if (answered === 'ended') return { outcome: 'ended' };
        if (answered === 'next' || answered === 'cancelled') continue;
        hooks.answered?.();
        return await this.connected(answered, settings, queuedAt);
      }
    } finally {
      this.queueCancel = undefined;
      offOffer();
    }
  }

  /** Ring the offered agent; 'next' after a redirect on no answer, the answered seat, or 'ended'. */
  private async offerTo(offer: Offer, settings: QueueSettings, queuedAt: number): Promise<AnsweredSeat | 'next' | 'ended' | 'cancelled'> {
    const { clock, acd, seats } = this.deps;
    const { agentId } = offer;
    if (this.phase === 'ended') return 'ended';
    this.phase = 'ringing';
    this.log.info({ agentId, via: offer.via, waitedMs: offer.waitedMs }, 'offering the call to an agent');
    await acd.ringing(this.callId);
    let seat: RingingSeat;
    try {
      seat = await seats.ring(agentId, { callId: this.callId, callerNumber: this.record.callerNumber });
    } catch (err) {
      this.log.warn({ err, agentId }, 'seat could not be rung');
      return this.redirect(agentId);
    }
    if (this.isEnded()) {
      // The caller left while the INVITE was being sent: undo it here, cleanup did not know about this seat.
      await seat.cancel();
      return 'ended';
    }
    this.ringingSeat = { agentId, seat };
    const ringStart = clock.now();
    const window = answerWindowMs({ rings: settings.answerRings, ...this.deps.ring });
    const noAnswer = deferred<'no-answer'>();
    const timer = this.timer(window, () => noAnswer.resolve('no-answer'));
    const answered = seat.answered.then(
      (s) => s,
      (err: unknown) => {
        this.log.info({ err, agentId }, 'seat rejected the call');
        return 'rejected' as const;
      },
    );
    const racers: Promise<AnsweredSeat | 'no-answer' | 'rejected' | 'stopped' | 'cancelled'>[] = [
      answered,
      noAnswer.promise,
      this.stopped.promise.then(() => 'stopped' as const),
    ];
    if (this.queueCancel) racers.push(this.queueCancel.promise);
    const first = await Promise.race(racers);
    this.clearTimer(timer);
    this.ringingSeat = undefined;
    if (first === 'cancelled' && !this.isEnded()) {
      // Taken out of the queue while the seat rang: stop ringing; serveQueue's loop leaves the ACD, which frees the
      // agent.
      await seat.cancel();
      return 'cancelled';
    }

    if (first === 'stopped' || this.isEnded()) {
      // The caller left (or shutdown) while the seat rang: end() cancelled the seat and freed the agent; an answer
      // that won the race is hung up here too.
      if (typeof first === 'object') {
        await Promise.all([first.hangup(), first.leg.release()]);
      }
      return 'ended';
    }
    if (typeof first !== 'object') {
      await seat.cancel();
      // An answer may have crossed the CANCEL: the seat's dialog is hung up by cancel(); nothing else to undo.
      return this.redirect(agentId);
    }

    const answeredAt = clock.now();
    this.log.info({ agentId, ringMs: answeredAt - ringStart }, 'agent answered');
    this.record.agentId = agentId;
    this.record.agentAnsweredAt = answeredAt;
    this.record.ringsToAnswer = ringsHeard(answeredAt - ringStart, { rings: settings.answerRings, ...this.deps.ring });
    this.record.waitedMs = answeredAt - queuedAt;
    this.agent = { agentId, seat: first, wrapUpSec: settings.wrapUpSec };
    this.phase = 'connected';
    await acd.answered(this.callId);
    return first;
  }

  /** A getter the compiler does not narrow on: the phase changes under our feet across awaits. */
  private isEnded(): boolean {
    return this.phase === 'ended';
  }

  private async redirect(agentId: string): Promise<'next' | 'ended'> {
    this.record.missedAgents.push(agentId);
    this.log.info({ agentId }, 'redirect on no answer');
    if (this.phase === 'ended') return 'ended';
    // RONA in the store: the agent goes not-ready(missed), the call back to the head of settings.queueId.
    await this.deps.acd.noAnswer(this.callId);
    this.phase = 'queued';
    return 'next';
  }

  /** Bridged: whisper if late, record, silent-call script; returns when one side leaves or the agent transfers. */
  private async connected(seat: AnsweredSeat, settings: QueueSettings, queuedAt: number): Promise<QueueResult> {
    const { prompts, clock } = this.deps;
    const agentId = this.agent!.agentId;
    const agentGone = deferred<'agent-gone'>();
    const refer = deferred<string>();
    const silent = deferred<'silent'>();
    let agentLeft = false;
    const onAgentGone = (): void => {
      agentLeft = true;
      agentGone.resolve('agent-gone');
    };
    this.offs.push(seat.onHangup(onAgentGone));
    this.offs.push(seat.leg.onGone(onAgentGone));
    this.offs.push(seat.onRefer((target) => refer.resolve(target)));

    const waitedMs = clock.now() - queuedAt;
    const lateAfter = answerWindowMs({ rings: settings.answerRings, ...this.deps.ring });
    try {
      if (settings.lateWhisper && waitedMs > lateAfter) {
        // The standard: answered after more than three rings, the agent apologises first; tell them so.
        await Promise.race([seat.leg.play(prompts.lateWhisper(Math.round(waitedMs / 1000))), agentGone.promise]);
        this.record.whispered = true;
      }
      if (agentLeft) throw new MediaError('MEDIA_GONE', 'whisper', 'the agent hung up before the bridge');
      await this.caller.leg.stopAudio();
      if (settings.record) {
        const file = `${this.deps.recordingsDir}/${this.callId}.wav`;
        await this.caller.leg.recordSession(file);
        this.record.recordingFile = file;
      }
      await this.caller.leg.bridge(seat.leg);
    } catch (err) {
      if (this.phase === 'ended') return { outcome: 'ended' };
      if (agentLeft || seat.leg.gone || isMediaError(err, 'MEDIA_GONE')) {
        if (this.caller.leg.gone) return { outcome: 'ended' };
        // The agent hung up before the bridge: no silent script, no bridge; the caller goes on (survey or queue).
        await this.caller.leg.stopAudio().catch(() => undefined);
        await this.releaseAgent('agent');
        if (this.isEnded()) return { outcome: 'ended' };
        this.phase = 'after-agent';
        return { outcome: 'agent-ended', agentId };
      } else {
        this.log.error({ err }, 'connecting caller and agent failed');
        await this.end('error', 'error');
        return { outcome: 'ended' };
      }
    }

    const startSilent = (): void => {
      if (this.silentRun || this.phase !== 'connected') return;
      this.silentRun = runSilentScript(
        this.caller.leg,
        { hello: prompts.silentHello, goodbye: prompts.silentGoodbye },
        settings.silentCall.silenceSec,
        () => this.silentAborted || this.phase !== 'connected',
      ).then(
        (r) => {
          if (r === 'silent') silent.resolve('silent');
        },
        (err: unknown) => {
          if (!isMediaError(err, 'MEDIA_GONE')) this.log.warn({ err }, 'silent-call script failed');
        },
      );
    };
    this.offs.push(
      seat.leg.onDtmf((d) => {
        if (d === settings.silentCall.agentKey) startSilent();
      }),
    );
    if (settings.silentCall.auto) startSilent();

    const first = await Promise.race([
      agentGone.promise,
      refer.promise.then((t) => ({ refer: t })),
      silent.promise,
      this.stopped.promise.then(() => 'stopped' as const),
    ]);
    if (first === 'stopped') return { outcome: 'ended' };
    if (first === 'silent') {
      await this.end('silent', 'system');
      return { outcome: 'ended' };
    }
    if (typeof first === 'object' || first === 'agent-gone') await this.stopSilentScript();
    if (first === 'agent-gone') {
      await this.releaseAgent('agent');
      if (this.phase === 'ended' || this.caller.leg.gone) return { outcome: 'ended' };
      this.phase = 'after-agent';
      return { outcome: 'agent-ended', agentId };
    }
    // Blind transfer: tell the caller, let the agent go, hand the target to the owner.
    const target = this.deps.transfers?.resolve(first.refer);
    if (!target) {
      this.log.warn({ target: first.refer }, 'transfer target unknown; the agent stays on the call');
      return this.connectedAfterFailedTransfer(agentGone, silent);
    }
    this.record.transferredTo = first.refer;
    await this.releaseAgent('agent');
    await this.caller.leg.play(prompts.transferring).catch(() => undefined);
    if (this.phase === 'ended' || this.caller.leg.gone) return { outcome: 'ended' };
    this.phase = 'ivr';
    return { outcome: 'transferred', target };
  }

  private async connectedAfterFailedTransfer(
    agentGone: Deferred<'agent-gone'>,
    silent: Deferred<'silent'>,
  ): Promise<QueueResult> {
    const agentId = this.agent!.agentId;
    const first = await Promise.race([agentGone.promise, silent.promise, this.stopped.promise.then(() => 'stopped' as const)]);
    if (first === 'stopped') return { outcome: 'ended' };
    if (first === 'silent') {
      await this.end('silent', 'system');
      return { outcome: 'ended' };
    }
    await this.stopSilentScript();
    await this.releaseAgent('agent');
    if (this.phase === 'ended' || this.caller.leg.gone) return { outcome: 'ended' };
    this.phase = 'after-agent';
    return { outcome: 'agent-ended', agentId };
  }

  /** The agent left: the silent-call script must not keep the caller's leg (the survey needs it). */
  private async stopSilentScript(): Promise<void> {
    this.silentAborted = true;
    const run = this.silentRun;
    if (!run) return;
    await this.caller.leg.stopAudio().catch(() => undefined);
    // A media operation the break did not reach still ends by its own time limit; do not hold the caller for it.
    let timer: TimerHandle | undefined;
    await Promise.race([run, new Promise<void>((r) => (timer = this.deps.clock.setTimeout(r, 2000)))]);
    this.deps.clock.clearTimeout(timer);
  }

  /** The agent's side is over: hang up the seat, start wrap-up. Safe to call twice. */
  private async releaseAgent(by: 'agent' | 'caller'): Promise<void> {
    const a = this.agent;
    if (!a) return;
    this.agent = undefined;
    await Promise.all([a.seat.hangup(), a.seat.leg.release()]);
    await this.leaveAcd(by);
  }

  /** Take the call out of the ACD once: frees an offered agent, or starts the talking agent's wrap-up. */
  private async leaveAcd(by: 'agent' | 'caller'): Promise<void> {
    const a = this.inAcd;
    if (!a) return;
    this.inAcd = undefined;
    try {
      await this.deps.acd.leave(this.callId, by, a.wrapUpSec);
    } catch (err) {
      this.log.warn({ err }, 'leaving the ACD failed');
    }
  }

  /** Take the call out of the queue (waiting or ringing); serveQueue then resolves with `cancelled`. */
  cancelQueue(): void {
    this.queueCancel?.resolve('cancelled');
  }

  /** End the call from our side (flow hangup, after the survey). */
  hangup(disposition: Disposition = 'completed'): Promise<void> {
    return this.end(disposition, 'system');
  }

  // --- the one cleanup path -------------------------------------------------------------------------------------

  private callerHungUp(): Promise<void> {
    if (this.phase === 'ended') return this.ending ?? Promise.resolve();
    const d: Disposition =
      this.phase === 'queued' || this.phase === 'ringing' ? 'abandoned' : this.phase === 'ivr' ? 'caller-hangup' : 'completed';
    return this.end(d, 'caller');
  }

  /**
   * End the call. Runs once whatever triggers it; later calls wait for the first. Each step is guarded so one
   * failure (a dead socket, a store error) cannot skip the others: the agent is always restored and the record is
   * always written.
   */
  end(disposition: Disposition, endedBy: EndedBy): Promise<void> {
    if (this.ending) return this.ending;
    this.phase = 'ended';
    this.record.disposition = disposition;
    this.record.endedBy = endedBy;
    this.stopped.resolve();
    this.ending = this.cleanup();
    return this.ending;
  }

  private async cleanup(): Promise<void> {
    const { clock, records } = this.deps;
    for (const t of this.timers) clock.clearTimeout(t);
    this.timers.clear();
    for (const off of this.offs.splice(0)) off();

    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err, step: what }, 'cleanup step failed');
      }
    };

    const ringing = this.ringingSeat;
    this.ringingSeat = undefined;
    if (ringing) await step('cancel seat', () => ringing.seat.cancel());
    const by = this.record.endedBy === 'caller' ? 'caller' : 'agent';
    if (this.agent) await step('release agent', () => this.releaseAgent(by));
    await step('leave the ACD', () => this.leaveAcd(by));
    await step('hang up caller', () => this.caller.signal.hangup());
    await step('release caller media', () => this.caller.leg.release());
    if (this.silentRun) await step('silent script', () => this.silentRun!);

    this.record.endedAt = clock.now();
    if (this.record.queuedAt !== undefined && this.record.waitedMs === undefined) {
      this.record.waitedMs = this.record.endedAt - this.record.queuedAt;
    }
    await step('write call record', () => records.write(this.snapshot()));
    this.log.info({ disposition: this.record.disposition, endedBy: this.record.endedBy }, 'call ended');
  }

  private timer(ms: number, fn: () => void): TimerHandle {
    const h = this.deps.clock.setTimeout(() => {
      this.timers.delete(h);
      fn();
    }, ms);
    this.timers.add(h);
    return h;
  }

  private clearTimer(h: TimerHandle | undefined): void {
    if (!h) return;
    this.deps.clock.clearTimeout(h);
    this.timers.delete(h);
  }
}

