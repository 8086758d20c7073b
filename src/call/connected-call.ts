import { MediaError, isMediaError } from '../media/errors.js';
import type { AcdPlace } from './acd-place.js';
import { answerWindowMs } from './answer-timer.js';
import { deferred, type CallContext, type Deferred, type QueueSettings } from './call-context.js';
import { releaseAgent } from './call-cleanup.js';
import type { AnsweredSeat, TransferTarget } from './ports.js';
import { runSilentScript } from './silent-script.js';
import { blindTransfer } from './transfer.js';

/** How the connected part ended; `end` asks the session to end the call (the one cleanup path). */
export type ConnectedResult =
  | { outcome: 'agent-ended'; agentId: string }
  | { outcome: 'transferred'; target: TransferTarget }
  | { outcome: 'ended' }
  | { outcome: 'end'; disposition: 'silent' | 'error'; endedBy: 'system' | 'error' };

/**
 * Whether a seat answering now must first hear the late-answer whisper (the caller waited past the answer window):
 * the whisper needs the seat's media leg, so such an answer is never connected directly (media release).
 */
export function lateWhisperDue(ctx: CallContext, settings: QueueSettings, queuedAt: number): boolean {
  const lateAfter = answerWindowMs({ rings: settings.answerRings, ...ctx.deps.ring });
  return settings.lateWhisper && ctx.deps.clock.now() - queuedAt > lateAfter;
}

/**
 * The answered call: whisper to the agent if the caller waited long, record, bridge, and the silent-call script on
 * the agent leg (automatic, or on the agent's key). Returns when one side leaves, the caller is silent, or the
 * agent transfers.
 */
export async function runConnected(ctx: CallContext, place: AcdPlace, seat: AnsweredSeat, settings: QueueSettings, queuedAt: number): Promise<ConnectedResult> {
  const { prompts, clock } = ctx.deps;
  const caller = ctx.caller.leg;
  const agentId = ctx.agent!.agentId;
  const agentGone = deferred<'agent-gone'>();
  const refer = deferred<string>();
  const silent = deferred<'silent'>();
  let agentLeft = false;
  const onAgentGone = (): void => {
    agentLeft = true;
    agentGone.resolve('agent-gone');
  };
  const seatLeg = seat.leg;
  ctx.offs.push(seat.onHangup(onAgentGone), seat.onRefer((target) => refer.resolve(target)));
  if (seatLeg) ctx.offs.push(seatLeg.onGone(onAgentGone));

  const waitedMs = clock.now() - queuedAt;
  try {
    if (!seatLeg) {
      // Media released: the seat's media goes straight to the caller (the SIP side re-INVITEd the caller with the
      // seat's offer), so the caller's media-server leg carries nothing now. The music stops with it.
      ctx.log.info({ agentId }, 'media released: caller and agent talk directly');
      await caller.detach();
    } else {
      if (lateWhisperDue(ctx, settings, queuedAt)) {
        // The standard: answered after more than three rings, the agent apologises first; tell them so.
        await Promise.race([seatLeg.play(prompts.lateWhisper(Math.round(waitedMs / 1000))), agentGone.promise]);
        ctx.record.whispered = true;
      }
      if (agentLeft) throw new MediaError('MEDIA_GONE', 'whisper', 'the agent hung up before the bridge');
      await caller.stopAudio();
      if (settings.record) {
        const file = `${ctx.deps.recordingsDir}/${ctx.callId}.wav`;
        await caller.recordSession(file);
        ctx.record.recordingFile = file;
      }
      await caller.bridge(seatLeg);
    }
  } catch (err) {
    if (ctx.isEnded()) return { outcome: 'ended' };
    if (agentLeft || seatLeg?.gone || isMediaError(err, 'MEDIA_GONE')) {
      if (caller.gone) return { outcome: 'ended' };
      // The agent hung up before the bridge: no silent script, no bridge; the caller goes on (survey or queue).
      await caller.stopAudio().catch(() => undefined);
      return agentEnded(ctx, place, agentId);
    }
    ctx.log.error({ err }, 'connecting caller and agent failed');
    return { outcome: 'end', disposition: 'error', endedBy: 'error' };
  }

  // The script listens on the caller's media and the agent's key comes on the seat's: neither exists once media is
  // released (hotline.ts releases media only for queues without the automatic script).
  const script = new SilentScript(ctx, settings, silent);
  if (seatLeg) {
    ctx.offs.push(
      seatLeg.onDtmf((d) => {
        if (d === settings.silentCall.agentKey) script.start();
      }),
    );
    if (settings.silentCall.auto) script.start();
  }

  // After a REFER to an unknown target the agent stays on the call: further REFERs are not awaited.
  let referred: Promise<{ refer: string }> = refer.promise.then((t) => ({ refer: t }));
  for (;;) {
    const first = await Promise.race([agentGone.promise, referred, silent.promise, ctx.whenStopped('stopped' as const)]);
    if (first === 'stopped') return { outcome: 'ended' };
    if (first === 'silent') return { outcome: 'end', disposition: 'silent', endedBy: 'system' };
    if (first === 'agent-gone') {
      await script.stop();
      return agentEnded(ctx, place, agentId);
    }
    await script.stop();
    const target = await blindTransfer(ctx, place, first.refer);
    if (target === 'unknown') {
      referred = new Promise<never>(() => undefined);
      continue;
    }
    if (target === 'ended') return { outcome: 'ended' };
    return { outcome: 'transferred', target };
  }
}

async function agentEnded(ctx: CallContext, place: AcdPlace, agentId: string): Promise<ConnectedResult> {
  await releaseAgent(ctx, place, 'agent');
  if (ctx.isEnded() || ctx.caller.leg.gone) return { outcome: 'ended' };
  ctx.phase = 'after-agent';
  return { outcome: 'agent-ended', agentId };
}

/** The silent-call script on the caller's leg while connected; stopped when the agent leaves or transfers. */
class SilentScript {
  private aborted = false;

  constructor(
    private readonly ctx: CallContext,
    private readonly settings: QueueSettings,
    private readonly silent: Deferred<'silent'>,
  ) {}

  start(): void {
    const { ctx } = this;
    if (ctx.silentRun || ctx.phase !== 'connected') return;
    const { prompts } = ctx.deps;
    ctx.silentRun = runSilentScript(
      ctx.caller.leg,
      { hello: prompts.silentHello, goodbye: prompts.silentGoodbye },
      this.settings.silentCall.silenceSec,
      () => this.aborted || ctx.phase !== 'connected',
    ).then(
      (r) => {
        if (r === 'silent') this.silent.resolve('silent');
      },
      (err: unknown) => {
        if (!isMediaError(err, 'MEDIA_GONE')) ctx.log.warn({ err }, 'silent-call script failed');
      },
    );
  }

  /** The agent left: the script must not keep the caller's leg (the survey needs it). */
  async stop(): Promise<void> {
    this.aborted = true;
    const run = this.ctx.silentRun;
    if (!run) return;
    await this.ctx.caller.leg.stopAudio().catch(() => undefined);
    // A media operation the break did not reach still ends by its own time limit; do not hold the caller for it.
    let limit: ReturnType<CallContext['timers']['set']> | undefined;
    await Promise.race([run, new Promise<void>((resolve) => (limit = this.ctx.timers.set(2000, resolve)))]);
    this.ctx.timers.clear(limit);
  }
}
