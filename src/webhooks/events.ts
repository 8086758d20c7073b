import type { AcdEvent } from '../acd/events.js';

/** The event types a subscription can ask for (POST /api/webhooks `events`; empty means all). */
export const WEBHOOK_EVENT_TYPES = [
  /** The INVITE was accepted into a call session, before the IVR (the session appends it: AcdStore.recordArrival). */
  'call.arrived',
  'call.queued',
  'call.offered',
  'call.answered',
  'call.rona',
  'call.abandoned',
  'call.ended',
  'call.removed',
  'agent.state_changed',
  /** Not from the ACD stream: queued by PostgreSQL as each call record is inserted (migration 20261207131000000). */
  'call.record',
  /**
   * Workflow events (issue 11), not from the ACD stream: queued with WebhookRepository.emit() in the transaction that
   * stores the workflow's own row, so the webhook exists exactly when the change does.
   */
  'plan.activated',
  'plan.stood_down',
  'callback.created',
  'callback.attempted',
  'callback.completed',
  'callback.overdue',
  'review.created',
  'review.overdue',
  'review.closed',
  'work_order.created',
  'work_order.accepted',
  'work_order.escalated',
  'work_order.closed',
  'complaint.overdue',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A workflow event for WebhookRepository.emit(): `id` is stable, so emitting it twice queues it once. */
export interface WorkflowWebhookEvent {
  id: string;
  type: Exclude<WebhookEventType, `call.${string}` | 'agent.state_changed'>;
  data: Record<string, unknown>;
}

export interface WebhookEvent {
  type: WebhookEventType;
  /** What the receiver gets under `data`: the ACD's event without its internal type name, `at` as ISO 8601. */
  data: Record<string, unknown>;
}

/**
 * The ACD event as a webhook event, or undefined for events that are internal (an instance declared dead: its
 * calls come as `call.removed`). Kept a pure mapping so the body a receiver sees is documented in one place.
 */
export function toWebhookEvent(e: AcdEvent): WebhookEvent | undefined {
  const { type, at, ...rest } = e;
  const data = { ...rest, at: new Date(at).toISOString() };
  switch (type) {
    case 'arrived':
      return { type: 'call.arrived', data };
    case 'enqueued':
      return { type: 'call.queued', data };
    case 'offered':
      return { type: 'call.offered', data };
    case 'answered':
      return { type: 'call.answered', data };
    case 'rona':
      return { type: 'call.rona', data };
    case 'abandoned':
      return { type: 'call.abandoned', data };
    case 'ended':
      return { type: 'call.ended', data };
    case 'removed-dead-instance':
      return { type: 'call.removed', data };
    case 'agent-state':
      return { type: 'agent.state_changed', data };
    case 'instance-dead':
      return undefined;
  }
}
