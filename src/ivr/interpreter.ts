import { NODE_TYPES } from './nodes/index.js';
import type { NodeContext, Step } from './nodes/types.js';
import type { CallState, Command, Disposition, Flow, FlowEvent, Language, PlayItem } from './spec.js';

/**
 * The IVR interpreter: a pure step function (flow, state, event, now) → (state, commands). It never touches a
 * call; the runner (runner.ts) carries its commands out on a channel port and feeds the answers back as events.
 * Being pure, every scripted test is exact and a call can be replayed from its events.
 */
export interface StepResult {
  state: CallState;
  commands: Command[];
}

/** Non-waiting nodes in a row before the interpreter gives up; the validator refuses such loops already. */
const MAX_HOPS = 64;
const ENDING = '__ending';

export function initialState(flow: Flow, call: { callId: string; caller: string; called: string; vars?: Record<string, string> }): CallState {
  return {
    flowId: flow.id,
    revision: flow.revision,
    callId: call.callId,
    caller: call.caller,
    called: call.called,
    node: flow.start,
    local: {},
    vars: { ...(call.vars ?? {}) },
    awaiting: undefined,
    nextRef: 1,
    inQueue: false,
    answeredByAgent: false,
    trail: [],
    ended: undefined,
  };
}

export function promptItems(flow: Flow, id: string, language: Language): PlayItem[] {
  const def = flow.prompts.get(id);
  const lang = def?.text[language] !== undefined ? language : flow.language;
  return [{ kind: 'prompt', id, language: lang, file: `${flow.promptDir}/${lang}/${id}.wav`, text: def?.text[lang] ?? id }];
}

export function render(template: string, s: Pick<CallState, 'vars' | 'caller' | 'called' | 'callId'>): string {
  return template.replace(/\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g, (whole, name: string) => {
    if (name === 'caller') return s.caller;
    if (name === 'called') return s.called;
    if (name === 'callId') return s.callId;
    return s.vars[name] ?? whole;
  });
}

function context(flow: Flow, s: CallState, now: number): NodeContext {
  return {
    flow,
    get state() {
      return s;
    },
    now,
    prompt: (id) => promptItems(flow, id, (s.vars.language as Language | undefined) ?? flow.language),
    ref: () => s.nextRef++,
    render: (t) => render(t, s),
  };
}

function finish(s: CallState, commands: Command[], disposition: Disposition): void {
  if (s.inQueue) commands.push({ type: 'dequeue' });
  s.inQueue = false;
  s.ended = disposition;
  s.awaiting = undefined;
  commands.push({ type: 'hangup', disposition });
}

function apply(flow: Flow, s: CallState, step: Step, commands: Command[], now: number, hops: number): void {
  commands.push(...step.commands);
  if (step.vars) s.vars = { ...s.vars, ...step.vars };
  if (step.local) s.local = step.local;
  if ('awaiting' in step) s.awaiting = step.awaiting;
  if (step.inQueue !== undefined) s.inQueue = step.inQueue;
  if (step.answeredByAgent !== undefined) s.answeredByAgent = step.answeredByAgent;
  if (step.typeAhead !== undefined) s.typeAhead = step.typeAhead;
  if (step.leadIn !== undefined) s.leadIn = step.leadIn;
  if (step.returning !== undefined) s.returning = step.returning;
  if (step.end) {
    const items = step.end.items ?? [];
    if (items.length === 0) return finish(s, commands, step.end.disposition);
    const ref = s.nextRef++;
    commands.push({ type: 'play', ref, items });
    s.local = { [ENDING]: step.end.disposition };
    s.awaiting = ref;
    return;
  }
  if (step.next === undefined) return;
  const node = flow.nodes[step.next];
  const type = node ? NODE_TYPES.get(node.type) : undefined;
  if (!node || !type || hops >= MAX_HOPS) return finish(s, commands, 'error');
  s.node = step.next;
  s.trail = [...s.trail, step.next];
  s.local = {};
  s.awaiting = undefined;
  const entered = type.enter(node, context(flow, s, now));
  // Type-ahead and lead-in prompts are for the first node that waits for the caller: it has used them on entry.
  if (type.waits) {
    delete s.typeAhead;
    delete s.leadIn;
  }
  apply(flow, s, entered, commands, now, hops + 1);
}

export function step(flow: Flow, state: CallState, event: FlowEvent, now: number): StepResult {
  if (state.ended) return { state, commands: [] };
  const s: CallState = { ...state };
  const commands: Command[] = [];
  if (event.type === 'start') {
    commands.push({ type: 'answer' });
    apply(flow, s, { commands: [], next: flow.start }, commands, now, 0);
    return { state: s, commands };
  }
  if (event.type === 'caller-hangup') {
    const disposition: Disposition = s.inQueue ? 'abandoned' : s.answeredByAgent ? 'completed' : (s.local[ENDING] as Disposition | undefined) ?? 'caller-hangup';
    if (s.inQueue) commands.push({ type: 'dequeue' });
    s.inQueue = false;
    s.ended = disposition;
    s.awaiting = undefined;
    return { state: s, commands };
  }
  if (event.type === 'channel-error') {
    finish(s, commands, 'error');
    return { state: s, commands };
  }
  const ending = s.local[ENDING] as Disposition | undefined;
  if (ending !== undefined) {
    if (event.type === 'prompt-finished' && event.ref === s.awaiting) finish(s, commands, ending);
    return { state: s, commands };
  }
  const node = flow.nodes[s.node];
  const type = node ? NODE_TYPES.get(node.type) : undefined;
  if (!node || !type) {
    finish(s, commands, 'error');
    return { state: s, commands };
  }
  const out = type.on(node, event, context(flow, s, now));
  if (!out) return { state, commands: [] };
  apply(flow, s, out, commands, now, 0);
  return { state: s, commands };
}
