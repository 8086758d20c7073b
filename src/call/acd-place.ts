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
