import type { FlowNode } from '../spec.js';
import { defineNode, nodeRef, promptRef, say, type LintFinding } from './types.js';

interface TransferNode extends FlowNode {
  /** A number (or SIP URI) to transfer to ... */
  to?: string;
  /** ... or another flow, which the call continues in. */
  flow?: string;
  prompt?: string;
  failedPrompt?: string;
  onFail?: string;
}

interface Local { phase: 'announce' | 'transfer' | 'failed' }

export default defineNode<TransferNode>({
  type: 'transfer',
  description: "Transfer to a number (\"我帮您转接…,请不要挂机\"; on failure the standard's apology) or continue in another flow.",
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: 'transfer' },
      to: { type: 'string', pattern: '^(\\+?[0-9*#]{2,32}|sips?:.+)$' },
      flow: { type: 'string' },
      prompt: promptRef,
      failedPrompt: promptRef,
      onFail: nodeRef,
    },
  },
  waits: true,
  transitions: (n) => (n.onFail ? [{ path: ['onFail'], target: n.onFail }] : []),
  prompts: (n) =>
    n.flow !== undefined
      ? []
      : [
          { path: n.prompt ? ['prompt'] : [], id: n.prompt ?? 'transfer' },
          { path: n.failedPrompt ? ['failedPrompt'] : [], id: n.failedPrompt ?? 'transfer-failed' },
          ...(n.onFail ? [] : [{ path: [], id: 'goodbye' }]),
        ],
  lint: (n, ctx) => {
    const out: LintFinding[] = [];
    if ((n.to === undefined) === (n.flow === undefined)) out.push({ path: [], severity: 'error', rule: 'schema', message: 'needs exactly one of the fields "to" or "flow"' });
    if (n.flow !== undefined && !ctx.flowIds.has(n.flow)) out.push({ path: ['flow'], severity: 'error', rule: 'missing-flow', message: `transfer to missing flow "${n.flow}"` });
    return out;
  },
  enter: (n, ctx) => {
    if (n.flow !== undefined) return { commands: [{ type: 'switch-flow', flowId: n.flow }], local: {} };
    return say(ctx, ctx.prompt(n.prompt ?? 'transfer'), { phase: 'announce' });
  },
  on: (n, e, ctx) => {
    if (!('ref' in e) || e.ref !== ctx.state.awaiting) return undefined;
    const local = ctx.state.local as unknown as Local;
    if (local.phase === 'announce' && e.type === 'prompt-finished') {
      const ref = ctx.ref();
      return { commands: [{ type: 'transfer', ref, to: n.to! }], awaiting: ref, local: { phase: 'transfer' } };
    }
    if (local.phase === 'transfer' && e.type === 'transfer-result') {
      if (e.ok) return { commands: [], end: { disposition: 'transferred' } };
      return say(ctx, ctx.prompt(n.failedPrompt ?? 'transfer-failed'), { phase: 'failed' });
    }
    if (local.phase === 'failed' && e.type === 'prompt-finished') {
      if (n.onFail) return { commands: [], next: n.onFail };
      return { commands: [], end: { disposition: 'no-agents', items: ctx.prompt('goodbye') } };
    }
    return undefined;
  },
});
