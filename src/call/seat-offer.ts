import type { Offer } from '../acd/model.js';
import type { AcdPlace } from './acd-place.js';
import { answerWindowMs, ringsHeard } from './answer-timer.js';
import { lateWhisperDue } from './connected-call.js';
import { deferred, type CallContext, type QueueSettings } from './call-context.js';
import { seatFailureOwner } from './errors.js';
import type { AnsweredSeat, DirectMedia, RingingSeat } from './ports.js';

/** How ringing one offered seat ended. */
export type SeatOfferResult = AnsweredSeat | 'next' | 'ended' | 'cancelled';

/**
 * Ring the offered agent's seat under the answer timer (the three-ring rule). A seat that does not answer in time,
 * or rejects the INVITE, is a redirect on no answer: the agent goes not-ready(missed) and the call back to the head
 * of the queue ('next'). An answer makes the agent the call's (`ctx.agent`), for connected-call.ts.
 */
export async function offerSeat(ctx: CallContext, place: AcdPlace, offer: Offer, settings: QueueSettings, queuedAt: number, cancelled: Promise<'cancelled'>): Promise<SeatOfferResult> {
  const { clock, seats } = ctx.deps;
  const { agentId } = offer;
  if (ctx.isEnded()) return 'ended';
  ctx.phase = 'ringing';
  ctx.log.info({ agentId, via: offer.via, waitedMs: offer.waitedMs }, 'offering the call to an agent');
  await place.ringing();
  let seat: RingingSeat;
  try {
    // The seat's leg on the caller's media server: the two are bridged there.
    const direct = directMedia(ctx, settings, queuedAt);
    seat = await seats.ring(agentId, { callId: ctx.callId, callerNumber: ctx.record.callerNumber, mediaNear: ctx.caller.leg.id, ...(direct ? { direct } : {}) });
  } catch (err) {
    ctx.log.warn({ err, agentId }, 'seat could not be rung');
    return seatFailed(ctx, place, agentId, err);
  }
  if (ctx.isEnded()) {
    // The caller left while the INVITE was being sent: undo it here, cleanup did not know about this seat.
    await seat.cancel();
    return 'ended';
  }
  ctx.ringing = { agentId, seat };
  const cadence = { rings: settings.answerRings, ...ctx.deps.ring };
  const ringStart = clock.now();
  const noAnswer = deferred<'no-answer'>();
  const timer = ctx.timers.set(answerWindowMs(cadence), () => noAnswer.resolve('no-answer'));
  const answered = seat.answered.then(
    (s) => s,
    (err: unknown) => ({ failed: err }),
  );
  const first = await Promise.race([answered, noAnswer.promise, ctx.whenStopped('stopped' as const), cancelled]);
  ctx.timers.clear(timer);
  ctx.ringing = undefined;
  if (first === 'cancelled' && !ctx.isEnded()) {
    // Taken out of the queue while the seat rang: stop ringing; the queue loop leaves the ACD, which frees the agent.
    await seat.cancel();
    return 'cancelled';
  }
  if (first === 'stopped' || ctx.isEnded()) {
    // The caller left (or shutdown) while the seat rang: cleanup cancelled the seat and freed the agent; an answer
    // that won the race is hung up here too.
    if (typeof first === 'object' && !('failed' in first)) await Promise.all([first.hangup(), first.leg?.release()]);
    return 'ended';
  }
  if (first === 'no-answer' || first === 'cancelled') {
    await seat.cancel();
    // An answer may have crossed the CANCEL: the seat's dialog is hung up by cancel(); nothing else to undo.
    return redirect(ctx, place, agentId);
  }
  if ('failed' in first) {
    await seat.cancel();
    return seatFailed(ctx, place, agentId, first.failed);
  }

  const answeredAt = clock.now();
  ctx.log.info({ agentId, ringMs: answeredAt - ringStart }, 'agent answered');
  ctx.record.agentId = agentId;
  ctx.record.agentAnsweredAt = answeredAt;
  ctx.record.ringsToAnswer = ringsHeard(answeredAt - ringStart, cadence);
  ctx.record.waitedMs = answeredAt - queuedAt;
  ctx.agent = { agentId, seat: first };
  ctx.phase = 'connected';
  ctx.deps.seatAnswered?.(first);
  await place.answered();
  return first;
}

/** The seat leg did not come up: the agent's miss only when the seat itself said no (errors.ts seatFailureOwner). */
async function seatFailed(ctx: CallContext, place: AcdPlace, agentId: string, err: unknown): Promise<'next' | 'ended'> {
  if (seatFailureOwner(err) === 'seat') {
    ctx.log.info({ err, agentId }, 'seat rejected the call');
    return redirect(ctx, place, agentId);
  }
  ctx.log.warn({ err, agentId }, 'seat leg failed on our side: the offer is given back, the agent stays ready');
  if (ctx.isEnded()) return 'ended';
  await place.giveBack(agentId);
  ctx.phase = 'queued';
  return 'next';
}

/** Redirect on no answer (RONA): the agent's miss. */
async function redirect(ctx: CallContext, place: AcdPlace, agentId: string): Promise<'next' | 'ended'> {
  ctx.record.missedAgents.push(agentId);
  ctx.log.info({ agentId }, 'redirect on no answer');
  if (ctx.isEnded()) return 'ended';
  // RONA in the store: the agent goes not-ready(missed), the call back to the head of its queue.
  await place.noAnswer();
  ctx.phase = 'queued';
  return 'next';
}

/**
 * Media release for this offer: asked at the seat's answer, it hands the seat's offer to the caller unless the
 * agent must hear the late-answer whisper first (that needs the seat's media leg) or the caller's media is not
 * where it can be moved from (already released, or a dialog that cannot be re-INVITEd).
 */
function directMedia(ctx: CallContext, settings: QueueSettings, queuedAt: number): DirectMedia | undefined {
  const peer = ctx.caller.signal.media;
  // The session built the caller's CallerLeg from this same peer, so the leg can be brought back after.
  if (!settings.releaseMedia || !peer) return undefined;
  return () => (lateWhisperDue(ctx, settings, queuedAt) || ctx.caller.leg.detached || ctx.isEnded() ? undefined : peer);
}
