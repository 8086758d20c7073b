import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { Issue, Severity } from './issues.js';

export type Path = readonly (string | number)[];

/**
 * A parsed YAML (or JSON, which YAML 1.2 reads too) file that remembers where every value came from, so any
 * problem found on the plain data can be reported at `file:line:column`.
 */
export class SourceFile {
  readonly data: unknown;
  readonly parseIssues: Issue[] = [];
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const e of this.doc.errors) {
      const at = this.lines.linePos(e.pos[0]);
      this.parseIssues.push({ file, line: at.line, column: at.col, severity: 'error', rule: 'syntax', message: e.message.split('\n')[0] ?? e.message });
    }
    this.data = this.doc.errors.length > 0 ? undefined : (this.doc.toJS() as unknown);
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
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
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
      } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node).items)) {
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
