import type { Offer } from '../acd/model.js';
import type { Clock } from '../core/clock.js';
import type { CallAcd } from '../call/ports.js';
import type { CallbackRouting, ReservedAgent } from './ports.js';

/**
 * CallbackRouting over the ACD (AcdBridge): the callback joins its shadow queue (src/callbacks/queues.ts) as a call
 * owned by this instance; the ACD's atomic match reserves an agent exactly as for a caller (no agent is ever offered
 * two calls, a dead instance's reservation ends with its lease). No offer within the window: it leaves again.
 */
export class AcdCallbackRouting implements CallbackRouting {
  constructor(
    private readonly acd: CallAcd,
    private readonly clock: Clock,
    private readonly instanceId: string,
    private readonly wrapUpSec: (queueId: string) => number,
  ) {}

  async reserve(req: { callId: string; queueId: string; number: string; preferredAgentId?: string }, withinMs: number): Promise<ReservedAgent | undefined> {
    const { acd, clock } = this;
    let resolveOffer!: (o: Offer | undefined) => void;
    const offered = new Promise<Offer | undefined>((r) => (resolveOffer = r));
    const off = acd.onOffer(req.callId, (o) => resolveOffer(o));
    const timer = clock.setTimeout(() => resolveOffer(undefined), withinMs);
    try {
      // Priority 0: inside its shadow queue callbacks are served by deadline order of claiming, not by VIP.
      // The ACD's own hold (as for a returning caller who waits for their agent) keeps the task for the preferred
      // agent for the whole window; it lapses by itself when that agent is logged out or unreachable.
      const hold = req.preferredAgentId !== undefined ? { agentId: req.preferredAgentId, sec: Math.ceil(withinMs / 1000) } : ('none' as const);
      await acd.enqueue({ callId: req.callId, queueId: req.queueId, callerNumber: req.number, priority: 0, ownerInstance: this.instanceId, hold });
      const offer = await offered;
      if (!offer) {
        await acd.leave(req.callId, 'operator', 0);
        return undefined;
      }
      return this.reserved(req.callId, offer);
    } catch (err) {
      await acd.leave(req.callId, 'operator', 0).catch(() => undefined);
      throw err;
    } finally {
      clock.clearTimeout(timer);
      off();
    }
  }

  private reserved(callId: string, offer: Offer): ReservedAgent {
    const { acd } = this;
    const wrapUpSec = this.wrapUpSec(offer.queueId);
    let left = false;
    return {
      agentId: offer.agentId,
      wrapUpSec,
      ringing: () => acd.ringing(callId),
      answered: () => acd.answered(callId),
      missed: async () => {
        // RONA, as for a caller: the agent goes not-ready(missed); the callback then leaves instead of waiting again.
        await acd.noAnswer(callId);
      },
      leave: async (by) => {
        if (left) return;
        left = true;
        await acd.leave(callId, by, wrapUpSec);
      },
    };
  }
}
