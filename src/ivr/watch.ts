import { watch, type FSWatcher } from 'node:fs';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { formatIssue } from './issues.js';
import { loadDir } from './load.js';
import type { FlowRegistry, ReloadReport } from './registry.js';
import { validateProject } from './validate.js';

/**
 * Hot reload: re-reads and re-validates the flows directory and hands the result to the registry. Reloads run
 * one at a time; a burst of file events (an editor's save writes several) becomes one reload.
 */
export class FlowReloader {
  private running: Promise<ReloadReport> | undefined;
  private again = false;

  constructor(
    private readonly dir: string,
    private readonly registry: FlowRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  reload(): Promise<ReloadReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.once().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.running;
  }

  private async once(): Promise<ReloadReport> {
    const sources = { ...(await loadDir(this.dir)), fallbackQueues: this.registry.queues() };
    const result = validateProject(sources);
    const report = this.registry.apply(sources, result, this.clock.now());
    for (const s of this.registry.status()) {
      for (const i of s.issues) {
        const line = formatIssue(i);
        if (i.severity === 'error') this.logger.error({ file: s.file, rule: i.rule }, line);
        else this.logger.warn({ file: s.file, rule: i.rule }, line);
      }
    }
    for (const file of report.accepted) this.logger.info({ file, revision: this.registry.status().find((s) => s.file === file)?.servingRevision }, 'flow loaded');
    for (const file of report.rejected) this.logger.error({ file }, 'flow change refused; the last good version keeps serving');
    for (const file of report.removed) this.logger.info({ file }, 'flow removed; calls in progress finish on it');
    return report;
  }
}

/** Watch `dir` (recursively: calendars/ and prompts/ too) and reload after `debounceMs` of quiet. */
export function watchFlows(dir: string, reloader: FlowReloader, clock: Clock, logger: Logger, debounceMs = 250): { close(): void } {
  let timer: TimerHandle | undefined;
  const fire = (): void => {
    timer = undefined;
    reloader.reload().catch((err: unknown) => logger.error({ err, dir }, 'flow reload failed'));
  };
  const onChange = (): void => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(fire, debounceMs);
  };
  const onError = (err: unknown): void => logger.error({ err, dir }, 'flow directory watch failed');
  const watcher: FSWatcher = watch(dir, { recursive: true }, onChange);
  watcher.on('error', onError);
  return {
    close: () => {
      clock.clearTimeout(timer);
      watcher.off('error', onError);
      watcher.close();
    },
  };
}
