import type { FlowNode } from '../spec.js';
import { defineNode, nodeRef } from './types.js';

interface GotoNode extends FlowNode {
  next: string;
}

export default defineNode<GotoNode>({
  type: 'goto',
  description: 'Jump to another node (e.g. back to the main menu).',
  schema: { type: 'object', additionalProperties: false, required: ['type', 'next'], properties: { type: { const: 'goto' }, next: nodeRef } },
  waits: false,
  transitions: (n) => [{ path: ['next'], target: n.next }],
  prompts: () => [],
  enter: (n) => ({ commands: [], next: n.next }),
  on: () => undefined,
});
