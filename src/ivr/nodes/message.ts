import type { FlowNode } from '../spec.js';
import { defineNode, nodeRef, promptRef, save } from './types.js';

interface MessageNode extends FlowNode {
  prompt?: string;
  maxSec: number;
  /** Where the recording goes, relative to the recordings directory; `{callId}` etc. substituted. */
  file?: string;
  next: string;
}

export default defineNode<MessageNode>({
  type: 'message',
  description: 'Leave a message: record the caller to a file, up to a maximum length.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'maxSec', 'next'],
    properties: {
      type: { const: 'message' },
      prompt: promptRef,
      maxSec: { type: 'integer', minimum: 5, maximum: 600 },
      file: { type: 'string', pattern: '^[^/.][^\\\\]*\\.wav$', description: 'relative path ending in .wav' },
      next: nodeRef,
    },
  },
  waits: true,
  transitions: (n) => [{ path: ['next'], target: n.next }],
  prompts: (n) => [{ path: n.prompt ? ['prompt'] : [], id: n.prompt ?? 'leave-message' }],
  lint: (n) => (n.file?.includes('..') ? [{ path: ['file'], severity: 'error', rule: 'schema', message: 'must not leave the recordings directory ("..")' }] : []),
  enter: (n, ctx) => {
    const ref = ctx.ref();
    return {
      commands: [{ type: 'record', ref, items: ctx.prompt(n.prompt ?? 'leave-message'), file: ctx.render(n.file ?? 'messages/{callId}.wav'), maxSec: n.maxSec }],
      awaiting: ref,
      local: {},
    };
  },
  on: (n, e, ctx) => {
    if (e.type !== 'recorded' || e.ref !== ctx.state.awaiting) return undefined;
    return { commands: [save({ kind: 'message', file: e.file, durationSec: e.durationSec, flowId: ctx.flow.id })], vars: { messageFile: e.file }, next: n.next };
  },
});
