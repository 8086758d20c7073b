import type { DigitSpec, FlowNode } from '../spec.js';
import { ask, bargeInField, noInputPromptField, defineNode, digitSpec, isNoInput, nodeRef, num, onSilence, promptRef, typedAhead, type LintFinding, type NodeContext, type Step } from './types.js';

export interface CollectNode extends FlowNode {
  prompt: string;
  variable: string;
  min?: number;
  max?: number;
  terminator?: string;
  interDigitTimeoutSec?: number;
  /** A regular expression the whole entry must match. */
  pattern?: string;
  invalidPrompt?: string;
  retries?: number;
  next: string;
  /** After the last invalid entry (default: goodbye, disposition no-match). */
  onInvalid?: string;
  noInputRepeats?: number;
  /** Digits pressed during the prompt count (default true). */
  bargeIn?: boolean;
  /** Said instead of `prompt` after no input (the standard's short re-prompt); default: `prompt` again. */
  noInputPrompt?: string;
}

interface Local { noInput: number; invalid: number }

function again(n: CollectNode, ctx: NodeContext, local: Local, before: string[] = [], question = n.prompt): Step {
  const items = [...before.flatMap((id) => ctx.prompt(id)), ...ctx.prompt(question)];
  return ask(ctx, items, collectSpec(n, ctx), local);
}

/** The digits this node takes; a play leading here collects type-ahead by the same rules (play.ts). */
export function collectSpec(n: CollectNode, ctx: NodeContext): DigitSpec {
  return digitSpec(ctx, num(n.min, 1), num(n.max, 20), n.terminator ?? '#', num(n.interDigitTimeoutSec, 3), n.bargeIn !== false);
}

function entered(n: CollectNode, ctx: NodeContext, local: Local, d: string): Step {
  const ok = d.length >= num(n.min, 1) && d.length <= num(n.max, 20) && (n.pattern === undefined || new RegExp(`^(?:${n.pattern})$`).test(d));
  if (ok) return { commands: [], vars: { [n.variable]: d }, next: n.next };
  if (local.invalid < num(n.retries, 2)) return again(n, ctx, { noInput: 0, invalid: local.invalid + 1 }, [n.invalidPrompt ?? 'invalid-entry']);
  if (n.onInvalid) return { commands: [], next: n.onInvalid };
  return { commands: [], end: { disposition: 'no-match', items: ctx.prompt('goodbye') } };
}

export default defineNode<CollectNode>({
  type: 'collect',
  description: 'Collect digits into a variable: min/max length, terminator, timeouts and a validation pattern.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'prompt', 'variable', 'next'],
    properties: {
      type: { const: 'collect' },
      prompt: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
      variable: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
      min: { type: 'integer', minimum: 1, maximum: 32 },
      max: { type: 'integer', minimum: 1, maximum: 32 },
      terminator: { enum: ['#', '*'] },
      interDigitTimeoutSec: { type: 'number', exclusiveMinimum: 0, maximum: 30 },
      pattern: { type: 'string' },
      invalidPrompt: promptRef,
      retries: { type: 'integer', minimum: 0, maximum: 5 },
      next: nodeRef,
      onInvalid: nodeRef,
      noInputRepeats: { type: 'integer', minimum: 0, maximum: 5 },
      bargeIn: bargeInField,
      noInputPrompt: noInputPromptField,
    },
  },
  waits: true,
  transitions: (n) => [{ path: ['next'], target: n.next }, ...(n.onInvalid ? [{ path: ['onInvalid'], target: n.onInvalid }] : [])],
  prompts: (n) => [
    { path: ['prompt'], id: n.prompt },
    ...(n.noInputPrompt ? [{ path: ['noInputPrompt'], id: n.noInputPrompt }] : []),
    { path: n.invalidPrompt ? ['invalidPrompt'] : [], id: n.invalidPrompt ?? 'invalid-entry' },
    ...(n.onInvalid ? [] : [{ path: [], id: 'goodbye' }]),
  ],
  lint: (n) => {
    const out: LintFinding[] = [];
    if (n.min !== undefined && n.max !== undefined && n.min > n.max) out.push({ path: ['min'], severity: 'error', rule: 'schema', message: `min ${n.min} is greater than max ${n.max}` });
    if (n.pattern !== undefined) {
      try {
        new RegExp(n.pattern);
      } catch {
        out.push({ path: ['pattern'], severity: 'error', rule: 'schema', message: `invalid regular expression "${n.pattern}"` });
      }
    }
    return out;
  },
  enter: (n, ctx) => {
    // Digits typed during the play before this node are the caller's entry: check them without asking again.
    const ahead = typedAhead(ctx, n.bargeIn);
    return ahead !== undefined ? entered(n, ctx, { noInput: 0, invalid: 0 }, ahead) : again(n, ctx, { noInput: 0, invalid: 0 });
  },
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const local = ctx.state.local as unknown as Local;
    if (isNoInput(e)) return onSilence(ctx, local.noInput, n.noInputRepeats, () => again(n, ctx, { ...local, noInput: local.noInput + 1 }, [], n.noInputPrompt));
    if (e.type !== 'digits') return undefined;
    return entered(n, ctx, local, e.digits);
  },
});
