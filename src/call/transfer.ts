import type { AcdPlace } from './acd-place.js';
import type { CallContext } from './call-context.js';
import { releaseAgent } from './call-cleanup.js';
import type { TransferTarget } from './ports.js';

/**
 * The agent's blind transfer (REFER): a target this hotline knows lets the agent go (wrap-up), tells the caller and
 * hands the target to the owner (a queue: the call waits there next). An unknown target changes nothing: the agent
 * stays on the call.
 */
export async function blindTransfer(ctx: CallContext, place: AcdPlace, to: string): Promise<TransferTarget | 'unknown' | 'ended'> {
  const target = ctx.deps.transfers?.resolve(to);
  if (!target) {
    ctx.log.warn({ target: to }, 'transfer target unknown; the agent stays on the call');
    return 'unknown';
  }
  ctx.record.transferredTo = to;
  await releaseAgent(ctx, place, 'agent');
  await ctx.caller.leg.play(ctx.deps.prompts.transferring).catch(() => undefined);
  if (ctx.isEnded() || ctx.caller.leg.gone) return 'ended';
  ctx.phase = 'ivr';
  return target;
}
