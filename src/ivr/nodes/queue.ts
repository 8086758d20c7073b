import type { FlowNode, Language, PlayItem } from '../spec.js';
import { defineNode, digitSpec, nodeRef, num, promptRef, type LintFinding, type NodeContext, type Step } from './types.js';

interface QueueNode extends FlowNode {
  queue?: string;
  skills?: { skill: string; minLevel?: number }[];
  priority?: number;
  /** Prompt looped while waiting. */
  music?: string;
  announce?: { everySec?: number; position?: boolean; expectedWait?: boolean };
  /** Longest wait before `onTimeout` (default: the queue's maxWaitSec; 0 = no limit). */
  maxWaitSec?: number;
  callbackOffer?: { whenWaitOverSec: number; prompt?: string; digit?: string; next: string };
  /** After the agent hangs up: the survey, typically. */
  afterCall?: string;
  onTimeout?: string;
  onNoAgents?: string;
  onOverflow?: string;
}

type Phase = 'status' | 'announcing' | 'waiting' | 'talking';
/** holdEnded: a returning caller's wait for their agent is over; the next announcement starts with the fallback. */
interface Local { phase: Phase; offered: boolean; holdEnded?: boolean }

const ANNOUNCE = 'queue-announce';
const MAX_WAIT = 'queue-max-wait';
/** A returning caller held for their agent: when the hold ends, tell them anyone may now answer. */
const HOLD_END = 'queue-hold-end';

function leave(next: string | undefined, ctx: NodeContext, fallback: 'no-agents'): Step {
  const commands: Step['commands'] = [{ type: 'dequeue' }, { type: 'cancel-timer', name: ANNOUNCE }, { type: 'cancel-timer', name: MAX_WAIT }, { type: 'cancel-timer', name: HOLD_END }];
  if (next) return { commands, next, inQueue: false };
  return { commands, inQueue: false, end: { disposition: fallback, items: ctx.prompt('transfer-failed') } };
}

function announcement(n: QueueNode, ctx: NodeContext, position: number, waitSec: number | undefined, first: boolean): PlayItem[] {
  const lang = (ctx.state.vars.language as Language | undefined) ?? ctx.flow.language;
  const a = n.announce ?? {};
  const r = ctx.state.returning;
  const fallback = (ctx.state.local as unknown as Local).holdEnded && r?.fallbackPrompt ? ctx.prompt(r.fallbackPrompt) : [];
  const items: PlayItem[] = [...fallback, ...(first ? ctx.prompt('please-hold') : [])];
  if (a.position !== false && position >= 1) items.push(...ctx.prompt('position'), { kind: 'number', value: position, language: lang });
  if (a.expectedWait !== false && waitSec !== undefined) items.push(...ctx.prompt('expected-wait'), { kind: 'number', value: Math.max(1, Math.ceil(waitSec / 60)), language: lang });
  return items;
}

export default defineNode<QueueNode>({
  type: 'queue',
  description: 'Wait for an agent: a queue or required skills, priority, music on hold, position and expected-wait announcements, a callback offer when the wait is long, maximum wait, no agents, overflow.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: 'queue' },
      queue: { type: 'string', description: 'a queue id from queues.yaml' },
      skills: {
        type: 'array',
        minItems: 1,
        items: { type: 'object', additionalProperties: false, required: ['skill'], properties: { skill: { type: 'string' }, minLevel: { type: 'integer', minimum: 1, maximum: 5 } } },
      },
      priority: { type: 'integer', minimum: 0, maximum: 100 },
      music: promptRef,
      announce: {
        type: 'object',
        additionalProperties: false,
        properties: { everySec: { type: 'number', minimum: 10 }, position: { type: 'boolean' }, expectedWait: { type: 'boolean' } },
      },
      maxWaitSec: { type: 'number', minimum: 0 },
      callbackOffer: {
        type: 'object',
        additionalProperties: false,
        required: ['whenWaitOverSec', 'next'],
        properties: { whenWaitOverSec: { type: 'number', minimum: 0 }, prompt: promptRef, digit: { type: 'string', pattern: '^[0-9*#]$' }, next: nodeRef },
      },
      afterCall: nodeRef,
      onTimeout: nodeRef,
      onNoAgents: nodeRef,
      onOverflow: nodeRef,
    },
  },
  waits: true,
  transitions: (n) => [
    ...(['afterCall', 'onTimeout', 'onNoAgents', 'onOverflow'] as const).filter((k) => n[k] !== undefined).map((k) => ({ path: [k], target: n[k]! })),
    ...(n.callbackOffer ? [{ path: ['callbackOffer', 'next'], target: n.callbackOffer.next }] : []),
  ],
  prompts: (n) => [
    { path: [], id: 'please-hold' },
    ...(n.music ? [{ path: ['music'], id: n.music }] : []),
    ...(n.announce?.position !== false ? [{ path: [], id: 'position' }] : []),
    ...(n.announce?.expectedWait !== false ? [{ path: [], id: 'expected-wait' }] : []),
    ...(n.callbackOffer ? [{ path: n.callbackOffer.prompt ? ['callbackOffer', 'prompt'] : ['callbackOffer'], id: n.callbackOffer.prompt ?? 'callback-offer' }] : []),
    ...(!n.onTimeout || !n.onNoAgents ? [{ path: [], id: 'transfer-failed' }] : []),
    ...(!n.afterCall ? [{ path: [], id: 'goodbye' }] : []),
  ],
  lint: (n, ctx) => {
    const out: LintFinding[] = [];
    if (n.queue === undefined && n.skills === undefined) out.push({ path: [], severity: 'error', rule: 'schema', message: 'needs the field "queue" or "skills"' });
    if (n.queue !== undefined && !ctx.queueIds.has(n.queue)) out.push({ path: ['queue'], severity: 'error', rule: 'unknown-queue', message: `queue "${n.queue}" is not declared in queues.yaml` });
    return out;
  },
  enter: (n, ctx) => {
    const q = n.queue ? ctx.flow.queues.get(n.queue) : undefined;
    const maxWait = n.maxWaitSec ?? q?.maxWaitSec ?? 0;
    const ref = ctx.ref();
    // A returning caller's choice at the returning node: wait for their agent (held for holdSec), or anyone.
    const r = ctx.state.returning;
    const hold = r?.choice === 'same' ? { agentId: r.agentId, sec: r.holdSec } : r?.choice === 'next' ? ('none' as const) : undefined;
    const holdEnd = r?.choice === 'same' && r.fallbackPrompt !== undefined && r.holdSec > 0 && (maxWait === 0 || r.holdSec < maxWait);
    return {
      commands: [
        {
          type: 'enqueue',
          request: {
            queueId: n.queue,
            skills: (n.skills ?? []).map((s) => ({ skill: s.skill, minLevel: s.minLevel ?? 1 })),
            priority: num(n.priority, 0),
            music: n.music ? ctx.prompt(n.music) : [],
            ...(hold !== undefined ? { hold } : {}),
          },
        },
        ...(maxWait > 0 ? [{ type: 'set-timer' as const, name: MAX_WAIT, ms: maxWait * 1000 }] : []),
        ...(holdEnd ? [{ type: 'set-timer' as const, name: HOLD_END, ms: r.holdSec * 1000 }] : []),
        { type: 'queue-status', ref },
      ],
      awaiting: ref,
      inQueue: true,
      local: { phase: 'status', offered: false, first: true },
    };
  },
  on: (n, e, ctx) => {
    const local = ctx.state.local as unknown as Local & { first: boolean };
    if (e.type === 'queue') {
      switch (e.outcome) {
        case 'answered':
          return { commands: [{ type: 'cancel-timer', name: ANNOUNCE }, { type: 'cancel-timer', name: MAX_WAIT }, { type: 'cancel-timer', name: HOLD_END }], inQueue: false, answeredByAgent: true, local: { ...local, phase: 'talking' }, awaiting: -1 };
        case 'agent-ended':
          if (n.afterCall) return { commands: [], next: n.afterCall };
          return { commands: [], end: { disposition: 'completed', items: ctx.prompt('goodbye') } };
        case 'timeout':
          return leave(n.onTimeout, ctx, 'no-agents');
        case 'no-agents':
          return leave(n.onNoAgents, ctx, 'no-agents');
        case 'overflow':
          return n.onOverflow ? leave(n.onOverflow, ctx, 'no-agents') : undefined;
      }
    }
    if (local.phase === 'talking') return undefined;
    if (e.type === 'timer') {
      if (e.name === MAX_WAIT) return leave(n.onTimeout, ctx, 'no-agents');
      if (e.name !== ANNOUNCE && e.name !== HOLD_END) return undefined;
      const ref = ctx.ref();
      // The hold's end is announced at once, with the position (an announcement under way is cut short by it).
      const commands: Step['commands'] = e.name === HOLD_END ? [{ type: 'cancel-timer', name: ANNOUNCE }, { type: 'queue-status', ref }] : [{ type: 'queue-status', ref }];
      return { commands, awaiting: ref, local: { ...local, phase: 'status', ...(e.name === HOLD_END ? { holdEnded: true } : {}) } };
    }
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const rearm: Step['commands'] = [{ type: 'set-timer', name: ANNOUNCE, ms: num(n.announce?.everySec, 30) * 1000 }];
    if (e.type === 'queue-status') {
      const items = announcement(n, ctx, e.position, e.expectedWaitSec, local.first);
      const offer = n.callbackOffer;
      const ref = ctx.ref();
      const next = { ...local, phase: 'announcing' as Phase, first: false, holdEnded: false };
      if (offer && !local.offered && e.expectedWaitSec !== undefined && e.expectedWaitSec > offer.whenWaitOverSec) {
        items.push(...ctx.prompt(offer.prompt ?? 'callback-offer'));
        return { commands: [{ type: 'collect', ref, items, digits: { ...digitSpec(ctx, 1, 1), firstDigitTimeoutMs: ctx.flow.silence.timeoutSec * 1000 } }], awaiting: ref, local: { ...next, offered: true } };
      }
      if (items.length === 0) return { commands: rearm, awaiting: undefined, local: { ...next, phase: 'waiting' } };
      return { commands: [{ type: 'play', ref, items }], awaiting: ref, local: next };
    }
    if (e.type === 'digits' && n.callbackOffer && e.digits === (n.callbackOffer.digit ?? '1')) return leave(n.callbackOffer.next, ctx, 'no-agents');
    // The announcement ended (or the caller let the offer pass): back to music until the next announcement.
    return { commands: rearm, awaiting: undefined, local: { ...local, phase: 'waiting' } };
  },
});
