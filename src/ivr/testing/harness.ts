import { VirtualClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import type { CallDataSink, FlowLookup, ReturningCallers, WaitEstimator } from '../channel.js';
import { FlowRunner, type RunResult } from '../runner.js';
import type { Flow, PlayItem, Saved } from '../spec.js';
import { ScriptedChannel, ScriptedQueue, type CallerAction, type QueuePlan } from './scripted-channel.js';

export interface ScriptedCall {
  result: RunResult;
  channel: ScriptedChannel;
  queue: ScriptedQueue;
  saved: Saved[];
  clock: VirtualClock;
}

/**
 * Runs one call through a flow on a virtual clock: `at` is the wall time the call arrives (for calendars),
 * `script` what the caller does, `queue` what the ACD does. Stops after `limitMs` of virtual time.
 */
export async function runScriptedCall(
  flow: Flow,
  opts: {
    at?: number;
    script?: CallerAction[];
    queue?: QueuePlan;
    caller?: string;
    transferOk?: boolean;
    /** How long each prompt item plays, ms (default 2 s each). */
    itemLength?: (item: PlayItem) => number;
    wait?: WaitEstimator;
    flows?: FlowLookup;
    /** Who served the caller last (`returning` nodes); absent: nobody. */
    returning?: ReturningCallers;
    hangupAfterMs?: number;
    limitMs?: number;
    /** Runs after the call has started, with the clock, e.g. to hot-reload a flow mid-call. */
    during?: (clock: VirtualClock) => void;
  } = {},
): Promise<ScriptedCall> {
  const clock = new VirtualClock(opts.at ?? Date.UTC(2026, 0, 5, 2, 0));
  const channel = new ScriptedChannel(clock, { script: opts.script ?? [], ...(opts.caller ? { caller: opts.caller } : {}), transferOk: opts.transferOk ?? true, ...(opts.itemLength ? { itemLength: opts.itemLength } : {}) });
  const queue = new ScriptedQueue(clock, opts.queue ?? {});
  const saved: Saved[] = [];
  const sink: CallDataSink = { save: (_id, d) => void saved.push(d) };
  const runner = new FlowRunner({
    channel,
    queue,
    wait: opts.wait ?? { expectedWaitSec: (_q, k) => k * 60 },
    sink,
    flows: opts.flows ?? { byId: () => undefined },
    clock,
    logger: silentLogger,
    ...(opts.returning ? { returning: opts.returning } : {}),
  });
  if (opts.hangupAfterMs !== undefined) channel.hangupAt(clock.now() + opts.hangupAfterMs);
  let result: RunResult | undefined;
  const done = runner.run(flow).then((r) => (result = r));
  opts.during?.(clock);
  const limit = clock.now() + (opts.limitMs ?? 3 * 3600_000);
  while (!result && clock.now() < limit) await clock.advanceAsync(250);
  if (!result) throw new Error(`call did not finish within ${opts.limitMs ?? 3 * 3600_000} ms of virtual time`);
  await done;
  return { result, channel, queue, saved, clock };
}
