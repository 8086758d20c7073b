import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { Issue, Severity } from './issues.js';

export type Path = readonly (string | number)[];

/** yaml's guard against alias bombs: an alias may stand for at most this many nodes. */
const MAX_ALIAS_COUNT = 100;

/**
 * A parsed YAML (or JSON, which YAML 1.2 reads too) file that remembers where every value came from, so any
 * problem found on the plain data can be reported at `file:line:column`.
 */
export class SourceFile {
  readonly data: unknown;
  readonly parseIssues: Issue[] = [];
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  /** Key → pair per mapping, built on first use: position look-ups stay O(path length), not O(keys). */
  private readonly keyIndex = new WeakMap<YAMLMap, Map<string, YAMLMap['items'][number]>>();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // yaml's own duplicate-key check scans the mapping for every key (quadratic in its size); ours below is linear.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    for (const e of this.doc.errors) this.parseIssues.push(this.at(e.pos[0], 'syntax', e.message.split('\n')[0] ?? e.message));
    if (this.doc.errors.length === 0) this.duplicateKeys();
    let data: unknown;
    if (this.parseIssues.length === 0) {
      try {
        // An alias bomb (a few lines expanding to millions of nodes) is refused here, not expanded.
        data = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        this.parseIssues.push(this.at(0, 'syntax', `${e instanceof Error ? e.message : String(e)} (aliases may expand to at most ${MAX_ALIAS_COUNT} nodes)`));
      }
    }
    this.data = data;
  }

  private at(offset: number, rule: string, message: string): Issue {
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, severity: 'error', rule, message };
  }

  private duplicateKeys(): void {
    visit(this.doc, {
      Map: (_k, map) => {
        const seen = new Set<string>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const k = String(pair.key.value);
          if (seen.has(k)) this.parseIssues.push(this.at(pair.key.range?.[0] ?? 0, 'syntax', 'Map keys must be unique'));
          seen.add(k);
        }
      },
    });
  }

  private pairOf(map: YAMLMap, key: string): YAMLMap['items'][number] | undefined {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
        if (!index.has(k)) index.set(k, p);
      }
      this.keyIndex.set(map, index);
    }
    return index.get(key);
  }

  /** Position of the value at `path`; with `key`, of the key naming it (for "unknown field" style problems). */
  position(path: Path, key = false): { line: number; column: number } {
    let offset = 0;
    let node: unknown = this.doc.contents;
    const first = this.doc.contents as YamlNode | null;
    if (first?.range) offset = first.range[0];
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.pairOf(node, String(seg));
        if (!pair) break;
        const keyNode = pair.key as YamlNode | null;
        if (last && key && keyNode?.range) {
          offset = keyNode.range[0];
          break;
        }
        const value = pair.value as YamlNode | null;
        if (value?.range) offset = value.range[0];
        else if (keyNode?.range) offset = keyNode.range[0];
        node = value;
      } else if (isSeq(node)) {
        const item = (node as { items: unknown[] }).items[Number(seg)] as YamlNode | undefined;
        if (!item?.range) break;
        offset = item.range[0];
        node = item;
      } else break;
    }
    const at = this.lines.linePos(offset);
    return { line: at.line, column: at.col };
  }

  issue(path: Path, severity: Severity, rule: string, message: string, opts: { key?: boolean } = {}): Issue {
    const at = this.position(path, opts.key ?? false);
    return { file: this.file, line: at.line, column: at.column, severity, rule, message };
  }
}
