import type { CallContext, QueueSettings } from './call-context.js';

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
    await ctx.deps.acd.enqueue({
      callId: ctx.callId,
      queueId: settings.queueId,
      callerNumber: ctx.record.callerNumber,
      priority: settings.priority,
      ownerInstance: ctx.deps.instanceId,
    });
  }

  ringing(): Promise<void> {
    return this.ctx.deps.acd.ringing(this.ctx.callId);
  }

  answered(): Promise<void> {
    return this.ctx.deps.acd.answered(this.ctx.callId);
  }

  /** Redirect on no answer: the agent goes not-ready(missed), the call back to the head of its queue. */
  noAnswer(): Promise<void> {
    return this.ctx.deps.acd.noAnswer(this.ctx.callId);
  }

  /**
   * Give the offer back after a failure of ours (seatFailureOwner): the call goes back to the head of its queue and
   * the agent stays ready. The store's way back to the head is its RONA operation; the agent is then made ready
   * again unless the RONA applied the agent's own "not ready after this call" request (it then keeps that state).
   */
  async giveBack(agentId: string): Promise<void> {
    const { acd, agents } = this.ctx.deps;
    await acd.noAnswer(this.ctx.callId);
    const a = await agents.agent(agentId);
    if (a?.state === 'not-ready' && a.reason === 'missed' && !a.afterCall) await agents.setReady(agentId);
  }

  /** Take the call out of the ACD once: frees an offered agent, or starts the talking agent's wrap-up. */
  async leave(by: 'agent' | 'caller'): Promise<void> {
    const a = this.inAcd;
    if (!a) return;
    this.inAcd = undefined;
    try {
      await this.ctx.deps.acd.leave(this.ctx.callId, by, a.wrapUpSec);
    } catch (err) {
      this.ctx.log.warn({ err }, 'leaving the ACD failed');
    }
  }
}
