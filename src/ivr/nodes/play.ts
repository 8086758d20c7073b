import type { FlowNode, Language, PlayItem } from '../spec.js';
import { defineNode, nodeRef, promptRef, say, type NodeContext } from './types.js';

interface PlayNode extends FlowNode {
  prompt?: string;
  prompts?: string[];
  say?: { text: string; language?: Language };
  next: string;
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
  schema: { type: 'object', additionalProperties: false, required: ['type', 'next'], properties: { type: { const: 'play' }, ...playSchemaFields, next: nodeRef } },
  waits: true,
  transitions: (n) => [{ path: ['next'], target: n.next }],
  prompts: (n) => [...(n.prompt ? [{ path: ['prompt'], id: n.prompt }] : []), ...(n.prompts ?? []).map((id, i) => ({ path: ['prompts', i], id }))],
  lint: (n) => (n.prompt || n.prompts || n.say ? [] : [{ path: [], severity: 'error', rule: 'schema', message: 'needs one of the fields "prompt", "prompts" or "say"' }]),
  enter: (n, ctx) => say(ctx, playItems(n, ctx), {}),
  on: (n, e, ctx) => (e.type === 'prompt-finished' && e.ref === ctx.state.awaiting ? { commands: [], next: n.next } : undefined),
});
