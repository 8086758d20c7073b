import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Calendar } from '../ivr/calendar.js';
import { nextOpening } from '../ivr/working-days.js';
import type { CallRecord } from '../store/pg/call-records.js';
import type { Callback, CallbackRepository } from '../store/pg/callbacks.js';
import { afterAttempt, type CallbackPolicy } from './deadline.js';
import type { CallbackCaller, CallbackGate, CallbackRouting, OutboundResult, ReservedAgent, SeatSlots } from './ports.js';
import { callbackQueueId } from './queues.js';

/** How long before a task's deadline its preferred agent stops being waited for (anyone may then call back). */
export const PREFERRED_AGENT_FALLBACK_MS = 4 * 60 * 60_000;

export type CallbackTasks = Pick<CallbackRepository, 'claimNext' | 'renewClaims' | 'release' | 'recordAttempt' | 'flagOverdue'>;

export interface CallbackDispatcherOptions {
  instanceId: string;
  /** A claim (PG) and a seat slot (Redis) live this long unless renewed; a dead instance's task is retried after it. */
  leaseMs: number;
  /** How long a task waits in the ACD for a free agent before it is given back for a later sweep. */
  offerWindowMs: number;
  /** Wait after a task found no agent, so a busy hotline is not asked again every sweep. */
  noAgentBackoffMs: number;
}

export interface CallbackDispatcherDeps {
  tasks: CallbackTasks;
  gate: CallbackGate;
  slots: SeatSlots;
  routing: CallbackRouting;
  caller: CallbackCaller;
  /** Outbound call records (the durable recorder: spooled through a PostgreSQL outage). */
  records: { writeCallRecord(r: CallRecord): Promise<unknown> };
  calendar: () => Calendar | undefined;
  /** The queue whose agents work a task stored without one (the first queue of queues.yaml). */
  defaultQueue: () => string | undefined;
  policy: CallbackPolicy;
  clock: Clock;
  log: Logger;
  /** Told of each task flagged overdue (metrics). */
  onOverdue?: (n: number) => void;
}

/**
 * Works callback tasks. sweep() runs on every instance (housekeeping `every`): flag tasks past their deadline (once,
 * in PostgreSQL), and while the line is open and the gate allows, claim due tasks up to the free seat slots and run
 * each: reserve an agent through the ACD, place the call, record the attempt and what follows (done, retry later,
 * failed). Everything that must happen on time is a row or a lease, so a dead instance's task is retried by another.
 */
export class CallbackDispatcher {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly deps: CallbackDispatcherDeps,
    private readonly opts: CallbackDispatcherOptions,
  ) {}

  /** Tasks this instance is working now. */
  get active(): number {
    return this.running.size;
  }

  async sweep(): Promise<void> {
    const { deps, opts } = this;
    const now = deps.clock.now();
    const flagged = await deps.tasks.flagOverdue(now);
    if (flagged.length > 0) {
      deps.onOverdue?.(flagged.length);
      deps.log.warn({ callbacks: flagged.map((c) => c.id) }, 'callbacks past their deadline');
    }
    // Our running tasks keep their claims and seat slots (both leases) while their calls last.
    const mine = [...this.running.keys()];
    if (mine.length > 0) {
      await deps.tasks.renewClaims(mine, opts.instanceId, now);
      await Promise.all(mine.map((id) => deps.slots.renew(id, now + opts.leaseMs)));
    }
    if (this.stopped) return;
    const cal = deps.calendar();
    if (!cal || nextOpening(cal, now) > now) return; // never dialled while the line is closed
    const gate = await deps.gate.callbacksAllowed();
    if (!gate.allowed || gate.maxSeats <= 0) return;
    const room = gate.maxSeats - this.running.size;
    if (room <= 0) return;
    const claimed = await deps.tasks.claimNext(now, opts.instanceId, room, opts.leaseMs);
    for (const task of claimed) {
      if (!(await deps.slots.acquire(task.id, gate.maxSeats, now, now + opts.leaseMs))) {
        // Other instances hold the seats: back untouched, for a later sweep.
        await deps.tasks.release(task.id, opts.instanceId, now);
        continue;
      }
      const run = this.work(task, cal).finally(() => {
        this.running.delete(task.id);
      });
      this.running.set(task.id, run);
    }
  }

  /** Stop claiming; resolves when the calls under way have ended (their results recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running.values()]);
  }

  private async work(task: Callback, cal: Calendar): Promise<void> {
    const { deps, opts } = this;
    const log = deps.log.child({ callbackId: task.id, number: task.requestedNumber });
    const callId = `cb-${task.id}-${deps.clock.now()}`;
    const queueId = callbackQueueId(task.queueId ?? deps.defaultQueue() ?? '');
    let agent: ReservedAgent | undefined;
    try {
      // First-contact responsibility (§6, §9): a task naming an agent waits for that agent until the last
      // PREFERRED_AGENT_FALLBACK_MS before its deadline; then anyone may call, so the deadline is still met.
      const preferred = task.preferredAgentId !== null && deps.clock.now() < task.dueAt - PREFERRED_AGENT_FALLBACK_MS ? { preferredAgentId: task.preferredAgentId } : {};
      agent = await deps.routing.reserve({ callId, queueId, number: task.requestedNumber, ...preferred }, opts.offerWindowMs);
      if (!agent) {
        log.debug('no agent free for the callback; later');
        await deps.tasks.release(task.id, opts.instanceId, deps.clock.now() + opts.noAgentBackoffMs);
        return;
      }
      const reserved = agent;
      log.info({ agentId: reserved.agentId, callId }, 'placing callback');
      await reserved.ringing();
      const result = await deps.caller.place({ callId, agentId: reserved.agentId, number: task.requestedNumber }, { agentAnswered: () => reserved.answered() });
      if (result.outcome === 'agent-missed') await reserved.missed();
      await reserved.leave(result.endedBy === 'caller' ? 'caller' : result.agentAnsweredAt !== undefined ? 'agent' : 'operator');
      await this.finish(task, cal, callId, queueId, reserved.agentId, result, log);
    } catch (err) {
      log.error({ err }, 'callback attempt failed');
      await agent?.leave('operator').catch(() => undefined);
      await this.finish(task, cal, callId, queueId, agent?.agentId ?? null, { outcome: 'failed', endedAt: deps.clock.now(), endedBy: 'system', failure: String(err) }, log).catch((e: unknown) => log.error({ err: e }, 'recording the failed attempt failed'));
    } finally {
      await deps.slots.release(task.id).catch((err: unknown) => log.warn({ err }, 'seat slot not released (its lease frees it)'));
    }
  }

  private async finish(task: Callback, cal: Calendar, callId: string, queueId: string, agentId: string | null, r: OutboundResult, log: Logger): Promise<void> {
    const { deps, opts } = this;
    const next = afterAttempt(cal, deps.policy, r.outcome, task.attempts, r.endedAt);
    const kept = await deps.tasks.recordAttempt(task.id, opts.instanceId, { at: r.endedAt, agentId, callId, outcome: r.outcome }, next);
    log.info({ outcome: r.outcome, next, kept }, 'callback attempt recorded');
    if (r.outcome === 'agent-missed' && r.agentAnsweredAt === undefined) return; // no call left the building
    const record: CallRecord = {
      callId,
      direction: 'outbound',
      instanceId: opts.instanceId,
      callerNumber: task.requestedNumber,
      queueId,
      arrivalAt: r.agentAnsweredAt ?? r.endedAt,
      hangupAt: r.endedAt,
      disposition: r.outcome === 'answered' ? 'answered' : 'failed',
      whoHungUp: r.endedBy,
      offers: 1,
      ...(agentId !== null && r.agentAnsweredAt !== undefined ? { agentId, firstAgentId: agentId } : {}),
      ...(r.customerAnsweredAt !== undefined ? { answerAt: r.customerAnsweredAt } : {}),
      ...(r.outcome !== 'answered' ? { failureReason: `callback ${r.outcome}${r.failure ? `: ${r.failure}` : ''}` } : {}),
    };
    await deps.records.writeCallRecord(record);
  }
}
