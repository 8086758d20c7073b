import type { AgentState, NotReadyReason } from './model.js';

/**
 * What the ACD reports, in the order it happened. MemoryAcdStore hands them to its `onEvent` listener; the Redis
 * store appends one stream entry per function call (one operation, or a batch of operations issued together) to
 * `acd:{hotline}:events`, field `e` holding their events as a JSON array (RedisAcdStore.readEvents flattens them), which the PostgreSQL writer
 * persists into call records and agent state history. `at` is the store clock's epoch milliseconds.
 * Within one operation the call's event comes before the agent state changes it causes.
 */
export type AcdEvent =
  /**
   * A call was accepted into a session (SIP INVITE answered), before the IVR: not an ACD operation, appended to the
   * same stream by the session's owner (AcdStore.recordArrival) so subscribers see `call.arrived`. Counts nothing.
   */
  | { type: 'arrived'; at: number; callId: string; callerNumber: string; calledNumber: string; ownerInstance: string; flowId?: string }
  | { type: 'enqueued'; at: number; callId: string; queueId: string; priority: number; callerNumber: string; ownerInstance: string; stickyAgent?: string }
  | { type: 'offered'; at: number; callId: string; queueId: string; agentId: string; via: 'primary' | 'secondary' | 'overflow-queue' | 'sticky'; waitedMs: number; ownerInstance: string }
  | { type: 'answered'; at: number; callId: string; agentId: string; ringMs: number }
  /** Redirect on no answer: the agent goes not-ready(missed), the call back to the head of its queue. */
  | { type: 'rona'; at: number; callId: string; agentId: string; queueId: string }
  /** An offer given back after a failure of ours (not the agent's): the call to the head of its queue, the agent ready. */
  | { type: 'offer-returned'; at: number; callId: string; agentId: string; queueId: string }
  /** A waiting call moved to another queue by a supervisor (it keeps its arrival time). */
  | { type: 'moved'; at: number; callId: string; fromQueue: string; toQueue: string }
  /** by 'operator': a supervisor hung the call up (API); otherwise the caller left. */
  | { type: 'abandoned'; at: number; callId: string; queueId: string; stage: 'waiting' | 'offered'; agentId?: string; by?: 'operator' }
  | { type: 'ended'; at: number; callId: string; agentId: string; talkMs: number; hungUpBy: 'agent' | 'caller' }
  | { type: 'instance-dead'; at: number; instance: string }
  /**
   * A call of an instance whose lease ran out, removed by the reaper: from the ACD (waiting, offered, on a call), or,
   * stage `ivr`, a tracked call that was not in the ACD (menus, the survey after the agent; no queueId). arrivedAt,
   * callerNumber, calledNumber and flowId come from the call's tracking entry (AcdStore.trackCall) when it had one.
   */
  | {
      type: 'removed-dead-instance';
      at: number;
      callId: string;
      queueId?: string;
      instance: string;
      stage: 'waiting' | 'offered' | 'on-call' | 'ivr';
      agentId?: string;
      arrivedAt?: number;
      callerNumber?: string;
      calledNumber?: string;
      flowId?: string;
    }
  | { type: 'agent-state'; at: number; agentId: string; from: AgentState; to: AgentState; reason?: NotReadyReason };

export type AcdEventType = AcdEvent['type'];
