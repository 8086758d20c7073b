import type { QueueDefinition } from '../acd/model.js';
import type { Calendar } from './calendar.js';

/**
 * The flow spec: what a validated flow looks like in memory, the commands the interpreter gives and the events it
 * takes. `FLOW_SPEC_VERSION` is written in every flow file so later changes can migrate old files (migrate.ts).
 */
export const FLOW_SPEC_VERSION = 1;

export type Language = 'zh' | 'en';
export const LANGUAGES: readonly Language[] = ['zh', 'en'];

/** Text of a prompt per language, with the English translation beside the Mandarin (the standard's wording). */
export interface PromptDef {
  id: string;
  text: Partial<Record<Language, string>>;
}

/** A node as written in the file; each node type narrows it (src/ivr/nodes). */
export interface FlowNode {
  type: string;
  [field: string]: unknown;
}

export interface SilencePolicy {
  /** Seconds of no input before the prompt is said again (the standard: 5). */
  timeoutSec: number;
  /** How many times the prompt is repeated before the goodbye (the standard: once). */
  repeats: number;
  goodbye: string;
}

/** A validated flow, self-contained: a call holds this object for its whole life (its revision). */
export interface Flow {
  id: string;
  file: string;
  /** Increases on every accepted change of the file; a call keeps the revision it started with. */
  revision: number;
  version: number;
  name: string;
  numbers: string[];
  language: Language;
  /** Every language the flow's prompts must exist in. */
  languages: Language[];
  /** Directory holding `<language>/<prompt id>.wav`, as the media server should see it. */
  promptDir: string;
  calendar: Calendar | undefined;
  calendars: ReadonlyMap<string, Calendar>;
  queues: ReadonlyMap<string, QueueDefinition>;
  silence: SilencePolicy;
  prompts: ReadonlyMap<string, PromptDef>;
  start: string;
  nodes: Readonly<Record<string, FlowNode>>;
}

/** One thing to say: a prompt file (with its text, for logs and TTS fallback), synthesised text, or a number. */
export type PlayItem =
  | { kind: 'prompt'; id: string; language: Language; file: string; text: string }
  | { kind: 'tts'; text: string; language: Language }
  | { kind: 'number'; value: number; language: Language };

export interface DigitSpec {
  min: number;
  max: number;
  /** Ends entry early; not part of the digits. */
  terminator?: string;
  /** Wait for the first digit after the prompts; 0 = do not wait (a play that only keeps type-ahead). */
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
  /**
   * Barge-in: digits pressed while the prompts play stop them and count (default). `false`: the prompts play to
   * the end and digits pressed meanwhile are dropped; only digits after them count.
   */
  bargeIn?: boolean;
}

export type Disposition =
  | 'completed'
  | 'silent'
  | 'abandoned'
  | 'caller-hangup'
  | 'transferred'
  | 'after-hours'
  | 'callback'
  | 'message'
  | 'no-match'
  | 'no-agents'
  | 'error';

export const DISPOSITIONS: readonly Disposition[] = ['completed', 'silent', 'abandoned', 'caller-hangup', 'transferred', 'after-hours', 'callback', 'message', 'no-match', 'no-agents', 'error'];

export interface EnqueueRequest {
  queueId: string | undefined;
  skills: { skill: string; minLevel: number }[];
  priority: number;
  /** Prompt played in a loop while waiting. */
  music: PlayItem[];
  /**
   * A returning caller's choice (the `returning` node): held for the agent who served them for `sec` seconds, or
   * `'none'`: the next agent, never held by the queue's sticky rule. Absent: the queue's own rule.
   */
  hold?: { agentId: string; sec: number } | 'none';
}

/** What a returning caller chose at the `returning` node; the queue and callback nodes after it act on it. */
export interface ReturningChoice {
  /** The agent who served them last. */
  agentId: string;
  choice: 'same' | 'next' | 'callback';
  /** How long a `same` caller is held for that agent before anyone may answer. */
  holdSec: number;
  /** Said when the hold ends without that agent (no prompt: nothing is said). */
  fallbackPrompt?: string;
}

/** Who served a caller last, as the IVR is told (the ACD's last-agent record in Redis, never PostgreSQL). */
export interface LastServedInfo {
  agentId: string;
  /** When that call ended (epoch ms). */
  at: number;
  /** Logged in with a reachable seat now. */
  active: boolean;
}

/** What data a call leaves behind for the call record (the telephony side stores it). */
export type Saved =
  | { kind: 'survey'; rating: number; flowId: string }
  | { kind: 'callback'; number: string; reason: string; flowId: string; preferredAgentId?: string }
  | { kind: 'message'; file: string; durationSec: number; flowId: string }
  | { kind: 'variable'; name: string; value: string };

/** Commands that expect an answer carry a `ref`; the answering event carries it back, so stale answers are dropped. */
export type Command =
  | { type: 'answer' }
  | { type: 'play'; ref: number; items: PlayItem[] }
  | { type: 'collect'; ref: number; items: PlayItem[]; digits: DigitSpec }
  | { type: 'record'; ref: number; items: PlayItem[]; file: string; maxSec: number }
  | { type: 'enqueue'; request: EnqueueRequest }
  | { type: 'dequeue' }
  | { type: 'queue-status'; ref: number }
  /** Who served this caller last (answered by the `returning` event). */
  | { type: 'last-served'; ref: number }
  | { type: 'set-timer'; name: string; ms: number }
  | { type: 'cancel-timer'; name: string }
  | { type: 'transfer'; ref: number; to: string }
  | { type: 'switch-flow'; flowId: string }
  | { type: 'save'; data: Saved }
  | { type: 'hangup'; disposition: Disposition };

export type QueueOutcome = 'answered' | 'agent-ended' | 'timeout' | 'no-agents' | 'overflow';

export type FlowEvent =
  | { type: 'start' }
  | { type: 'prompt-finished'; ref: number }
  | { type: 'digits'; ref: number; digits: string }
  | { type: 'no-input'; ref: number }
  /** Voice-activity detection found nothing: treated like no input. */
  | { type: 'caller-silent'; ref: number }
  | { type: 'recorded'; ref: number; file: string; durationSec: number }
  | { type: 'transfer-result'; ref: number; ok: boolean }
  | { type: 'queue-status'; ref: number; position: number; expectedWaitSec: number | undefined }
  | { type: 'queue'; outcome: QueueOutcome }
  /** The answer to `last-served`: undefined when no agent served this number (or the look-up failed). */
  | { type: 'last-served'; ref: number; last: LastServedInfo | undefined }
  | { type: 'timer'; name: string }
  | { type: 'caller-hangup' }
  /** The channel failed (media server error): the call is released with disposition `error`. */
  | { type: 'channel-error'; message: string };

/** The interpreter's whole knowledge of one call: plain data, so it can be logged, stored and replayed. */
export interface CallState {
  flowId: string;
  revision: number;
  callId: string;
  caller: string;
  called: string;
  node: string;
  /** Node-local progress (attempt counters, the phase a multi-step node is in). */
  local: Record<string, unknown>;
  vars: Record<string, string>;
  /** The ref of the one answer the interpreter waits for, if any. */
  awaiting: number | undefined;
  nextRef: number;
  inQueue: boolean;
  answeredByAgent: boolean;
  /** Nodes entered, in order: for call records and tests. */
  trail: string[];
  /**
   * Digits the caller typed ahead during a prompt (barge-in on a `play`), kept for the next node that waits for
   * the caller (the menu or collect it leads to); dropped when that node has been entered.
   */
  typeAhead?: string;
  /**
   * Prompts of the `play` nodes just passed, to be said first in the question of the menu or collect they lead to (the
   * node that waits for the caller takes them on entry; dropped once it is entered): one playback with digit
   * collection for the greeting and the menu, where FreeSWITCH would otherwise be driven twice (docs/capacity.md).
   */
  leadIn?: PlayItem[];
  /** A returning caller's choice, for the queue and callback nodes after the `returning` node. */
  returning?: ReturningChoice;
  ended: Disposition | undefined;
}
