import type { Path } from '../source.js';
import type { CallState, Command, DigitSpec, Disposition, Flow, FlowEvent, FlowNode, PlayItem, ReturningChoice, Saved } from '../spec.js';

/** What a node type sees when it runs: the call's flow revision, its state, the time, and small helpers. */
export interface NodeContext {
  readonly flow: Flow;
  readonly state: Readonly<CallState>;
  readonly now: number;
  /** The items that say prompt `id` in the call's language. */
  prompt(id: string): PlayItem[];
  /** A fresh ref for a command whose answer the node will wait for. */
  ref(): number;
  /** `{caller}`, `{called}`, `{callId}` and `{var}` substituted. */
  render(template: string): string;
}

/** A node's answer: commands to run now and where the call goes. */
export interface Step {
  commands: Command[];
  /** Leave this node for `next`. */
  next?: string;
  /** Replace the node-local state. */
  local?: Record<string, unknown>;
  /** The ref the node now waits for (set when it issued a command that answers). */
  awaiting?: number;
  vars?: Record<string, string>;
  /** Say `items` (if any) and release the call with this disposition. */
  end?: { disposition: Disposition; items?: PlayItem[] };
  inQueue?: boolean;
  answeredByAgent?: boolean;
  /** Digits typed ahead during this node's prompt, handed to the node it goes to (`next`). */
  typeAhead?: string;
  /** Prompts handed on to be said first by the menu or collect this play leads to (CallState.leadIn). */
  leadIn?: PlayItem[];
  /** A returning caller's choice, kept for the nodes after (queue: hold; callback: preferred agent). */
  returning?: ReturningChoice;
}

export interface LintFinding {
  /** Relative to the node. */
  path: Path;
  severity: 'error' | 'warning';
  rule: string;
  message: string;
  /** Report at the key rather than the value. */
  key?: boolean;
}

/** What the validator knows besides the node, for cross-checks (queues, other flows). */
export interface LintContext {
  queueIds: ReadonlySet<string>;
  flowIds: ReadonlySet<string>;
  calendarIds: ReadonlySet<string>;
  flowCalendar: string | undefined;
  /** The type of another node of the same flow (undefined: no such node), for checks of where a transition leads. */
  nodeType(id: string): string | undefined;
}

/**
 * One module per node type (DESIGN.md §2 rule 5): its schema, its graph facts for the validator and its
 * behaviour for the interpreter.
 */
export interface NodeType<N extends FlowNode = FlowNode> {
  readonly type: string;
  readonly description: string;
  /** JSON Schema of the node's fields (`type` included). */
  readonly schema: Record<string, unknown>;
  /**
   * Whether entering the node always waits for the caller or the network (prompt, digits, queue). A loop through
   * only non-waiting nodes would spin the interpreter, so the validator refuses it.
   */
  readonly waits: boolean;
  transitions(node: N): { path: Path; target: string }[];
  prompts(node: N): { path: Path; id: string }[];
  lint?(node: N, ctx: LintContext): LintFinding[];
  enter(node: N, ctx: NodeContext): Step;
  /** Undefined: the event means nothing to this node and is ignored. */
  on(node: N, event: FlowEvent, ctx: NodeContext): Step | undefined;
}

export function defineNode<N extends FlowNode>(t: NodeType<N>): NodeType {
  return t;
}

export const promptRef = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'prompt id (prompts/<language>/<id>.wav)' } as const;
export const nodeRef = { type: 'string', minLength: 1, description: 'id of the next node' } as const;

/** Collect digits after saying `items`; the node then waits for `digits` / `no-input`. */
export function ask(ctx: NodeContext, items: PlayItem[], digits: DigitSpec, local: object): Step {
  const ref = ctx.ref();
  return { commands: [{ type: 'collect', ref, items: afterLeadIn(ctx, items), digits }], awaiting: ref, local: local as Record<string, unknown> };
}

/**
 * `items` after the prompts of the plays that led here (CallState.leadIn), which are said first. The state holds
 * them only while the node they lead to is being entered, so a re-prompt says its own items alone.
 */
export function afterLeadIn(ctx: NodeContext, items: PlayItem[]): PlayItem[] {
  return ctx.state.leadIn ? [...ctx.state.leadIn, ...items] : items;
}

export function say(ctx: NodeContext, items: PlayItem[], local: object): Step {
  const ref = ctx.ref();
  return { commands: [{ type: 'play', ref, items }], awaiting: ref, local: local as Record<string, unknown> };
}

export function digitSpec(ctx: NodeContext, min: number, max: number, terminator?: string, interSec = 3, bargeIn = true): DigitSpec {
  return {
    min,
    max,
    ...(terminator ? { terminator } : {}),
    firstDigitTimeoutMs: ctx.flow.silence.timeoutSec * 1000,
    interDigitTimeoutMs: interSec * 1000,
    ...(bargeIn ? {} : { bargeIn: false }),
  };
}

/** The schema of the per-node short re-prompt on no input (menu, collect). */
export const noInputPromptField = {
  ...promptRef,
  description:
    "said instead of the whole question again when the caller pressed nothing (the standard's short \"you are connected, please speak\"), so a silent caller is released in about 20 s",
} as const;

/** The schema of the per-node barge-in switch (play, menu, collect). */
export const bargeInField = {
  type: 'boolean',
  description: 'barge-in: digits pressed while the prompt plays stop it and count (default true); false plays the prompt to the end and drops them',
} as const;

/**
 * Type-ahead digits a menu or collect should take on entry instead of asking: those the caller pressed during the
 * play before it, unless this node switched barge-in off.
 */
export function typedAhead(ctx: NodeContext, bargeIn: boolean | undefined): string | undefined {
  const d = ctx.state.typeAhead;
  return bargeIn !== false && d ? d : undefined;
}

export function isNoInput(e: FlowEvent): boolean {
  return e.type === 'no-input' || e.type === 'caller-silent';
}

/**
 * The standard's silent-call script on the IVR side: the question is said again `repeats` times after
 * `timeoutSec` of nothing, then the goodbye and release with disposition `silent`.
 */
export function onSilence(ctx: NodeContext, silentSoFar: number, repeats: number | undefined, again: () => Step): Step {
  if (silentSoFar < (repeats ?? ctx.flow.silence.repeats)) return again();
  return { commands: [], end: { disposition: 'silent', items: ctx.prompt(ctx.flow.silence.goodbye) } };
}

export function save(data: Saved): Command {
  return { type: 'save', data };
}

export function num(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}
