import type { FlowNode } from '../spec.js';
import { ask, defineNode, digitSpec, isNoInput, nodeRef, onSilence, promptRef, save, type NodeContext, type Step } from './types.js';

interface CallbackNode extends FlowNode {
  /** "We will call you back on the number you are calling from: press 1 to confirm, 2 for another number." */
  prompt?: string;
  numberPrompt?: string;
  /** Why the callback was asked for (after-hours, long-wait, desk-closed): kept with the request. */
  reason: string;
  /** What a typed number must look like (default: 7–12 digits). */
  pattern?: string;
  next: string;
}

interface Local { phase: 'confirm' | 'number'; noInput: number; invalid: number }

const DEFAULT_PATTERN = '\\d{7,12}';
/** Wrong numbers tolerated before the goodbye. */
const NUMBER_RETRIES = 2;

function confirm(n: CallbackNode, ctx: NodeContext, local: Local): Step {
  return ask(ctx, ctx.prompt(n.prompt ?? 'callback-confirm'), digitSpec(ctx, 1, 1), { ...local, phase: 'confirm' });
}

function askNumber(n: CallbackNode, ctx: NodeContext, local: Local, before: string[] = []): Step {
  const items = [...before.flatMap((id) => ctx.prompt(id)), ...ctx.prompt(n.numberPrompt ?? 'callback-number')];
  return ask(ctx, items, digitSpec(ctx, 5, 16, '#', 4), { ...local, phase: 'number' });
}

function done(n: CallbackNode, ctx: NodeContext, number: string): Step {
  // A returning caller who chose their agent (to wait for, or to call back): the request names that agent.
  const r = ctx.state.returning;
  const preferred = r && r.choice !== 'next' ? { preferredAgentId: r.agentId } : {};
  return { commands: [save({ kind: 'callback', number, reason: n.reason, flowId: ctx.flow.id, ...preferred })], vars: { callbackNumber: number }, next: n.next };
}

export default defineNode<CallbackNode>({
  type: 'callback',
  description: "Take a callback request: confirm the caller's number or collect another one.",
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'reason', 'next'],
    properties: {
      type: { const: 'callback' },
      prompt: promptRef,
      numberPrompt: promptRef,
      reason: { type: 'string', minLength: 1 },
      pattern: { type: 'string' },
      next: nodeRef,
    },
  },
  waits: true,
  transitions: (n) => [{ path: ['next'], target: n.next }],
  prompts: (n) => [
    { path: n.prompt ? ['prompt'] : [], id: n.prompt ?? 'callback-confirm' },
    { path: n.numberPrompt ? ['numberPrompt'] : [], id: n.numberPrompt ?? 'callback-number' },
    { path: [], id: 'invalid-entry' },
  ],
  enter: (n, ctx) => {
    const local: Local = { phase: 'confirm', noInput: 0, invalid: 0 };
    // A withheld number cannot be confirmed: go straight to asking for one.
    return /^\+?\d{5,}$/.test(ctx.state.caller) ? confirm(n, ctx, local) : askNumber(n, ctx, local);
  },
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const local = ctx.state.local as unknown as Local;
    const retry = (): Step => (local.phase === 'confirm' ? confirm(n, ctx, { ...local, noInput: local.noInput + 1 }) : askNumber(n, ctx, { ...local, noInput: local.noInput + 1 }));
    if (isNoInput(e)) return onSilence(ctx, local.noInput, undefined, retry);
    if (e.type !== 'digits') return undefined;
    if (local.phase === 'confirm') {
      if (e.digits === '1') return done(n, ctx, ctx.state.caller);
      if (e.digits === '2') return askNumber(n, ctx, { ...local, noInput: 0 });
      return confirm(n, ctx, { ...local, invalid: local.invalid + 1 });
    }
    if (new RegExp(`^(?:${n.pattern ?? DEFAULT_PATTERN})$`).test(e.digits)) return done(n, ctx, e.digits);
    if (local.invalid < NUMBER_RETRIES) return askNumber(n, ctx, { ...local, invalid: local.invalid + 1, noInput: 0 }, ['invalid-entry']);
    return { commands: [], end: { disposition: 'no-match', items: ctx.prompt('goodbye') } };
  },
});
