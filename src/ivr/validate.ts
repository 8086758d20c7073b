import type { QueueDefinition } from '../acd/model.js';
import { calendarSchema, compileCalendar, type Calendar } from './calendar.js';
import { sortIssues, type Issue } from './issues.js';
import { migrate } from './migrate.js';
import { NODE_TYPES } from './nodes/index.js';
import type { LintContext } from './nodes/types.js';
import { compileQueues, queuesSchema } from './queues.js';
import { checkSchema, fieldName } from './schema-check.js';
import { flowSchema, promptCatalogSchema } from './schema.js';
import { silenceFindings } from './silence-budget.js';
import { SourceFile, type Path } from './source.js';
import { type Flow, type FlowNode, type Language, type PromptDef } from './spec.js';

/**
 * Validates a whole flows directory at once (flows, queues.yaml, calendars, the shared prompt catalogue, prompt
 * audio files), because several rules cross files: numbers answered twice, queues, calendars, transfers to flows.
 * Pure: the caller reads the files (load.ts) and passes their text and the list of prompt files.
 */
export interface TextFile {
  /** As shown in messages (relative to where the admin runs the command). */
  file: string;
  text: string;
}

export interface ProjectSources {
  flows: TextFile[];
  queues?: TextFile | undefined;
  calendars: TextFile[];
  /** `prompts/prompts.yaml`: standard scripts shared by every flow and by the telephony side. */
  promptCatalog?: TextFile | undefined;
  /** Prompt audio present, as `<language>/<id>.wav`. */
  promptFiles: ReadonlySet<string>;
  /** Their lengths in ms where the reader could tell (WAV header), for the silent caller's budget. */
  promptMs?: ReadonlyMap<string, number> | undefined;
  /** How the media server reaches the prompt directory. */
  promptDir: string;
  /** Used when the queues file is absent or broken (keep-last-good). */
  fallbackQueues?: QueueDefinition[] | undefined;
  /** Entries the reader skipped or could not read (load.ts), reported under their own file. */
  skipped?: Issue[] | undefined;
}

/** A flow is a menu tree of tens of nodes; this bounds what one flow can cost the validator and the admin API. */
export const MAX_FLOW_NODES = 2_000;

/** Appends without spreading: `push(...list)` passes every element as an argument and overflows the stack on large lists. */
function append(to: Issue[], from: readonly Issue[]): void {
  for (const i of from) to.push(i);
}

export interface ProjectResult {
  /** Valid flows by file (revision 0: the registry numbers revisions). */
  flows: Map<string, Flow>;
  /** Issues by file, every file present (empty list = clean). */
  issues: Map<string, Issue[]>;
  queues: QueueDefinition[] | undefined;
  calendars: Map<string, Calendar>;
  catalog: Map<string, PromptDef>;
}

interface RawFlow {
  version: number;
  id: string;
  name?: string;
  numbers: string[];
  calendar?: string;
  language?: Language;
  languages?: Language[];
  silence?: { timeoutSec?: number; repeats?: number; goodbye?: string };
  prompts?: Record<string, Partial<Record<Language, string>>>;
  start: string;
  nodes: Record<string, FlowNode>;
}

function parsed(f: TextFile, issues: Issue[]): SourceFile | undefined {
  const src = new SourceFile(f.file, f.text);
  append(issues, src.parseIssues);
  if (src.parseIssues.length > 0) return undefined;
  if (!src.data || typeof src.data !== 'object' || Array.isArray(src.data)) {
    issues.push(src.issue([], 'error', 'schema', 'the file must hold a mapping (key: value) at the top'));
    return undefined;
  }
  return src;
}

function countNodes(doc: Record<string, unknown>): number {
  const nodes = doc.nodes;
  return nodes && typeof nodes === 'object' && !Array.isArray(nodes) ? Object.keys(nodes).length : 0;
}

function promptDefs(raw: Record<string, Partial<Record<Language, string>>> | undefined): Map<string, PromptDef> {
  return new Map(Object.entries(raw ?? {}).map(([id, text]) => [id, { id, text }]));
}

/** Tarjan's strongly connected components over the nodes that never wait for the caller. */
function spinLoops(order: string[], edges: Map<string, { path: Path; target: string }[]>, spins: Set<string>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const rank = new Map(order.map((id, n) => [id, n]));
  let i = 0;
  const visit = (v: string): void => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    on.add(v);
    for (const { target: w } of edges.get(v) ?? []) {
      if (!spins.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (edges.get(v) ?? []).some((e) => e.target === v);
      if (comp.length > 1 || selfLoop) out.push(comp.sort((a, b) => rank.get(a)! - rank.get(b)!));
    }
  };
  for (const v of order) if (spins.has(v) && !index.has(v)) visit(v);
  return out;
}

/** A path first → … → first inside one loop, for the message. */
function cycleThrough(first: string, comp: Set<string>, edges: Map<string, { path: Path; target: string }[]>): { names: string[]; via: Path } {
  const prev = new Map<string, { from: string; via: Path }>();
  const queue: string[] = [];
  for (const e of edges.get(first) ?? []) {
    if (!comp.has(e.target)) continue;
    if (e.target === first) return { names: [first, first], via: e.path };
    if (!prev.has(e.target)) {
      prev.set(e.target, { from: first, via: e.path });
      queue.push(e.target);
    }
  }
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const e of edges.get(v) ?? []) {
      if (!comp.has(e.target)) continue;
      if (e.target === first) {
        const names = [v];
        let cur = v;
        while (prev.get(cur)!.from !== first) {
          cur = prev.get(cur)!.from;
          names.unshift(cur);
        }
        return { names: [first, ...names, first], via: prev.get(cur)!.via };
      }
      if (!prev.has(e.target)) {
        prev.set(e.target, { from: v, via: e.path });
        queue.push(e.target);
      }
    }
  }
  return { names: [first, first], via: [] };
}

function checkFlow(
  src: SourceFile,
  raw: RawFlow,
  issues: Issue[],
  ctx: LintContext,
  sources: ProjectSources,
  catalog: Map<string, PromptDef>,
  calendars: Map<string, Calendar>,
  queues: QueueDefinition[],
): Flow | undefined {
  const nodes = raw.nodes;
  const order = Object.keys(nodes);
  const edges = new Map<string, { path: Path; target: string }[]>();
  const local = promptDefs(raw.prompts);
  const languages: Language[] = raw.languages ?? [raw.language ?? 'zh'];
  const language = raw.language ?? languages[0] ?? 'zh';
  const promptUses: { path: Path; id: string; who: string; implicit: boolean }[] = [];
  const goodbye = raw.silence?.goodbye ?? 'silent-goodbye';
  promptUses.push({ path: raw.silence?.goodbye ? ['silence', 'goodbye'] : [], id: goodbye, who: 'flow', implicit: raw.silence?.goodbye === undefined });

  if (!languages.includes(language)) issues.push(src.issue(['language'], 'error', 'schema', `flow field "language": "${language}" is not one of the flow's languages (${languages.join(', ')})`));
  if (raw.calendar !== undefined && !calendars.has(raw.calendar)) issues.push(src.issue(['calendar'], 'error', 'unknown-calendar', `flow field "calendar": calendar "${raw.calendar}" does not exist in calendars/`));
  if (!(raw.start in nodes)) issues.push(src.issue(['start'], 'error', 'missing-node', `flow field "start": transition to missing node "${raw.start}"`));

  const spins = new Set<string>();
  let nodesBroken = false;
  for (const id of order) {
    const node = nodes[id]!;
    const who = `node "${id}"`;
    const type = NODE_TYPES.get(node.type);
    if (!type) {
      nodesBroken = true;
      issues.push(src.issue(['nodes', id, 'type'], 'error', 'unknown-node-type', `${who} field "type": unknown node type "${node.type}" (known: ${[...NODE_TYPES.keys()].join(', ')})`));
      continue;
    }
    const schemaIssues = checkSchema(src, type.schema, node, ['nodes', id], who);
    append(issues, schemaIssues);
    if (schemaIssues.length > 0) {
      nodesBroken = true;
      continue;
    }
    for (const f of type.lint?.(node, ctx) ?? []) {
      const at = f.path.length > 0 ? ` field "${fieldName(f.path)}"` : '';
      issues.push(src.issue(['nodes', id, ...f.path], f.severity, f.rule, `${who}${at}: ${f.message}`, { key: f.key ?? false }));
    }
    const ts = type.transitions(node);
    edges.set(id, ts);
    if (!type.waits) spins.add(id);
    for (const t of ts) {
      if (!(t.target in nodes)) issues.push(src.issue(['nodes', id, ...t.path], 'error', 'missing-node', `${who} field "${fieldName(t.path)}": transition to missing node "${t.target}"`));
    }
    for (const p of type.prompts(node)) promptUses.push({ path: ['nodes', id, ...p.path], id: p.id, who, implicit: p.path.length === 0 });
  }

  // Reachability from the start node (not while some node is broken: its transitions are unknown).
  if (raw.start in nodes && !nodesBroken) {
    const seen = new Set<string>([raw.start]);
    const todo = [raw.start];
    while (todo.length > 0) {
      for (const e of edges.get(todo.pop()!) ?? []) {
        if (!seen.has(e.target) && e.target in nodes) {
          seen.add(e.target);
          todo.push(e.target);
        }
      }
    }
    for (const id of order) {
      if (!seen.has(id)) issues.push(src.issue(['nodes', id], 'warning', 'unreachable-node', `node "${id}": unreachable from the start node "${raw.start}"`, { key: true }));
    }
  }

  for (const comp of spinLoops(order, edges, spins)) {
    const first = comp[0]!;
    const { names, via } = cycleThrough(first, new Set(comp), edges);
    issues.push(src.issue(['nodes', first, ...via], 'error', 'spin-loop', `node "${first}": loop ${names.join(' → ')} can repeat without waiting for the caller`));
  }

  for (const use of promptUses) {
    const field = use.path.length > 0 && !use.implicit ? ` field "${fieldName(use.path.slice(use.who === 'flow' ? 0 : 2))}"` : '';
    const label = use.implicit ? `prompt "${use.id}" (used by default)` : `prompt "${use.id}"`;
    if (!local.has(use.id) && !catalog.has(use.id)) {
      issues.push(src.issue(use.path, 'error', 'unknown-prompt', `${use.who}${field}: ${label} is not defined in the flow's prompts or in prompts/prompts.yaml`));
      continue;
    }
    for (const lang of languages) {
      if (!sources.promptFiles.has(`${lang}/${use.id}.wav`)) {
        issues.push(src.issue(use.path, 'error', 'missing-prompt-file', `${use.who}${field}: ${label} has no audio file prompts/${lang}/${use.id}.wav`));
      }
    }
  }
  for (const [id, def] of local) {
    for (const lang of languages) {
      if (def.text[lang] === undefined) issues.push(src.issue(['prompts', id], 'warning', 'prompt-text', `flow field "prompts.${id}": no ${lang} text beside the prompt`, { key: true }));
    }
  }

  if (issues.some((i) => i.severity === 'error')) return undefined;
  return {
    id: raw.id,
    file: src.file,
    revision: 0,
    version: raw.version,
    name: raw.name ?? raw.id,
    numbers: raw.numbers,
    language,
    languages,
    promptDir: sources.promptDir,
    calendar: raw.calendar !== undefined ? calendars.get(raw.calendar) : undefined,
    calendars,
    queues: new Map(queues.map((q) => [q.id, q])),
    silence: { timeoutSec: raw.silence?.timeoutSec ?? 5, repeats: raw.silence?.repeats ?? 1, goodbye },
    prompts: new Map([...catalog, ...local]),
    start: raw.start,
    nodes,
  };
}

export function validateProject(sources: ProjectSources): ProjectResult {
  const issues = new Map<string, Issue[]>();
  const bucket = (file: string): Issue[] => {
    let b = issues.get(file);
    if (!b) issues.set(file, (b = []));
    return b;
  };
  for (const i of sources.skipped ?? []) bucket(i.file).push(i);

  let queues: QueueDefinition[] | undefined;
  if (sources.queues) {
    const b = bucket(sources.queues.file);
    const src = parsed(sources.queues, b);
    if (src) {
      append(b, checkSchema(src, queuesSchema, src.data, [], 'queues.yaml'));
      if (b.length === 0) queues = compileQueues(src, src.data as Parameters<typeof compileQueues>[1], b);
    }
  }
  const usableQueues = queues ?? sources.fallbackQueues ?? [];

  const calendars = new Map<string, Calendar>();
  for (const f of sources.calendars) {
    const b = bucket(f.file);
    const src = parsed(f, b);
    if (!src) continue;
    const data = src.data as { id?: unknown };
    append(b, checkSchema(src, calendarSchema, src.data, [], `calendar "${String(data.id)}"`));
    if (b.length > 0) continue;
    const cal = compileCalendar(src, src.data as Parameters<typeof compileCalendar>[1], b);
    if (!cal) continue;
    if (calendars.has(cal.id)) b.push(src.issue(['id'], 'error', 'duplicate-calendar', `calendar "${cal.id}" field "id": declared twice`));
    else calendars.set(cal.id, cal);
  }

  let catalog = new Map<string, PromptDef>();
  if (sources.promptCatalog) {
    const b = bucket(sources.promptCatalog.file);
    const src = parsed(sources.promptCatalog, b);
    if (src) {
      append(b, checkSchema(src, promptCatalogSchema, src.data, [], 'prompts.yaml'));
      if (b.length === 0) catalog = promptDefs((src.data as { prompts: RawFlow['prompts'] }).prompts);
    }
  }

  // First pass: frame of every flow, so cross-flow rules know every id and number.
  const frames: { src: SourceFile; raw: RawFlow }[] = [];
  for (const f of sources.flows) {
    const b = bucket(f.file);
    const src = parsed(f, b);
    if (!src) continue;
    const m = migrate(src.data as Record<string, unknown>);
    if (m.error) {
      b.push(src.issue(['version'], 'error', 'version', `flow field "version": ${m.error}`));
      continue;
    }
    const nodeCount = countNodes(m.doc);
    if (nodeCount > MAX_FLOW_NODES) {
      b.push(src.issue(['nodes'], 'error', 'too-many-nodes', `flow field "nodes": ${nodeCount} nodes; a flow may have at most ${MAX_FLOW_NODES} (split it and use transfer: { flow })`, { key: true }));
      continue;
    }
    const before = b.length;
    append(b, checkSchema(src, flowSchema, m.doc, [], 'flow'));
    if (b.length > before) continue;
    frames.push({ src, raw: m.doc as unknown as RawFlow });
  }

  const flowIds = new Set<string>();
  const numberOwner = new Map<string, { flow: string; file: string }>();
  for (const { src, raw } of frames) {
    const b = bucket(src.file);
    if (flowIds.has(raw.id)) b.push(src.issue(['id'], 'error', 'duplicate-flow', `flow field "id": flow "${raw.id}" is defined twice`));
    flowIds.add(raw.id);
    raw.numbers.forEach((n, i) => {
      const owner = numberOwner.get(n);
      if (owner && owner.file !== src.file) b.push(src.issue(['numbers', i], 'error', 'duplicate-number', `flow field "numbers[${i}]": number "${n}" is already answered by flow "${owner.flow}" (${owner.file})`));
      else numberOwner.set(n, { flow: raw.id, file: src.file });
    });
  }

  const ctx: LintContext = { queueIds: new Set(usableQueues.map((q) => q.id)), flowIds, calendarIds: new Set(calendars.keys()), flowCalendar: undefined, nodeType: () => undefined };
  const flows = new Map<string, Flow>();
  for (const { src, raw } of frames) {
    const b = bucket(src.file);
    const flow = checkFlow(src, raw, b, { ...ctx, flowCalendar: raw.calendar, nodeType: (id) => (Object.hasOwn(raw.nodes, id) ? raw.nodes[id]?.type : undefined) }, sources, catalog, calendars, usableQueues);
    if (flow && !b.some((i) => i.severity === 'error')) {
      flows.set(src.file, flow);
      // A silent caller must hear the standard's script and be released in about 20 s (hotline standard §2).
      const lengths = sources.promptMs;
      if (lengths) {
        for (const f of silenceFindings(flow, (id) => lengths.get(`${flow.language}/${id}.wav`))) {
          b.push(src.issue(['nodes', f.node], f.severity, f.rule, `flow node "${f.node}": ${f.message}`, { key: true }));
        }
      }
    }
  }
  for (const [file, list] of issues) issues.set(file, sortIssues(list));
  return { flows, issues, queues, calendars, catalog };
}

