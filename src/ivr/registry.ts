import { createHash } from 'node:crypto';
import type { QueueDefinition } from '../acd/model.js';
import type { FlowLookup } from './channel.js';
import { hasErrors, type Issue } from './issues.js';
import type { Flow } from './spec.js';
import type { ProjectResult, ProjectSources } from './validate.js';

/**
 * The flows the server answers with, and the status of every file for the admin API. Pure (no fs): the
 * reloader hands it each validation result. A good change is swapped in atomically as a new revision; a bad
 * one is refused and the last good revision keeps serving; a call holds its own Flow object, so neither a swap
 * nor a deleted file touches calls in progress.
 */
export type FileState = 'serving' | 'rejected' | 'removed' | 'ok';

export interface FileStatus {
  file: string;
  state: FileState;
  /** The revision new calls get (the last good one when the latest edit was rejected). */
  servingRevision: number | undefined;
  flowId: string | undefined;
  issues: Issue[];
  checkedAt: number;
}

export interface ReloadReport {
  accepted: string[];
  rejected: string[];
  removed: string[];
  unchanged: string[];
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class FlowRegistry implements FlowLookup {
  private byFile = new Map<string, { flow: Flow; digest: string }>();
  private byNumber = new Map<string, Flow>();
  private byFlowId = new Map<string, Flow>();
  private statuses = new Map<string, FileStatus>();
  private lastQueues: QueueDefinition[] | undefined;
  private revision = 0;

  /** The flow a new call to `number` starts on. */
  forNumber(number: string): Flow | undefined {
    return this.byNumber.get(number);
  }

  byId(flowId: string): Flow | undefined {
    return this.byFlowId.get(flowId);
  }

  flows(): Flow[] {
    return [...this.byFlowId.values()];
  }

  /** The last good queues.yaml, for syncing into the stores and as the fallback while the file is broken. */
  queues(): QueueDefinition[] | undefined {
    return this.lastQueues;
  }

  status(): FileStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.file.localeCompare(b.file));
  }

  apply(sources: ProjectSources, result: ProjectResult, now: number): ReloadReport {
    const report: ReloadReport = { accepted: [], rejected: [], removed: [], unchanged: [] };
    const next = new Map<string, { flow: Flow; digest: string }>();
    const texts = new Map(sources.flows.map((f) => [f.file, f.text]));
    const statuses = new Map<string, FileStatus>();

    for (const [file, text] of texts) {
      const issues = result.issues.get(file) ?? [];
      const old = this.byFile.get(file);
      const good = result.flows.get(file);
      const d = digest(text);
      if (good && !hasErrors(issues)) {
        if (old && old.digest === d) {
          next.set(file, old);
          report.unchanged.push(file);
        } else {
          next.set(file, { flow: { ...good, revision: ++this.revision }, digest: d });
          report.accepted.push(file);
        }
      } else {
        if (old) next.set(file, old);
        report.rejected.push(file);
      }
      statuses.set(file, { file, state: good ? 'serving' : 'rejected', servingRevision: next.get(file)?.flow.revision, flowId: next.get(file)?.flow.id, issues, checkedAt: now });
    }

    // A number may be answered by one flow only; a kept last-good revision holds its numbers against newcomers.
    const numbers = new Map<string, Flow>();
    const ordered = [...next.entries()].sort(([fa, a], [fb, b]) => Number(report.accepted.includes(fa)) - Number(report.accepted.includes(fb)) || a.flow.revision - b.flow.revision || fa.localeCompare(fb));
    for (const [file, entry] of ordered) {
      const clash = entry.flow.numbers.find((n) => numbers.has(n) && numbers.get(n)!.file !== file);
      if (clash !== undefined) {
        const owner = numbers.get(clash)!;
        const old = this.byFile.get(file);
        if (old) next.set(file, old);
        else next.delete(file);
        report.accepted = report.accepted.filter((f) => f !== file);
        report.rejected.push(file);
        const issue: Issue = { file, line: 1, column: 1, severity: 'error', rule: 'duplicate-number', message: `flow field "numbers": number "${clash}" is still answered by flow "${owner.id}" (${owner.file})` };
        statuses.set(file, { ...statuses.get(file)!, state: 'rejected', servingRevision: old?.flow.revision, flowId: old?.flow.id, issues: [...statuses.get(file)!.issues, issue] });
        continue;
      }
      for (const n of entry.flow.numbers) numbers.set(n, entry.flow);
    }

    for (const file of this.byFile.keys()) {
      if (texts.has(file)) continue;
      report.removed.push(file);
      statuses.set(file, { file, state: 'removed', servingRevision: undefined, flowId: undefined, issues: [], checkedAt: now });
    }
    for (const [file, issues] of result.issues) {
      if (texts.has(file)) continue;
      statuses.set(file, { file, state: hasErrors(issues) ? 'rejected' : 'ok', servingRevision: undefined, flowId: undefined, issues, checkedAt: now });
    }
    if (result.queues) this.lastQueues = result.queues;

    // The swap: new calls see either all of the old maps or all of the new ones.
    this.byFile = next;
    this.byNumber = new Map([...numbers.entries()].map(([n, f]) => [n, next.get(f.file)!.flow]));
    this.byFlowId = new Map([...next.values()].map((e) => [e.flow.id, e.flow]));
    this.statuses = statuses;
    return report;
  }
}
