import type { Clock } from '../core/clock.js';
import { HotlineError, InvalidInputError } from '../core/errors.js';
import type { Calendar } from '../ivr/calendar.js';
import type { Callback, CallbackFilter, CallbackRepository, CallbackSource } from '../store/pg/callbacks.js';
import { callbackTimes, type CallbackPolicy } from './deadline.js';

export interface CallbackRequest {
  number: string;
  /** Sets the deadline (CallbackPolicy.deadlineDays): after-hours, long-wait, desk-closed, return-visit, complaint... */
  reason?: string;
  source: CallbackSource;
  queueId?: string;
  /** The call that asked: one task per call. */
  callId?: string;
  preferredAgentId?: string;
  note?: string;
}

export type CallbackStore = Pick<CallbackRepository, 'create' | 'get' | 'list' | 'cancel' | 'attempts'>;

export interface CallbackServiceDeps {
  repo: CallbackStore;
  /** The hotline calendar (from the live flows; undefined when none is loaded). */
  calendar: () => Calendar | undefined;
  policy: CallbackPolicy;
  clock: Clock;
  /** The queue a task without one is worked by (the first queue of queues.yaml). */
  defaultQueue: () => string | undefined;
}

/**
 * The one way a callback task is made, listed or cancelled: the API, the CLI, the IVR's callback node and the
 * abandoned-call rule all call this, so every task gets its deadline by the same rule.
 */
export class CallbackService {
  constructor(private readonly deps: CallbackServiceDeps) {}

  async request(req: CallbackRequest): Promise<Callback> {
    const { clock, policy } = this.deps;
    const cal = this.deps.calendar();
    if (!cal) throw new HotlineError('NO_CALENDAR', 'no hotline calendar is loaded: callback deadlines cannot be set');
    const now = clock.now();
    const reason = req.reason ?? (req.source === 'abandoned' ? 'abandoned' : undefined);
    const { dueAt, nextAttemptAt } = callbackTimes(cal, policy, reason, now);
    const queueId = req.queueId ?? this.deps.defaultQueue();
    const id = await this.deps.repo.create({
      requestedNumber: req.number,
      requestedAt: now,
      dueAt,
      nextAttemptAt,
      source: req.source,
      ...(reason !== undefined ? { reason } : {}),
      ...(queueId !== undefined ? { queueId } : {}),
      ...(req.callId !== undefined ? { callId: req.callId } : {}),
      ...(req.preferredAgentId !== undefined ? { preferredAgentId: req.preferredAgentId } : {}),
      ...(req.note !== undefined ? { note: req.note } : {}),
    });
    return (await this.deps.repo.get(id))!;
  }

  async get(id: string): Promise<Callback> {
    const cb = await this.deps.repo.get(id);
    if (!cb) throw new HotlineError('CALLBACK_UNKNOWN', `no callback ${id}`, { id });
    return cb;
  }

  attempts(id: string): ReturnType<CallbackStore['attempts']> {
    return this.deps.repo.attempts(id);
  }

  list(filter: CallbackFilter, page: { limit: number; offset: number }): Promise<Callback[]> {
    return this.deps.repo.list(filter, page, this.deps.clock.now());
  }

  cancel(id: string): Promise<Callback> {
    if (!/^\d{1,18}$/.test(id)) throw new InvalidInputError('id', 'must be a callback id (digits)');
    return this.deps.repo.cancel(id, this.deps.clock.now());
  }
}

/** The IVR callback node's save (src/ivr/nodes/callback.ts), or nothing for other saves. */
export function ivrCallbackRequest(
  callId: string,
  data: { kind: string; number?: string; reason?: string; preferredAgentId?: string },
  queueId: string | undefined,
): CallbackRequest | undefined {
  if (data.kind !== 'callback' || !data.number) return undefined;
  // A returning caller who asked to be called back by the agent who served them (the `returning` node) names that
  // agent: the task is offered to them first, and its source says where it came from.
  const preferred = typeof data.preferredAgentId === 'string' && data.preferredAgentId !== '' ? data.preferredAgentId : undefined;
  return {
    number: data.number,
    reason: data.reason,
    source: preferred ? 'returning' : 'ivr',
    callId,
    ...(queueId !== undefined ? { queueId } : {}),
    ...(preferred ? { preferredAgentId: preferred } : {}),
  };
}

export interface AbandonedRule {
  /** Queues whose abandoned callers get a task (CALLBACK_ABANDONED_QUEUES, default all). */
  enabled: (queueId: string) => boolean;
  /** Waited at least this long in queue (CALLBACK_ABANDONED_MIN_WAIT_SEC). */
  minWaitSec: number;
}

/** The facts of an ended call the abandoned rule reads (the session's record, src/call/record.ts). */
export interface EndedCall {
  callId: string;
  callerNumber: string;
  queueId: string | undefined;
  queuedAt: number | undefined;
  agentAnsweredAt: number | undefined;
  endedAt: number;
  disposition: string;
  endedBy: string;
}

const CALLABLE = /^\+?\d{5,20}$/;

/** A caller who hung up in queue after waiting long enough, from a number we can dial, gets a callback task. */
export function abandonedCallbackRequest(rule: AbandonedRule, call: EndedCall): CallbackRequest | undefined {
  if (call.queueId === undefined || call.queuedAt === undefined || call.agentAnsweredAt !== undefined) return undefined;
  if ((call.disposition !== 'caller-hangup' && call.disposition !== 'abandoned') || call.endedBy !== 'caller') return undefined;
  if (!rule.enabled(call.queueId) || call.endedAt - call.queuedAt < rule.minWaitSec * 1000) return undefined;
  if (!CALLABLE.test(call.callerNumber)) return undefined;
  return { number: call.callerNumber, reason: 'abandoned', source: 'abandoned', callId: call.callId, queueId: call.queueId };
}
