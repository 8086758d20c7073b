import { NODE_TYPES } from './nodes/index.js';
import type { Flow, FlowNode } from './spec.js';

/**
 * The silent caller's budget (hotline standard §2: the question, 5 s, said once more, 5 s, goodbye, release). For
 * every way a caller who never presses a key can go from the start node, this adds up what they hear and wait: the
 * plays on the way, the question, then the silence script of the menu or collect that asks it. A script longer
 * than `limitMs` after the question is warned as `silence-too-long` (the issue this closes: 41–58 s of a silent
 * caller on the line). Prompt lengths come from the caller (the WAV files), so this stays pure.
 */
export const SILENT_SCRIPT_LIMIT_MS = 21_000;

export interface SilencePath {
  /** Nodes from the start to the asking node. */
  nodes: string[];
  /** From answer to the end of the question, ms. */
  questionEndsMs: number;
  /** From the end of the question to the release, ms. */
  scriptMs: number;
}

export interface SilenceFinding {
  node: string;
  severity: 'warning';
  rule: 'silence-too-long';
  message: string;
  path: SilencePath;
}

/** Length of prompt `id` in the flow's language, ms (undefined when unknown: counted as 0). */
export type PromptLength = (id: string) => number | undefined;

// returning asks only callers an agent served recently; the others go on without waiting for a key.
const ASKING = new Set(['menu', 'collect', 'returning']);
const MAX_PATHS = 1000;

export function silentPaths(flow: Flow, promptMs: PromptLength): SilencePath[] {
  const len = (id: unknown): number => (typeof id === 'string' ? (promptMs(id) ?? 0) : 0);
  const out: SilencePath[] = [];
  const walk = (id: string, nodes: string[], elapsed: number): void => {
    if (out.length >= MAX_PATHS || nodes.includes(id)) return;
    const node: FlowNode | undefined = flow.nodes[id];
    const type = node ? NODE_TYPES.get(node.type) : undefined;
    if (!node || !type) return;
    const here = [...nodes, id];
    if (ASKING.has(node.type)) {
      const timeout = flow.silence.timeoutSec * 1000;
      const repeats = typeof node.noInputRepeats === 'number' ? node.noInputRepeats : flow.silence.repeats;
      const reprompt = len(node.noInputPrompt ?? node.prompt);
      out.push({ nodes: here, questionEndsMs: elapsed + len(node.prompt), scriptMs: repeats * (timeout + reprompt) + timeout + len(flow.silence.goodbye) });
      return;
    }
    if (node.type === 'play') {
      const ids = [...(typeof node.prompt === 'string' ? [node.prompt] : []), ...(Array.isArray(node.prompts) ? (node.prompts as unknown[]) : [])];
      if (typeof node.next === 'string') walk(node.next, here, elapsed + ids.reduce((ms: number, p) => ms + len(p), 0));
      return;
    }
    // Nodes that do not wait for the caller (branch, set, goto) lead on by every transition; others end the walk.
    if (type.waits) return;
    for (const t of type.transitions(node)) walk(t.target, here, elapsed);
  };
  walk(flow.start, [], 0);
  return out;
}

export function silenceFindings(flow: Flow, promptMs: PromptLength, limitMs = SILENT_SCRIPT_LIMIT_MS): SilenceFinding[] {
  const seen = new Set<string>();
  const out: SilenceFinding[] = [];
  for (const p of silentPaths(flow, promptMs)) {
    const node = p.nodes.at(-1)!;
    if (p.scriptMs <= limitMs || seen.has(node)) continue;
    seen.add(node);
    out.push({
      node,
      severity: 'warning',
      rule: 'silence-too-long',
      path: p,
      message: `a caller who presses nothing stays ${(p.scriptMs / 1000).toFixed(1)} s after the question before release (${((p.questionEndsMs + p.scriptMs) / 1000).toFixed(1)} s from answer); the standard's script takes about ${limitMs / 1000} s: set noInputPrompt to a short prompt (silent-1) or fewer noInputRepeats`,
    });
  }
  return out;
}
