import type { FlowNode, ReturningChoice } from '../spec.js';
import { ask, bargeInField, defineNode, digitSpec, isNoInput, noInputPromptField, nodeRef, num, onSilence, promptRef, typedAhead, type LintFinding, type NodeContext, type Step } from './types.js';

/**
 * Returning callers (hotline standard §9): a caller an agent served recently is offered 1 to wait for that agent,
 * 2 to take the next agent, 3 to be called back by that agent. Who served them comes from the ACD's last-agent
 * record (Redis) through the `last-served` command; the choice is kept in the call state for the nodes after:
 * the queue node holds the call for that agent (`hold`), the callback node records the agent as preferred.
 */
interface ReturningNode extends FlowNode {
  /** Served within this many days (or hours: exactly one of the two). */
  withinDays?: number;
  withinHours?: number;
  /** The offer: "press 1 to wait for the agent who served you, 2 for the next agent, 3 to be called back by them". */
  prompt: string;
  noInputPrompt?: string;
  noInputRepeats?: number;
  noMatchPrompt?: string;
  noMatchRetries?: number;
  bargeIn?: boolean;
  /** Longest wait for that agent before anyone may answer (default 120 s). */
  holdSec?: number;
  /** Said when the hold ends without that agent (default `returning-fallback`; false: nothing is said). */
  fallbackPrompt?: string | false;
  /** 1: a queue node (the call is held for that agent). */
  sameAgent: string;
  /** 2: a queue node (no hold, whatever the queue's sticky rule). */
  nextAgent: string;
  /** 3: a callback node (the request names that agent). */
  callback: string;
  /** Not a returning caller (or nobody active served them within the window), and after the last wrong key. */
  next: string;
}

interface Local {
  phase: 'lookup' | 'ask';
  agentId?: string;
  noInput: number;
  noMatch: number;
  /** Type-ahead from the play before, kept over the look-up (the interpreter drops it once this node is entered). */
  ahead?: string;
}

export const DEFAULT_HOLD_SEC = 120;
const FALLBACK_PROMPT = 'returning-fallback';
const KEYS: Record<string, ReturningChoice['choice']> = { '1': 'same', '2': 'next', '3': 'callback' };

function windowMs(n: ReturningNode): number {
  return n.withinHours !== undefined ? n.withinHours * 3_600_000 : num(n.withinDays, 0) * 86_400_000;
}

function again(n: ReturningNode, ctx: NodeContext, local: Local, before: string[] = [], question = n.prompt): Step {
  const items = [...before.flatMap((id) => ctx.prompt(id)), ...ctx.prompt(question)];
  return ask(ctx, items, digitSpec(ctx, 1, 1, undefined, 3, n.bargeIn !== false), local);
}

function chosen(n: ReturningNode, ctx: NodeContext, local: Local, digits: string): Step {
  const choice = KEYS[digits];
  if (choice !== undefined && local.agentId !== undefined) {
    const fallback = n.fallbackPrompt === false ? undefined : (n.fallbackPrompt ?? FALLBACK_PROMPT);
    const returning: ReturningChoice = { agentId: local.agentId, choice, holdSec: num(n.holdSec, DEFAULT_HOLD_SEC), ...(fallback ? { fallbackPrompt: fallback } : {}) };
    const next = choice === 'same' ? n.sameAgent : choice === 'next' ? n.nextAgent : n.callback;
    return { commands: [], next, returning, vars: { returningAgent: local.agentId, returningChoice: choice } };
  }
  if (local.noMatch < num(n.noMatchRetries, 2)) return again(n, ctx, { ...local, noInput: 0, noMatch: local.noMatch + 1 }, [n.noMatchPrompt ?? 'invalid-option']);
  // Pressing wrong keys is no reason to lose the caller: they go on as anyone would.
  return { commands: [], next: n.next };
}

export default defineNode<ReturningNode>({
  type: 'returning',
  description:
    'Returning callers: when an agent who is still logged in served this caller within withinDays/withinHours, offer 1 wait for that agent (held for holdSec, then anyone), 2 the next agent, 3 a callback by that agent; anyone else goes on to next.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'prompt', 'sameAgent', 'nextAgent', 'callback', 'next'],
    properties: {
      type: { const: 'returning' },
      withinDays: { type: 'number', exclusiveMinimum: 0, maximum: 90, description: 'served within this many days (the ACD keeps who served a caller for 90 days)' },
      withinHours: { type: 'number', exclusiveMinimum: 0, maximum: 2160, description: 'served within this many hours (instead of withinDays)' },
      prompt: promptRef,
      noInputPrompt: noInputPromptField,
      noInputRepeats: { type: 'integer', minimum: 0, maximum: 5 },
      noMatchPrompt: promptRef,
      noMatchRetries: { type: 'integer', minimum: 0, maximum: 5 },
      bargeIn: bargeInField,
      holdSec: { type: 'integer', minimum: 0, maximum: 3600, description: 'longest wait for the same agent before any agent may answer (default 120)' },
      fallbackPrompt: {
        anyOf: [promptRef, { const: false }],
        description: `said when the hold ends and the caller goes to the next agent (default ${FALLBACK_PROMPT}; false: say nothing)`,
      },
      sameAgent: { ...nodeRef, description: 'key 1: a queue node; the call is held for the agent who served the caller' },
      nextAgent: { ...nodeRef, description: 'key 2: a queue node; no hold for any agent' },
      callback: { ...nodeRef, description: 'key 3: a callback node; the request names the agent who served the caller' },
      next: { ...nodeRef, description: 'callers nobody served within the window, and after the last wrong key' },
    },
  },
  waits: true,
  transitions: (n) => (['sameAgent', 'nextAgent', 'callback', 'next'] as const).map((k) => ({ path: [k], target: n[k] })),
  prompts: (n) => [
    { path: ['prompt'], id: n.prompt },
    ...(n.noInputPrompt ? [{ path: ['noInputPrompt'], id: n.noInputPrompt }] : []),
    { path: n.noMatchPrompt ? ['noMatchPrompt'] : [], id: n.noMatchPrompt ?? 'invalid-option' },
    ...(n.fallbackPrompt === false ? [] : [{ path: n.fallbackPrompt ? ['fallbackPrompt'] : [], id: n.fallbackPrompt ?? FALLBACK_PROMPT }]),
  ],
  lint: (n, ctx) => {
    const out: LintFinding[] = [];
    if ((n.withinDays === undefined) === (n.withinHours === undefined)) {
      out.push({ path: [], severity: 'error', rule: 'returning-window', message: 'needs exactly one of "withinDays" and "withinHours" (how recently the caller was served)' });
    }
    const expect = [
      ['sameAgent', 'queue', 'the call is held for the agent in a queue'],
      ['nextAgent', 'queue', 'the caller waits for the next agent in a queue'],
      ['callback', 'callback', 'the callback request names the agent'],
    ] as const;
    for (const [field, type, why] of expect) {
      const actual = ctx.nodeType(n[field]);
      if (actual !== undefined && actual !== type) {
        out.push({ path: [field], severity: 'error', rule: 'returning-target', message: `must lead to a ${type} node (${why}), not "${n[field]}" (${actual})` });
      }
    }
    return out;
  },
  enter: (n, ctx) => {
    const ref = ctx.ref();
    const ahead = typedAhead(ctx, n.bargeIn);
    const local: Local = { phase: 'lookup', noInput: 0, noMatch: 0, ...(ahead !== undefined ? { ahead } : {}) };
    return { commands: [{ type: 'last-served', ref }], awaiting: ref, local: local as unknown as Record<string, unknown> };
  },
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const local = ctx.state.local as unknown as Local;
    if (local.phase === 'lookup') {
      if (e.type !== 'last-served') return undefined;
      const last = e.last;
      const recent = last !== undefined && last.active && ctx.now - last.at <= windowMs(n);
      if (!recent) return { commands: [], next: n.next };
      const asking: Local = { phase: 'ask', agentId: last.agentId, noInput: 0, noMatch: 0 };
      // A key typed during the play before this node is the caller's answer to the offer.
      return local.ahead !== undefined ? chosen(n, ctx, asking, local.ahead.slice(0, 1)) : again(n, ctx, asking);
    }
    if (isNoInput(e)) return onSilence(ctx, local.noInput, n.noInputRepeats, () => again(n, ctx, { ...local, noInput: local.noInput + 1 }, [], n.noInputPrompt));
    if (e.type !== 'digits') return undefined;
    return chosen(n, ctx, local, e.digits);
  },
});
