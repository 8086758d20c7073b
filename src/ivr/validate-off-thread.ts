import { Worker } from 'node:worker_threads';
import type { QueueDefinition } from '../acd/model.js';
import { FlowError, type FlowErrorCode } from './errors.js';
import { loadDir } from './load.js';
import { validateProject } from './validate.js';
import type { ProjectResult, ProjectSources } from './validate.js';

/** Past this, validation is stopped and the edit refused: nothing an admin writes should take this long. */
export const VALIDATE_TIMEOUT_MS = 30_000;

export interface Validated {
  sources: ProjectSources;
  result: ProjectResult;
}

type Reply = { ok: true; sources: ProjectSources; result: ProjectResult } | { ok: false; code?: string; message: string; stack?: string };

/**
 * Reads and validates `dir` in a worker thread (validate-thread.ts). From the TypeScript sources (tests, `npm run
 * acd`) the worker loads through tsx, as the parent does; from dist/ it is plain JavaScript.
 */
export function validateOffThread(dir: string, fallbackQueues: QueueDefinition[] | undefined, timeoutMs = VALIDATE_TIMEOUT_MS): Promise<Validated> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './validate-thread.ts' : './validate-thread.js', import.meta.url);
  return new Promise<Validated>((resolve, reject) => {
    // From source, the worker registers tsx's loader first (Node 20 does not pass the parent's loader on to workers).
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    const worker = fromSource ? new Worker(boot, { eval: true, workerData: { dir, fallbackQueues } }) : new Worker(entry, { workerData: { dir, fallbackQueues } });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate().catch(() => undefined);
    };
    const timer = setTimeout(() => finish(() => reject(new FlowError('FLOW_VALIDATION_FAILED', `${dir}: validation took over ${timeoutMs} ms and was stopped`, { dir }))), timeoutMs);
    worker.once('message', (m: Reply) =>
      finish(() => {
        if (m.ok) resolve({ sources: m.sources, result: m.result });
        else if (m.code) reject(new FlowError(m.code as FlowErrorCode, m.message, { dir }));
        else reject(Object.assign(new Error(m.message), { stack: m.stack }));
      }),
    );
    worker.once('error', (err) => finish(() => reject(err)));
    worker.once('exit', (code) => finish(() => reject(new FlowError('FLOW_VALIDATION_FAILED', `${dir}: the validation thread exited (code ${code}) without an answer`, { dir }))));
  });
}

/** The same work on the calling thread: for tests of what a reload decides, where the thread is not the subject. */
export async function validateInline(dir: string, fallbackQueues: QueueDefinition[] | undefined): Promise<Validated> {
  const sources = { ...(await loadDir(dir)), fallbackQueues };
  return { sources, result: validateProject(sources) };
}
