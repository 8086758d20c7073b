import { createHash } from 'node:crypto';
import type { QueueDefinition } from '../acd/model.js';
import type { FlowLookup } from './channel.js';
import { hasErrors, type Issue } from './issues.js';
import type { Flow } from './spec.js';
import type { ProjectResult, ProjectSources } from './validate.js';

/**
 * The flows the server answers with, and the status of every file for the admin API. Pure (no fs): the
 * reloader hands it each validation result.
 *
 * The flows directory is one unit: flows route to queues and read calendars and prompts, so the new set of flows,
 * queues and calendars goes live together or not at all. A set where any file has an error is refused as a whole
 * and the last good set keeps serving (its files that are fine are `held`); a good set is swapped in at once. A
 * call holds its own Flow object, so neither a swap nor a deleted file touches calls in progress.
 */
export type FileState = 'serving' | 'ok' | 'held' | 'rejected' | 'removed';

export interface FileStatus {
  file: string;
  /**
   * serving: a flow whose text is live; ok: a live non-flow file (queues, calendar, prompts) or a skipped entry
   * with a warning; held: fine, but not live because another file of the set has an error; rejected: has errors;
   * removed: deleted, its last revision no longer reaches new calls.
   */
  state: FileState;
  /** The revision new calls get from this file (the last good one while an edit is refused). */
  servingRevision: number | undefined;
  flowId: string | undefined;
  issues: Issue[];
  checkedAt: number;
}

export interface ReloadReport {
  /** True when this reload's set went live (or nothing changed); false when it was refused. */
  setAccepted: boolean;
  /** Flow files live with a new revision. */
  accepted: string[];
  /** Files with errors (the set was refused). */
  rejected: string[];
  /** Fine files that stay out of service because the set was refused. */
  held: string[];
  removed: string[];
  unchanged: string[];
}

/** What /healthz and the logs say about flows. */
export type FlowsHealth =
  | { state: 'none-valid'; refused: string[] }
  | { state: 'current'; setRevision: number; since: number; flows: number }
  | { state: 'last-good'; setRevision: number; since: number; flows: number; refused: string[]; refusedAt: number };

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What every flow of the set compiles in (queues, calendars, prompt catalogue and audio): a change there is a new revision of every flow. */
function sharedDigest(sources: ProjectSources): string {
  const h = createHash('sha256');
  for (const f of [sources.queues, sources.promptCatalog, ...sources.calendars]) if (f) h.update(`${f.file}\0${f.text}\0`);
  for (const p of [...sources.promptFiles].sort()) h.update(`${p}\0`);
  return h.digest('hex');
}

export class FlowRegistry implements FlowLookup {
  private byFile = new Map<string, { flow: Flow; digest: string }>();
  private byNumber = new Map<string, Flow>();
  private byFlowId = new Map<string, Flow>();
  private statuses = new Map<string, FileStatus>();
  /** Digest of every file of the live set, to tell a held edit from a file that is live as it is. */
  private liveTexts = new Map<string, string>();
  private lastQueues: QueueDefinition[] | undefined;
  private revision = 0;
  private setRevision = 0;
  private liveSince = 0;
  private refused: { files: string[]; at: number } | undefined;

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

  /** The last good queues.yaml, for syncing into the stores and as the fallback while the file is absent. */
  queues(): QueueDefinition[] | undefined {
    return this.lastQueues;
  }

  status(): FileStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.file.localeCompare(b.file));
  }

  health(): FlowsHealth {
    if (this.setRevision === 0) return { state: 'none-valid', refused: this.refused?.files ?? [] };
    const live = { setRevision: this.setRevision, since: this.liveSince, flows: this.byFlowId.size };
    return this.refused ? { state: 'last-good', ...live, refused: this.refused.files, refusedAt: this.refused.at } : { state: 'current', ...live };
  }

  apply(sources: ProjectSources, result: ProjectResult, now: number): ReloadReport {
    const report: ReloadReport = { setAccepted: true, accepted: [], rejected: [], held: [], removed: [], unchanged: [] };
    const flowTexts = new Map(sources.flows.map((f) => [f.file, digest(f.text)]));
    const otherTexts = new Map<string, string>();
    for (const f of [sources.queues, sources.promptCatalog, ...sources.calendars]) if (f) otherTexts.set(f.file, digest(f.text));
    for (const [file, issues] of result.issues) if (hasErrors(issues)) report.rejected.push(file);
    report.rejected.sort();

    if (report.rejected.length > 0) {
      // Refused as a unit: nothing that serves changes; say per file what it is.
      report.setAccepted = false;
      const statuses = new Map<string, FileStatus>();
      const files = new Set([...result.issues.keys(), ...flowTexts.keys(), ...otherTexts.keys()]);
      for (const file of files) {
        const issues = result.issues.get(file) ?? [];
        const live = this.byFile.get(file);
        const text = flowTexts.get(file) ?? otherTexts.get(file);
        const same = text !== undefined && this.liveTexts.get(file) === text;
        let state: FileState;
        if (hasErrors(issues)) state = 'rejected';
        else if (same) state = flowTexts.has(file) ? 'serving' : 'ok';
        else if (text === undefined) state = 'ok';
        else state = 'held';
        if (state === 'held') report.held.push(file);
        if (same && flowTexts.has(file)) report.unchanged.push(file);
        statuses.set(file, { file, state, servingRevision: live?.flow.revision, flowId: live?.flow.id, issues, checkedAt: now });
      }
      for (const [file, live] of this.byFile) {
        if (files.has(file)) continue;
        // Deleted, but the set is refused: its last revision still serves until a good set goes live.
        statuses.set(file, { file, state: 'held', servingRevision: live.flow.revision, flowId: live.flow.id, issues: [], checkedAt: now });
        report.held.push(file);
      }
      this.statuses = statuses;
      this.refused = { files: report.rejected, at: this.refused?.at ?? now };
      return report;
    }

    const shared = sharedDigest(sources);
    const next = new Map<string, { flow: Flow; digest: string }>();
    const statuses = new Map<string, FileStatus>();
    for (const [file, good] of result.flows) {
      const d = `${flowTexts.get(file) ?? ''}:${shared}`;
      const old = this.byFile.get(file);
      if (old && old.digest === d) {
        next.set(file, old);
        report.unchanged.push(file);
      } else {
        next.set(file, { flow: { ...good, revision: ++this.revision }, digest: d });
        report.accepted.push(file);
      }
      const e = next.get(file)!;
      statuses.set(file, { file, state: 'serving', servingRevision: e.flow.revision, flowId: e.flow.id, issues: result.issues.get(file) ?? [], checkedAt: now });
    }
    for (const [file, issues] of result.issues) {
      if (!statuses.has(file)) statuses.set(file, { file, state: 'ok', servingRevision: undefined, flowId: undefined, issues, checkedAt: now });
    }
    for (const file of this.byFile.keys()) {
      if (next.has(file)) continue;
      report.removed.push(file);
      statuses.set(file, { file, state: 'removed', servingRevision: undefined, flowId: undefined, issues: [], checkedAt: now });
    }
    // Same definitions, same object: the stores are re-synced only when queues really changed.
    if (result.queues && JSON.stringify(result.queues) !== JSON.stringify(this.lastQueues)) this.lastQueues = result.queues;

    // The swap: new calls see either all of the old maps or all of the new ones.
    const changed = report.accepted.length > 0 || report.removed.length > 0 || [...otherTexts].some(([f, d]) => this.liveTexts.get(f) !== d);
    this.byFile = next;
    this.byNumber = new Map();
    this.byFlowId = new Map();
    for (const { flow } of next.values()) {
      this.byFlowId.set(flow.id, flow);
      for (const n of flow.numbers) this.byNumber.set(n, flow);
    }
    this.liveTexts = new Map([...flowTexts, ...otherTexts]);
    this.statuses = statuses;
    this.refused = undefined;
    if (changed || this.setRevision === 0) {
      this.setRevision++;
      this.liveSince = now;
    }
    return report;
  }
}
