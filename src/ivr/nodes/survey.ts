import type { FlowNode } from '../spec.js';
import { ask, defineNode, digitSpec, isNoInput, nodeRef, num, promptRef, save, say, type NodeContext, type Step } from './types.js';

interface SurveyNode extends FlowNode {
  prompt?: string;
  /** Lowest and highest rating digit (the standard's 1 satisfied … 3 dissatisfied by default). */
  min?: number;
  max?: number;
  thanksPrompt?: string;
  /** Default: goodbye, disposition completed. */
  next?: string;
}

interface Local { phase: 'ask' | 'thanks'; noInput: number; invalid: number }

function rate(n: SurveyNode, ctx: NodeContext, local: Local, before: string[] = []): Step {
  return ask(ctx, [...before.flatMap((id) => ctx.prompt(id)), ...ctx.prompt(n.prompt ?? 'survey')], digitSpec(ctx, 1, 1), { ...local, phase: 'ask' });
}

function finish(n: SurveyNode, ctx: NodeContext): Step {
  if (n.next) return { commands: [], next: n.next };
  return { commands: [], end: { disposition: 'completed', items: ctx.prompt('goodbye') } };
}

export default defineNode<SurveyNode>({
  type: 'survey',
  description: 'Satisfaction survey after the agent hangs up: one rating digit, stored with the call.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: 'survey' },
      prompt: promptRef,
      min: { type: 'integer', minimum: 0, maximum: 9 },
      max: { type: 'integer', minimum: 0, maximum: 9 },
      thanksPrompt: promptRef,
      next: nodeRef,
    },
  },
  waits: true,
  transitions: (n) => (n.next ? [{ path: ['next'], target: n.next }] : []),
  prompts: (n) => [
    { path: n.prompt ? ['prompt'] : [], id: n.prompt ?? 'survey' },
    { path: n.thanksPrompt ? ['thanksPrompt'] : [], id: n.thanksPrompt ?? 'survey-thanks' },
    { path: [], id: 'invalid-option' },
    ...(n.next ? [] : [{ path: [], id: 'goodbye' }]),
  ],
  lint: (n) => (num(n.min, 1) > num(n.max, 3) ? [{ path: ['min'], severity: 'error', rule: 'schema', message: `min ${num(n.min, 1)} is greater than max ${num(n.max, 3)}` }] : []),
  enter: (n, ctx) => rate(n, ctx, { phase: 'ask', noInput: 0, invalid: 0 }),
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const local = ctx.state.local as unknown as Local;
    if (local.phase === 'thanks') return e.type === 'prompt-finished' ? finish(n, ctx) : undefined;
    // A caller who does not rate has still been served: no silent disposition here, just the goodbye.
    if (isNoInput(e)) return local.noInput < ctx.flow.silence.repeats ? rate(n, ctx, { ...local, noInput: local.noInput + 1 }) : finish(n, ctx);
    if (e.type !== 'digits') return undefined;
    const r = Number(e.digits);
    if (/^\d$/.test(e.digits) && r >= num(n.min, 1) && r <= num(n.max, 3)) {
      const step = say(ctx, ctx.prompt(n.thanksPrompt ?? 'survey-thanks'), { ...local, phase: 'thanks' });
      return { ...step, commands: [save({ kind: 'survey', rating: r, flowId: ctx.flow.id }), ...step.commands], vars: { rating: String(r) } };
    }
    if (local.invalid < 1) return rate(n, ctx, { ...local, invalid: local.invalid + 1 }, ['invalid-option']);
    return finish(n, ctx);
  },
});
