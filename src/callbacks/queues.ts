import type { QueueDefinition } from '../acd/model.js';

/**
 * Callbacks reach agents through the ACD's own atomic match: each queue Q gets a shadow queue `callback:Q` with Q's
 * skills and a queue priority below every real queue. An agent is eligible for both, and the match takes the
 * higher queue priority first, so a callback is offered only to a ready agent none of whose queues has a caller
 * waiting, and a caller arriving later is served before any waiting callback. No new ACD operation is needed (the
 * Lua library and the memory store stay as they are).
 */
export const CALLBACK_QUEUE_PREFIX = 'callback:';

export function callbackQueueId(queueId: string): string {
  return `${CALLBACK_QUEUE_PREFIX}${queueId}`;
}

export function isCallbackQueue(queueId: string): boolean {
  return queueId.startsWith(CALLBACK_QUEUE_PREFIX);
}

export function withCallbackQueues(queues: readonly QueueDefinition[]): QueueDefinition[] {
  if (queues.length === 0) return [];
  const lowest = Math.min(...queues.map((q) => q.priority));
  const shadows = queues.map(
    (q): QueueDefinition => ({
      ...q,
      id: callbackQueueId(q.id),
      name: `${q.name} (callbacks)`,
      priority: lowest - 1,
      // Only agents with the skill as a primary skill, no overflow, no stickiness, no wait limit: the dispatcher
      // withdraws a task that finds nobody within its offer window.
      overflow: {},
      stickyAgentSec: 0,
      maxWaitSec: 0,
    }),
  );
  return [...queues, ...shadows];
}
