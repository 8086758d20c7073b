import type { CallbackCaller, OutboundResult } from '../callbacks/ports.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { isMediaError } from '../media/errors.js';
import { answerWindowMs, type RingCadence } from './answer-timer.js';
import { isCallError, seatFailureOwner } from './errors.js';
import type { AnsweredSeat, CustomerLeg, DialingCustomer, SeatDialer, TrunkDialer } from './ports.js';

export interface CallbackCallDeps {
  seats: SeatDialer;
  trunk: TrunkDialer;
  clock: Clock;
  log: Logger;
  /** The agent's seat must answer within this cadence's rings (the three-ring rule), as for a caller. */
  ring: RingCadence;
  /** How long the customer may ring before the dial is no-answer. */
  customerRingMs: number;
  /** Played to the agent until the trunk sends early media or the customer answers (FreeSWITCH tone_stream). */
  ringback: string;
  /** The number the customer sees (the hotline's). */
  callerId: string;
}

type Settled<T> = { ok: T } | { err: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((ok) => ({ ok }), (err: unknown) => ({ err }));

/**
 * One callback call (CallbackCaller): the agent's registered seat first, under the answer timer; once the agent
 * answers, the customer through the trunk, the agent hearing ring-back and then the trunk's own early media through
 * the bridge; both legs anchored in FreeSWITCH and bridged there like an inbound call. Returns how it ended.
 */
export class CallbackCalls implements CallbackCaller {
  constructor(private readonly deps: CallbackCallDeps) {}

  async place(req: { callId: string; agentId: string; number: string }, hooks: { agentAnswered(): Promise<void> }): Promise<OutboundResult> {
    const { deps } = this;
    const { clock } = deps;
    const log = deps.log.child({ callId: req.callId, agentId: req.agentId, number: req.number, direction: 'outbound' });
    const failed = (outcome: OutboundResult['outcome'], failure: string, extra: Partial<OutboundResult> = {}): OutboundResult => ({ outcome, endedAt: clock.now(), endedBy: 'system', failure, ...extra });

    // 1. The agent's seat.
    let ringing;
    try {
      ringing = await deps.seats.ring(req.agentId, { callId: req.callId, callerNumber: req.number });
    } catch (err) {
      log.warn({ err }, 'agent seat could not be rung for the callback');
      return failed(seatFailureOwner(err) === 'seat' ? 'agent-missed' : 'failed', errText(err));
    }
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const timeUp = new Promise<'time-up'>((r) => (timer = clock.setTimeout(() => r('time-up'), answerWindowMs(deps.ring))));
    const first = await Promise.race([settle(ringing.answered), timeUp]);
    clock.clearTimeout(timer);
    if (first === 'time-up' || 'err' in first) {
      await ringing.cancel();
      const err = first === 'time-up' ? undefined : first.err;
      log.info({ err }, 'agent did not answer the callback');
      return failed(err === undefined || seatFailureOwner(err) === 'seat' ? 'agent-missed' : 'failed', err === undefined ? 'agent rang out' : errText(err));
    }
    const seat: AnsweredSeat = first.ok;
    // Rung without `direct`, the seat always has its media leg (the customer is bridged to it).
    const seatLeg = seat.leg;
    if (!seatLeg) {
      await seat.hangup();
      return failed('failed', 'the seat answered without a media leg');
    }
    const agentAnsweredAt = clock.now();
    let agentLeft = false;
    let onAgentGone!: () => void;
    const agentGone = new Promise<'agent-gone'>((r) => (onAgentGone = () => {
      agentLeft = true;
      r('agent-gone');
    }));
    const offs = [seat.onHangup(onAgentGone), seatLeg.onGone(onAgentGone)];
    const endAll = async (customer?: CustomerLeg): Promise<void> => {
      for (const off of offs) off();
      await Promise.allSettled([seat.hangup(), seatLeg.release(), customer?.hangup(), customer?.leg.release()]);
    };
    try {
      await hooks.agentAnswered();
      // 2. Progress for the agent until the trunk's own early media (or the answer) comes through the bridge.
      await seatLeg.startBackground(deps.ringback).catch((err: unknown) => log.warn({ err }, 'ring-back to the agent failed'));

      // 3. The customer.
      let dialing: DialingCustomer;
      try {
        // The customer's leg on the agent's media server: the two are bridged there.
        dialing = await deps.trunk.dial(req.number, { callId: req.callId, callerId: deps.callerId, mediaNear: seatLeg.id });
      } catch (err) {
        log.error({ err }, 'dialling the customer failed');
        await endAll();
        return failed('failed', errText(err), { agentAnsweredAt });
      }
      const bridged = dialing.media.then(async (leg) => {
        if (agentLeft) return;
        await seatLeg.stopAudio();
        await seatLeg.bridge(leg);
      });
      bridged.catch(() => undefined);
      let ringTimer: ReturnType<Clock['setTimeout']> | undefined;
      const ringOut = new Promise<'time-up'>((r) => (ringTimer = clock.setTimeout(() => r('time-up'), deps.customerRingMs)));
      const outcome = await Promise.race([settle(dialing.answered), agentGone, ringOut]);
      clock.clearTimeout(ringTimer);
      if (outcome === 'agent-gone' || outcome === 'time-up') {
        await dialing.cancel();
        await endAll();
        log.info({ outcome }, 'customer not reached');
        return outcome === 'time-up' ? failed('no-answer', 'customer rang out', { agentAnsweredAt }) : { ...failed('failed', 'agent hung up before the customer answered', { agentAnsweredAt }), endedBy: 'agent' };
      }
      if ('err' in outcome) {
        await endAll();
        const err = outcome.err;
        const kind = isCallError(err, 'CUSTOMER_BUSY') ? 'busy' : isCallError(err, 'CUSTOMER_NO_ANSWER') ? 'no-answer' : 'failed';
        log.info({ err, kind }, 'customer not reached');
        return failed(kind, errText(err), { agentAnsweredAt });
      }
      const customer = outcome.ok;
      const customerAnsweredAt = clock.now();
      log.info('customer answered the callback');
      try {
        await bridged;
      } catch (err) {
        if (!isMediaError(err, 'MEDIA_GONE')) log.error({ err }, 'bridging agent and customer failed');
        await endAll(customer);
        return { ...failed('failed', errText(err), { agentAnsweredAt }), customerAnsweredAt };
      }

      // 4. Talking, until one side hangs up.
      const customerGone = new Promise<'customer-gone'>((r) => {
        offs.push(customer.onHangup(() => r('customer-gone')), customer.leg.onGone(() => r('customer-gone')));
      });
      const ended = await Promise.race([agentGone, customerGone]);
      await endAll(customer);
      log.info({ ended }, 'callback call ended');
      return { outcome: 'answered', agentAnsweredAt, customerAnsweredAt, endedAt: clock.now(), endedBy: ended === 'agent-gone' ? 'agent' : 'caller' };
    } catch (err) {
      await endAll();
      throw err;
    }
  }
}

function errText(err: unknown): string {
  if (err instanceof Error) return 'code' in err ? `${String(err.code)}: ${err.message}` : err.message;
  return String(err);
}
