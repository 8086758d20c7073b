import type { FlowNode } from '../spec.js';
import { defineNode, nodeRef } from './types.js';

interface SetNode extends FlowNode {
  variables: Record<string, string>;
  next: string;
}

export default defineNode<SetNode>({
  type: 'set',
  description: 'Set flow variables (`{caller}`, `{var}` substituted); `language` switches the prompts language.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'variables', 'next'],
    properties: {
      type: { const: 'set' },
      variables: { type: 'object', minProperties: 1, propertyNames: { pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }, additionalProperties: { type: ['string', 'number', 'boolean'] } },
      next: nodeRef,
    },
  },
  waits: false,
  transitions: (n) => [{ path: ['next'], target: n.next }],
  prompts: () => [],
  lint: (n) =>
    n.variables.language !== undefined && !['zh', 'en'].includes(String(n.variables.language))
      ? [{ path: ['variables', 'language'], severity: 'error', rule: 'schema', message: 'language must be one of: zh, en' }]
      : [],
  enter: (n, ctx) => ({
    commands: Object.entries(n.variables).map(([name, v]) => ({ type: 'save' as const, data: { kind: 'variable' as const, name, value: ctx.render(String(v)) } })),
    vars: Object.fromEntries(Object.entries(n.variables).map(([k, v]) => [k, ctx.render(String(v))])),
    next: n.next,
  }),
  on: () => undefined,
});
