import { isAcdError } from '../acd/errors.js';
import type { CallContext, QueueSettings } from './call-context.js';

/** Tries of one store operation when the store is briefly unreachable (a Redis blip: the operation did not happen). */
const STORE_TRIES = 5;
const STORE_RETRY_MS = 100;

/**
 * The call's place in the ACD: queued, offered, ringing, talking. It joins once per queue and leaves once, whatever
 * ends the stay (answer and hangup, cancel, cleanup): `leave` frees an offered agent or starts the talking agent's
 * wrap-up.
 */
export class AcdPlace {
  /** The call is known to the ACD (queued, offered or talking) until it leaves; cleanup makes it leave. */
  private inAcd: { wrapUpSec: number } | undefined;

  constructor(private readonly ctx: CallContext) {}

  async join(settings: QueueSettings): Promise<void> {
    const { ctx } = this;
    this.inAcd = { wrapUpSec: settings.wrapUpSec };
    await this.retry('enqueue', () => ctx.deps.acd.enqueue({
      callId: ctx.callId,
      queueId: settings.queueId,
      callerNumber: ctx.record.callerNumber,
      priority: settings.priority,
      ownerInstance: ctx.deps.instanceId,
      ...(settings.hold !== undefined ? { hold: settings.hold } : {}),
    }));
  }

  /**
   * STORE_UNAVAILABLE means the operation did not happen (src/acd/errors.ts): try it again a few times, backing off,
   * so a Redis blip neither ends the call nor leaves an agent reserved. Other errors go to the caller at once.
   */
  private async retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isAcdError(err, 'STORE_UNAVAILABLE') || attempt >= STORE_TRIES) throw err;
        this.ctx.log.warn({ err, op: what, attempt }, 'ACD store unavailable; retrying');
        await this.ctx.timers.sleep(STORE_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** The call was moved to another queue while waiting: its wrap-up follows the new queue's. */
  moved(settings: QueueSettings): void {
    if (this.inAcd) this.inAcd = { wrapUpSec: settings.wrapUpSec };
  }

  ringing(): Promise<void> {
    return this.retry('ringing', () => this.ctx.deps.acd.ringing(this.ctx.callId));
  }

  answered(): Promise<void> {
    return this.retry('answered', () => this.ctx.deps.acd.answered(this.ctx.callId));
  }

  /** Redirect on no answer: the agent goes not-ready(missed), the call back to the head of its queue. */
  noAnswer(): Promise<void> {
    return this.retry('noAnswer', () => this.ctx.deps.acd.noAnswer(this.ctx.callId));
  }

  /**
   * Give the offer back after a failure of ours (seatFailureOwner): one store operation puts the call back at the
   * head of its queue and makes the agent ready (or applies its own "not ready after this call" request). It is not
   * a RONA: no miss is charged to the agent, in its state or in the events the KPIs count.
   */
  giveBack(agentId: string): Promise<void> {
    return this.retry('giveBack', () => this.ctx.deps.acd.giveBack(this.ctx.callId, agentId));
  }

  /** Take the call out of the ACD once: frees an offered agent, or starts the talking agent's wrap-up. */
  async leave(by: 'agent' | 'caller' | 'operator'): Promise<void> {
    const a = this.inAcd;
    if (!a) return;
    this.inAcd = undefined;
    try {
      await this.retry('leave', () => this.ctx.deps.acd.leave(this.ctx.callId, by, a.wrapUpSec));
    } catch (err) {
      this.ctx.log.warn({ err }, 'leaving the ACD failed');
    }
  }
}
