/**
 * A validation problem with its place in the source file. The CLI prints these as
 * `file:line:column: severity: message`; hot reload logs the same lines and keeps them as the file's status.
 */
export type Severity = 'error' | 'warning';

export interface Issue {
  file: string;
  line: number;
  column: number;
  severity: Severity;
  /** Stable rule id, e.g. `missing-node`, so tests and the admin API can match without parsing wording. */
  rule: string;
  message: string;
}

export function formatIssue(i: Issue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.severity}: ${i.message}`;
}

export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/** File order, then position: the order an admin reads the file in. */
export function sortIssues(issues: Issue[]): Issue[] {
  return issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
