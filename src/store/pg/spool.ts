import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A small write-ahead spool: JSON lines appended (and fsynced) to a local file while PostgreSQL is unreachable,
 * replayed when it is back. Replay relies on the writes being idempotent, so a crash half-way through a replay
 * only means some lines are written twice, which the database ignores.
 *
 * One spool directory per app instance: appends and the hand-over to replay are serialised inside the process,
 * not between processes.
 */
export class Spool {
  private readonly pendingPath: string;
  private readonly rejectedPath: string;
  // Serialises appends with the rename that hands the pending file over to replay, so no append can land in a
  // file after replay has read it.
  private tail: Promise<unknown> = Promise.resolve();
  private replaying: Promise<ReplayResult> | undefined;

  constructor(readonly dir: string) {
    this.pendingPath = join(dir, 'pending.jsonl');
    this.rejectedPath = join(dir, 'rejected.jsonl');
  }

  /** Durably append one entry; resolves once it is on disk. */
  append(entry: unknown): Promise<void> {
    return this.serial(() => this.appendLine(this.pendingPath, JSON.stringify(entry)));
  }

  /** Keep an entry the database refused for a reason other than an outage, for an operator to look at. */
  reject(entry: unknown, error: unknown): Promise<void> {
    const reason = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
    return this.serial(() => this.appendLine(this.rejectedPath, JSON.stringify({ entry, error: reason, at: new Date().toISOString() })));
  }

  /** Entries waiting for replay (pending plus any replay batch left over from an interrupted run). */
  async pendingCount(): Promise<number> {
    let n = 0;
    for (const f of await this.batchFiles(true)) n += (await readLines(f)).length;
    return n;
  }

  /**
   * Feed every spooled entry to `write`. An entry whose write throws a retryable error (per `isRetryable`) stops
   * the replay and stays spooled with everything after it; an entry that fails otherwise is moved to
   * rejected.jsonl. Concurrent calls share one run.
   */
  replay(write: (entry: unknown) => Promise<void>, isRetryable: (e: unknown) => boolean): Promise<ReplayResult> {
    this.replaying ??= this.runReplay(write, isRetryable).finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async runReplay(write: (entry: unknown) => Promise<void>, isRetryable: (e: unknown) => boolean): Promise<ReplayResult> {
    await mkdir(this.dir, { recursive: true });
    await this.serial(async () => {
      const lines = await readLines(this.pendingPath);
      if (lines.length > 0) await rename(this.pendingPath, join(this.dir, `batch-${Date.now()}-${randomBytes(3).toString('hex')}.jsonl`));
    });
    const result: ReplayResult = { replayed: 0, rejected: 0, remaining: 0 };
    const batches = await this.batchFiles(false);
    for (let b = 0; b < batches.length; b++) {
      const file = batches[b]!;
      const lines = await readLines(file);
      for (let i = 0; i < lines.length; i++) {
        let entry: unknown;
        try {
          entry = JSON.parse(lines[i]!);
        } catch (e) {
          await this.reject(lines[i], e);
          result.rejected++;
          continue;
        }
        try {
          await write(entry);
          result.replayed++;
        } catch (e) {
          if (!isRetryable(e)) {
            await this.reject(entry, e);
            result.rejected++;
            continue;
          }
          // Still down: keep this entry and the rest for the next run.
          const rest = lines.slice(i);
          await writeAtomically(file, rest.map((l) => `${l}\n`).join(''));
          result.remaining = rest.length;
          for (const later of batches.slice(b + 1)) result.remaining += (await readLines(later)).length;
          return result;
        }
      }
      await unlink(file);
    }
    return result;
  }

  private async batchFiles(includePending: boolean): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return [];
      throw e;
    }
    const batches = names.filter((n) => n.startsWith('batch-') && n.endsWith('.jsonl')).sort().map((n) => join(this.dir, n));
    return includePending ? [...batches, this.pendingPath] : batches;
  }

  private async appendLine(path: string, line: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const fh = await open(path, 'a');
    try {
      await fh.write(`${line}\n`);
      // The point of the spool is to survive a crash during the outage: the line must be on disk, not in a cache.
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

export interface ReplayResult {
  replayed: number;
  rejected: number;
  remaining: number;
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim().length > 0);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw e;
  }
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
