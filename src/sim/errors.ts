import { HotlineError } from '../core/errors.js';

/** Where a scenario file is wrong: the path inside the document and, when known, its line and column (1-based). */
export interface ScenarioIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export const SIM_ERROR_CODES = ['SCENARIO_INVALID', 'SCENARIO_UNREADABLE', 'SIMULATION_TOO_LARGE'] as const;
export type SimErrorCode = (typeof SIM_ERROR_CODES)[number];

/** A scenario the simulator cannot run. The message lists every issue, one per line, as `file:line:col: path: why`. */
export class SimError extends HotlineError {
  declare readonly code: SimErrorCode;
  readonly issues: readonly ScenarioIssue[];
  constructor(code: SimErrorCode, message: string, issues: readonly ScenarioIssue[] = [], options?: { cause?: unknown }) {
    super(code, message, { issues }, options);
    this.issues = issues;
  }
}

export function formatIssues(source: string, issues: readonly ScenarioIssue[]): string {
  return issues
    .map((i) => {
      const where = i.line !== undefined ? `${source}:${i.line}:${i.column ?? 1}` : source;
      return `${where}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`;
    })
    .join('\n');
}
