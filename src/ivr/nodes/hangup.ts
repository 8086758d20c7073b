import { DISPOSITIONS, type Disposition, type FlowNode } from '../spec.js';
import { defineNode, promptRef } from './types.js';

interface HangupNode extends FlowNode {
  prompt?: string;
  disposition: Disposition;
}

export default defineNode<HangupNode>({
  type: 'hangup',
  description: 'Say an optional last prompt (e.g. goodbye) and release the call with a disposition.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'disposition'],
    properties: { type: { const: 'hangup' }, prompt: promptRef, disposition: { enum: [...DISPOSITIONS] } },
  },
  waits: true,
  transitions: () => [],
  prompts: (n) => (n.prompt ? [{ path: ['prompt'], id: n.prompt }] : []),
  enter: (n, ctx) => ({ commands: [], end: { disposition: n.disposition, ...(n.prompt ? { items: ctx.prompt(n.prompt) } : {}) } }),
  on: () => undefined,
});
