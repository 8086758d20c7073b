import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueDefinition } from '../acd/model.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { formatIssue } from './issues.js';
import { isScratchName } from './load.js';
import type { FlowRegistry, ReloadReport } from './registry.js';
import { validateOffThread, type Validated } from './validate-off-thread.js';

/** Reads and validates a flows directory (off the event loop by default). */
export type DirValidator = (dir: string, fallbackQueues: QueueDefinition[] | undefined) => Promise<Validated>;

/**
 * Hot reload: re-reads and re-validates the flows directory and hands the result to the registry. Reloads run
 * one at a time; a burst of file events (an editor's save writes several) becomes one reload. Reading and
 * validating run in a worker thread, so even a 2,000-node flow never holds up calls or /healthz.
 */
export class FlowReloader {
  private running: Promise<ReloadReport> | undefined;
  private again = false;
  private seen: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly registry: FlowRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly validate: DirValidator = validateOffThread,
  ) {}

  /** Rejects only when the directory cannot be read at all (FLOWS_DIR_NOT_FOUND) or validation failed to run. */
  reload(): Promise<ReloadReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The directory's fingerprint as the last reload began to read it (see fingerprint()). */
  lastSeen(): string | undefined {
    return this.seen;
  }

  /** Runs again while changes arrived during a run: the caller's promise settles after the last one. */
  private async loop(): Promise<ReloadReport> {
    let report: ReloadReport;
    do {
      this.again = false;
      report = await this.once();
    } while (this.again);
    return report;
  }

  private async once(): Promise<ReloadReport> {
    const before = this.registry.health();
    // Taken before reading: an edit landing during the read changes the fingerprint, so the watcher reloads again.
    this.seen = await fingerprint(this.dir, []);
    const { sources, result } = await this.validate(this.dir, this.registry.queues());
    const report = this.registry.apply(sources, result, this.clock.now());
    for (const s of this.registry.status()) {
      for (const i of s.issues) {
        const line = formatIssue(i);
        if (i.severity === 'error') this.logger.error({ file: s.file, rule: i.rule }, line);
        else this.logger.warn({ file: s.file, rule: i.rule }, line);
      }
    }
    const health = this.registry.health();
    if (!report.setAccepted) {
      for (const file of report.rejected) this.logger.error({ file }, 'flow change refused');
      if (health.state === 'last-good') {
        this.logger.error(
          { refused: report.rejected, held: report.held, setRevision: health.setRevision, since: new Date(health.since).toISOString() },
          'flow set refused as a whole; the last good set keeps serving',
        );
      } else this.logger.error({ refused: report.rejected, held: report.held }, 'flow set refused; no valid flow set has loaded yet, so no flow serves');
      return report;
    }
    for (const file of report.accepted) this.logger.info({ file, revision: this.registry.status().find((s) => s.file === file)?.servingRevision }, 'flow loaded');
    for (const file of report.removed) this.logger.info({ file }, 'flow removed; calls in progress finish on it');
    if (before.state === 'last-good' || (before.state === 'none-valid' && before.refused.length > 0)) {
      this.logger.info({ fixed: before.refused, setRevision: health.state === 'none-valid' ? undefined : health.setRevision }, 'flow set accepted again: the refused edit is fixed');
    }
    return report;
  }
}

export interface WatchOptions {
  /** Quiet time after a file event before checking (an editor's save is several events). */
  debounceMs?: number;
  /** The periodic re-read by name: catches what fs.watch misses (rename-replace, editors, network filesystems). */
  sweepMs?: number;
}

/** How deep flows live: <dir>/calendars, <dir>/prompts/<language>. */
const MAX_DEPTH = 2;

/**
 * Size, mtime, ctime and inode of every entry by name (following symlinks): a rename-replace changes the inode, an
 * in-place write the mtime, a delete or re-create the set of names. Editors' scratch and lock files are left out,
 * so they never cause a reload.
 */
export async function fingerprint(dir: string, dirs: string[], depth = 0): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return `${dir}:-\n`;
  }
  let out = '';
  for (const n of names) {
    if (isScratchName(n)) continue;
    const p = join(dir, n);
    const st = await stat(p, { bigint: true }).catch(() => undefined);
    if (!st) {
      out += `${p}:x\n`;
      continue;
    }
    out += `${p}:${st.isFile() ? 'f' : st.isDirectory() ? 'd' : 'o'}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}\n`;
    if (st.isDirectory() && depth < MAX_DEPTH) {
      dirs.push(p);
      out += await fingerprint(p, dirs, depth + 1);
    }
  }
  return out;
}

/**
 * Watch `dir` and reload when anything in it changes. Node 20's recursive fs.watch follows inodes, so after a
 * rename-replace (sed -i, vim, most editors) it goes deaf; instead every directory gets its own non-recursive
 * watcher (re-created when directories come and go), which only hastens a check, and a sweep every `sweepMs`
 * compares a fingerprint of every file by name, so no edit is lost even when an event is. A check reloads only
 * when the fingerprint changed since the last reload.
 */
export function watchFlows(dir: string, reloader: FlowReloader, clock: Clock, logger: Logger, opts: WatchOptions = {}): { close(): void } {
  const debounceMs = opts.debounceMs ?? 250;
  const sweepMs = opts.sweepMs ?? 2_000;
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  let debounce: TimerHandle | undefined;
  let sweep: TimerHandle | undefined;
  let checking: Promise<void> | undefined;
  let recheck = false;

  const watchDir = (d: string): void => {
    if (watchers.has(d)) return;
    try {
      const w = watch(d, { persistent: false }, () => schedule());
      w.on('error', (err) => {
        // Typically the directory was deleted: drop this watcher; the sweep re-creates it if the directory returns.
        logger.warn({ err, dir: d }, 'flow directory watch lost; the periodic check continues');
        w.close();
        watchers.delete(d);
      });
      watchers.set(d, w);
    } catch (err) {
      logger.warn({ err, dir: d }, 'cannot watch flow directory; the periodic check continues');
    }
  };

  const syncWatchers = (dirs: string[]): void => {
    const want = new Set([dir, ...dirs]);
    for (const [d, w] of watchers) {
      if (!want.has(d)) {
        w.close();
        watchers.delete(d);
      }
    }
    for (const d of want) watchDir(d);
  };

  const checkOnce = async (): Promise<void> => {
    const dirs: string[] = [];
    const fp = await fingerprint(dir, dirs);
    if (closed) return;
    syncWatchers(dirs);
    if (fp === reloader.lastSeen()) return;
    try {
      await reloader.reload();
    } catch (err) {
      // The set as a whole could not be read (directory gone, validation thread failed): one line; the last good
      // set keeps serving and the next change is checked again.
      logger.error({ err, dir }, 'flow reload failed; the last good set keeps serving');
    }
  };

  // One check at a time; a request during a check runs one more after it.
  const check = (): Promise<void> => {
    if (checking) {
      recheck = true;
      return checking;
    }
    checking = (async () => {
      do {
        recheck = false;
        await checkOnce();
      } while (recheck && !closed);
    })()
      .catch((err: unknown) => logger.error({ err, dir }, 'flow directory check failed'))
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };

  function schedule(): void {
    if (closed) return;
    clock.clearTimeout(debounce);
    debounce = clock.setTimeout(() => {
      debounce = undefined;
      void check();
    }, debounceMs);
  }

  const armSweep = (): void => {
    if (closed) return;
    sweep = clock.setTimeout(() => {
      sweep = undefined;
      void check().then(armSweep);
    }, sweepMs);
  };

  watchDir(dir);
  // Watch the subdirectories at once; the first sweep also catches anything changed since the caller's reload.
  void check().then(armSweep);

  return {
    close: () => {
      closed = true;
      clock.clearTimeout(debounce);
      clock.clearTimeout(sweep);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
