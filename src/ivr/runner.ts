import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CallChannel, CallDataSink, FlowLookup, IvrQueuePort, QueueTicket, ReturningCallers, WaitEstimator } from './channel.js';
import { initialState, step } from './interpreter.js';
import type { CallState, Command, Disposition, Flow, FlowEvent } from './spec.js';

export interface RunnerDeps {
  channel: CallChannel;
  queue: IvrQueuePort;
  wait: WaitEstimator;
  sink: CallDataSink;
  flows: FlowLookup;
  clock: Clock;
  logger: Logger;
  /** Who served a caller last (`returning` nodes); without it every caller is a new one. */
  returning?: ReturningCallers;
}

export interface RunResult {
  disposition: Disposition;
  state: CallState;
  /** Every flow revision the call ran on (one, unless it was transferred to another flow). */
  revisions: { flowId: string; revision: number }[];
}

/**
 * Carries out the interpreter's commands on a channel and feeds the answers back as events, one at a time.
 * The call keeps the Flow object it started with (its revision), whatever hot reload does meanwhile.
 */
export class FlowRunner {
  private readonly events: FlowEvent[] = [];
  private wake: (() => void) | undefined;
  private readonly timers = new Map<string, TimerHandle>();
  private ticket: QueueTicket | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private flow!: Flow;
  private state!: CallState;
  private readonly revisions: RunResult['revisions'] = [];
  private readonly onHangup = (): void => this.push({ type: 'caller-hangup' });

  constructor(private readonly deps: RunnerDeps) {}

  async run(flow: Flow, vars: Record<string, string> = {}): Promise<RunResult> {
    const { channel } = this.deps;
    const log = this.deps.logger.child({ callId: channel.callId, flowId: flow.id, revision: flow.revision });
    channel.onHangup(this.onHangup);
    try {
      this.begin(flow, vars, true);
      while (!this.state.ended) {
        const e = await this.next();
        this.dispatch(e);
      }
      await this.chain;
    } catch (err) {
      log.error({ err }, 'flow runner failed');
      this.state = { ...this.state, ended: 'error' };
      await channel.hangup('error').catch(() => undefined);
    } finally {
      channel.offHangup(this.onHangup);
      for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
      this.timers.clear();
      if (this.ticket) await this.ticket.cancel().catch(() => undefined);
      channel.stopMusic();
    }
    log.info({ disposition: this.state.ended, trail: this.state.trail }, 'flow finished');
    return { disposition: this.state.ended ?? 'error', state: this.state, revisions: this.revisions };
  }

  private begin(flow: Flow, vars: Record<string, string>, answer: boolean): void {
    const { channel } = this.deps;
    this.flow = flow;
    this.revisions.push({ flowId: flow.id, revision: flow.revision });
    this.state = initialState(flow, { callId: channel.callId, caller: channel.caller, called: channel.called, vars });
    const out = step(flow, this.state, { type: 'start' }, this.deps.clock.now());
    this.state = out.state;
    for (const c of out.commands) if (answer || c.type !== 'answer') this.execute(c);
  }

  private push(e: FlowEvent): void {
    this.events.push(e);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private next(): Promise<FlowEvent> {
    const e = this.events.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve) => {
      this.wake = () => resolve(this.events.shift()!);
    });
  }

  private dispatch(e: FlowEvent): void {
    const out = step(this.flow, this.state, e, this.deps.clock.now());
    this.state = out.state;
    for (const c of out.commands) this.execute(c);
  }

  /** Channel operations run in order; their answers come back as events. */
  private serial<T>(op: () => Promise<T>, then: (v: T) => void): void {
    this.chain = this.chain.then(op).then(then, (err: unknown) => {
      this.deps.logger.error({ err, callId: this.deps.channel.callId }, 'channel operation failed');
      this.push({ type: 'channel-error', message: err instanceof Error ? err.message : String(err) });
    });
  }

  private execute(c: Command): void {
    const { channel, clock } = this.deps;
    switch (c.type) {
      case 'answer':
        return this.serial(() => channel.answer(), () => undefined);
      case 'play':
        return this.serial(() => channel.play(c.items), (o) => this.push(o === 'hangup' ? { type: 'caller-hangup' } : { type: 'prompt-finished', ref: c.ref }));
      case 'collect':
        return this.serial(
          () => channel.playCollect(c.items, c.digits),
          (o) => this.push(o === 'hangup' ? { type: 'caller-hangup' } : o === 'no-input' ? { type: 'no-input', ref: c.ref } : { type: 'digits', ref: c.ref, digits: o.digits }),
        );
      case 'record':
        return this.serial(() => channel.record(c.items, c.file, c.maxSec), (o) => this.push(o === 'hangup' ? { type: 'caller-hangup' } : { type: 'recorded', ref: c.ref, ...o }));
      case 'transfer':
        return this.serial(() => channel.transfer(c.to), (ok) => this.push({ type: 'transfer-result', ref: c.ref, ok }));
      case 'hangup':
        return this.serial(() => channel.hangup(c.disposition), () => undefined);
      case 'enqueue': {
        this.ticket = this.deps.queue.enqueue({ callId: channel.callId, caller: channel.caller, flowId: this.flow.id }, c.request, (outcome) => {
          // Answered: the call has left the queue for the agent, so there is nothing to cancel any more.
          if (outcome === 'answered') {
            channel.stopMusic();
            this.ticket = undefined;
          }
          this.push({ type: 'queue', outcome });
        });
        if (c.request.music.length > 0) channel.startMusic(c.request.music);
        return;
      }
      case 'dequeue': {
        const t = this.ticket;
        this.ticket = undefined;
        channel.stopMusic();
        if (t) this.serial(() => t.cancel(), () => undefined);
        return;
      }
      case 'queue-status': {
        const t = this.ticket;
        if (!t) return;
        const queueId = this.currentQueue();
        // A failed look-up still answers, so the caller goes on hearing music instead of a stalled announcement.
        void t
          .position()
          .then(async (position) => ({ position, expectedWaitSec: await this.deps.wait.expectedWaitSec(queueId, position) }))
          .then(
            (s) => this.push({ type: 'queue-status', ref: c.ref, ...s }),
            (err: unknown) => {
              this.deps.logger.warn({ err, callId: channel.callId }, 'queue position look-up failed');
              this.push({ type: 'queue-status', ref: c.ref, position: 0, expectedWaitSec: undefined });
            },
          );
        return;
      }
      case 'last-served': {
        const lookup = this.deps.returning;
        // A failed look-up answers "unknown": the caller goes on as a new caller rather than waiting.
        const found = lookup ? lookup.lastServed(channel.caller) : Promise.resolve(null);
        void found.then(
          (last) => this.push({ type: 'last-served', ref: c.ref, last: last ?? undefined }),
          (err: unknown) => {
            this.deps.logger.warn({ err, callId: channel.callId }, 'last-agent look-up failed');
            this.push({ type: 'last-served', ref: c.ref, last: undefined });
          },
        );
        return;
      }
      case 'set-timer': {
        clock.clearTimeout(this.timers.get(c.name));
        this.timers.set(
          c.name,
          clock.setTimeout(() => {
            this.timers.delete(c.name);
            this.push({ type: 'timer', name: c.name });
          }, c.ms),
        );
        return;
      }
      case 'cancel-timer':
        clock.clearTimeout(this.timers.get(c.name));
        this.timers.delete(c.name);
        return;
      case 'save':
        void Promise.resolve(this.deps.sink.save(channel.callId, c.data)).catch((err: unknown) => this.deps.logger.error({ err, callId: channel.callId }, 'saving call data failed'));
        return;
      case 'switch-flow': {
        const target = this.deps.flows.byId(c.flowId);
        if (!target) {
          this.state = { ...this.state, ended: 'error' };
          return this.serial(() => channel.hangup('error'), () => undefined);
        }
        return this.begin(target, this.state.vars, false);
      }
    }
  }

  private currentQueue(): string | undefined {
    const node = this.flow.nodes[this.state.node];
    return typeof node?.queue === 'string' ? node.queue : undefined;
  }
}
