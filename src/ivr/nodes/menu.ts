import type { FlowNode } from '../spec.js';
import { ask, bargeInField, noInputPromptField, defineNode, digitSpec, isNoInput, nodeRef, num, onSilence, promptRef, typedAhead, type NodeContext, type Step } from './types.js';

interface MenuNode extends FlowNode {
  prompt: string;
  options: Record<string, string>;
  /** Said before the menu again when the caller pressed a key that is not an option. */
  noMatchPrompt?: string;
  noMatchRetries?: number;
  /** After the last no-match (default: goodbye, disposition no-match). */
  onNoMatch?: string;
  /** Repeats of the menu on silence before the silent goodbye (default: the flow's silence policy). */
  noInputRepeats?: number;
  /** Digits pressed during the prompt count (default true). */
  bargeIn?: boolean;
  /** Said instead of `prompt` after no input (the standard's short re-prompt); default: `prompt` again. */
  noInputPrompt?: string;
}

interface Local {
  noInput: number;
  noMatch: number;
}

/** The standard: menus of four or more options raise abandonment; more than four is flagged. */
export const MAX_MENU_OPTIONS = 4;

function again(n: MenuNode, ctx: NodeContext, local: Local, before: string[] = [], question = n.prompt): Step {
  const items = [...before.flatMap((id) => ctx.prompt(id)), ...ctx.prompt(question)];
  return ask(ctx, items, digitSpec(ctx, 1, 1, undefined, 3, n.bargeIn !== false), local);
}

function chosen(n: MenuNode, ctx: NodeContext, local: Local, digits: string): Step {
  const target = n.options[digits];
  if (target !== undefined) return { commands: [], next: target };
  if (local.noMatch < num(n.noMatchRetries, 2)) return again(n, ctx, { noInput: 0, noMatch: local.noMatch + 1 }, [n.noMatchPrompt ?? 'invalid-option']);
  if (n.onNoMatch) return { commands: [], next: n.onNoMatch };
  return { commands: [], end: { disposition: 'no-match', items: ctx.prompt('goodbye') } };
}

export default defineNode<MenuNode>({
  type: 'menu',
  description: 'A DTMF menu: one key per option, with re-prompts on no input and on a wrong key.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'prompt', 'options'],
    properties: {
      type: { const: 'menu' },
      prompt: promptRef,
      options: { type: 'object', minProperties: 1, propertyNames: { pattern: '^[0-9*#]$' }, additionalProperties: nodeRef },
      noMatchPrompt: promptRef,
      noMatchRetries: { type: 'integer', minimum: 0, maximum: 5 },
      onNoMatch: nodeRef,
      noInputRepeats: { type: 'integer', minimum: 0, maximum: 5 },
      bargeIn: bargeInField,
      noInputPrompt: noInputPromptField,
    },
  },
  waits: true,
  transitions: (n) => [
    ...Object.entries(n.options).map(([k, target]) => ({ path: ['options', k], target })),
    ...(n.onNoMatch ? [{ path: ['onNoMatch'], target: n.onNoMatch }] : []),
  ],
  prompts: (n) => [
    { path: ['prompt'], id: n.prompt },
    ...(n.noInputPrompt ? [{ path: ['noInputPrompt'], id: n.noInputPrompt }] : []),
    { path: n.noMatchPrompt ? ['noMatchPrompt'] : [], id: n.noMatchPrompt ?? 'invalid-option' },
    ...(n.onNoMatch ? [] : [{ path: [], id: 'goodbye' }]),
  ],
  lint: (n) => {
    const count = Object.keys(n.options).length;
    return count > MAX_MENU_OPTIONS
      ? [{ path: ['options'], severity: 'warning', rule: 'menu-too-long', message: `${count} options; the standard keeps menus to at most ${MAX_MENU_OPTIONS} because longer menus raise abandonment` }]
      : [];
  },
  enter: (n, ctx) => {
    // A key typed during the play before this menu is the caller's choice: act on it without asking again.
    const ahead = typedAhead(ctx, n.bargeIn);
    return ahead !== undefined ? chosen(n, ctx, { noInput: 0, noMatch: 0 }, ahead.slice(0, 1)) : again(n, ctx, { noInput: 0, noMatch: 0 });
  },
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const local = ctx.state.local as unknown as Local;
    if (isNoInput(e)) return onSilence(ctx, local.noInput, n.noInputRepeats, () => again(n, ctx, { ...local, noInput: local.noInput + 1 }, [], n.noInputPrompt));
    if (e.type !== 'digits') return undefined;
    return chosen(n, ctx, local, e.digits);
  },
});
