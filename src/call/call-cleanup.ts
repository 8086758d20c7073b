import type { AcdPlace } from './acd-place.js';
import type { CallContext } from './call-context.js';

/** The agent's side is over: hang up the seat, release its endpoint, start wrap-up. Safe to call twice. */
export async function releaseAgent(ctx: CallContext, place: AcdPlace, by: 'agent' | 'caller' | 'operator'): Promise<void> {
  const a = ctx.agent;
  if (!a) return;
  ctx.agent = undefined;
  await Promise.all([a.seat.hangup(), a.seat.leg?.release()]);
  await place.leave(by);
}

/**
 * THE cleanup path of a call: runs once, for BYE, CANCEL, our own hangup, errors and shutdown alike. Each step is
 * guarded so one failure (a dead socket, a store error) cannot skip the others: timers and listeners go, a ringing
 * seat is cancelled, the agent is released and restored, the call leaves the ACD, both legs are released, and the
 * record is written once.
 */
export async function cleanupCall(ctx: CallContext, place: AcdPlace): Promise<void> {
  const { clock, records } = ctx.deps;
  ctx.timers.clearAll();
  for (const off of ctx.offs.splice(0)) off();

  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      ctx.log.warn({ err, step: what }, 'cleanup step failed');
    }
  };

  const ringing = ctx.ringing;
  ctx.ringing = undefined;
  if (ringing) await step('cancel seat', () => ringing.seat.cancel());
  const endedBy = ctx.record.endedBy;
  const by = endedBy === 'caller' ? 'caller' : endedBy === 'operator' ? 'operator' : 'agent';
  if (ctx.agent) await step('release agent', () => releaseAgent(ctx, place, by));
  await step('leave the ACD', () => place.leave(by));
  await step('hang up caller', () => ctx.caller.signal.hangup());
  await step('release caller media', () => ctx.caller.leg.release());
  const silent = ctx.silentRun;
  if (silent) await step('silent script', () => silent);

  const r = ctx.record;
  r.endedAt = clock.now();
  if (r.queuedAt !== undefined && r.waitedMs === undefined) r.waitedMs = r.endedAt - r.queuedAt;
  await step('write call record', () => records.write(ctx.snapshot()));
  ctx.log.info({ disposition: r.disposition, endedBy: r.endedBy }, 'call ended');
}
