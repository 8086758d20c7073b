import type { DigitSpec, FlowNode, Language, PlayItem } from '../spec.js';
import { collectSpec, type CollectNode } from './collect.js';
import { afterLeadIn, bargeInField, digitSpec, defineNode, nodeRef, promptRef, say, type NodeContext, type Step } from './types.js';

interface PlayNode extends FlowNode {
  prompt?: string;
  prompts?: string[];
  say?: { text: string; language?: Language };
  next: string;
  /** Digits pressed while this plays are kept for the menu or collect it leads to (default true). */
  bargeIn?: boolean;
}

/** Plays in a row this far are followed to find the menu or collect that takes their type-ahead. */
const MAX_PLAY_CHAIN = 8;

/**
 * The digits a caller may type ahead during this play: those of the menu or collect it leads to (through further
 * plays), or undefined when it leads elsewhere or barge-in is off here, on a play between, or at the target.
 */
export function typeAheadSpec(n: PlayNode, ctx: NodeContext): DigitSpec | undefined {
  if (n.bargeIn === false) return undefined;
  let id = n.next;
  for (let hop = 0; hop < MAX_PLAY_CHAIN; hop++) {
    const node = ctx.flow.nodes[id];
    if (!node || node.bargeIn === false) return undefined;
    if (node.type === 'menu') return { ...digitSpec(ctx, 1, 1), firstDigitTimeoutMs: 0 };
    if (node.type === 'collect') return { ...collectSpec(node as CollectNode, ctx), firstDigitTimeoutMs: 0 };
    if (node.type !== 'play' || typeof node.next !== 'string') return undefined;
    id = node.next;
  }
  return undefined;
}

function enter(n: PlayNode, ctx: NodeContext): Step {
  const ahead = ctx.state.typeAhead;
  // The caller already typed ahead during an earlier play: skip this one and carry the digits on.
  if (ahead && typeAheadSpec(n, ctx)) return { commands: [], next: n.next, typeAhead: ahead };
  const items = playItems(n, ctx);
  const spec = typeAheadSpec(n, ctx);
  // Without barge-in to a menu here, no play before this one had it either (typeAheadSpec walks through this play):
  // nothing was handed on.
  if (!spec) return say(ctx, items, {});
  // Barge-in all the way to a menu or collect: its question starts with this prompt, in one playback with digit
  // collection (a key pressed now is its answer, as type-ahead would be). One FreeSWITCH command and one result per
  // call fewer than a collect here and another there; and no gap between the greeting and the question.
  return { commands: [], next: n.next, leadIn: afterLeadIn(ctx, items) };
}

export function playItems(n: { prompt?: string; prompts?: string[]; say?: { text: string; language?: Language } }, ctx: NodeContext): PlayItem[] {
  const items: PlayItem[] = [];
  for (const id of [...(n.prompt ? [n.prompt] : []), ...(n.prompts ?? [])]) items.push(...ctx.prompt(id));
  if (n.say) items.push({ kind: 'tts', text: ctx.render(n.say.text), language: n.say.language ?? (ctx.state.vars.language as Language | undefined) ?? ctx.flow.language });
  return items;
}

export const playSchemaFields = {
  prompt: promptRef,
  prompts: { type: 'array', items: promptRef, minItems: 1 },
  say: {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    description: 'text-to-speech; `{var}` is replaced by a flow variable',
    properties: { text: { type: 'string', minLength: 1 }, language: { enum: ['zh', 'en'] } },
  },
} as const;

export default defineNode<PlayNode>({
  type: 'play',
  description: 'Say a prompt (recorded file) or text-to-speech, then go on.',
  schema: { type: 'object', additionalProperties: false, required: ['type', 'next'], properties: { type: { const: 'play' }, ...playSchemaFields, next: nodeRef, bargeIn: bargeInField } },
  waits: true,
  transitions: (n) => [{ path: ['next'], target: n.next }],
  prompts: (n) => [...(n.prompt ? [{ path: ['prompt'], id: n.prompt }] : []), ...(n.prompts ?? []).map((id, i) => ({ path: ['prompts', i], id }))],
  lint: (n) => (n.prompt || n.prompts || n.say ? [] : [{ path: [], severity: 'error', rule: 'schema', message: 'needs one of the fields "prompt", "prompts" or "say"' }]),
  enter,
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    if (e.type === 'prompt-finished' || e.type === 'no-input') return { commands: [], next: n.next };
    if (e.type === 'digits') return { commands: [], next: n.next, typeAhead: e.digits };
    return undefined;
  },
});
