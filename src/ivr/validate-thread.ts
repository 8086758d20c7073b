import { parentPort, workerData } from 'node:worker_threads';
import type { QueueDefinition } from '../acd/model.js';
import { isHotlineError } from '../core/errors.js';
import { loadDir } from './load.js';
import { validateProject } from './validate.js';

/**
 * Worker-thread entry: reads and validates a flows directory off the call-handling thread, so a big or hostile
 * flow cannot stall SIP, timers or /healthz (validate-off-thread.ts starts it). The result is plain data (maps,
 * sets, records), which the structured clone carries back whole.
 */
const { dir, fallbackQueues } = workerData as { dir: string; fallbackQueues: QueueDefinition[] | undefined };
try {
  const sources = { ...(await loadDir(dir)), fallbackQueues };
  parentPort!.postMessage({ ok: true, sources, result: validateProject(sources) });
} catch (e) {
  parentPort!.postMessage({ ok: false, code: isHotlineError(e) ? e.code : undefined, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
}
