import type { Clock } from '../core/clock.js';
import { MediaError } from './errors.js';

export interface TimeoutHooks<T> {
  /**
   * Called with a result that arrives after the time-out fired: the caller has been told MEDIA_TIMEOUT and will
   * never see it, so whatever it holds (an endpoint, a dialog, a connection) must be released here. Required so
   * every call site decides; pass `null` only where the result holds nothing (say why beside it).
   */
  onLate: ((late: T) => void | Promise<unknown>) | null;
  /** Lets the caller stop the media operation itself (uuid_break) so FreeSWITCH does not keep playing. */
  onTimeout?: () => void;
}

/**
 * Settle with `work` or, after `ms` on `clock`, reject with MEDIA_TIMEOUT. The timer is cleared by reference
 * whichever way it ends. A result that comes after the time-out goes to `hooks.onLate` (one owner per resource:
 * a late endpoint is destroyed, not dropped).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, clock: Clock, op: string, hooks: TimeoutHooks<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      try {
        hooks.onTimeout?.();
      } finally {
        reject(new MediaError('MEDIA_TIMEOUT', op, `no answer from the media server within ${ms} ms`));
      }
    }, ms);
    work.then(
      (v) => {
        if (settled) {
          releaseLate(hooks.onLate, v);
          return;
        }
        settled = true;
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        reject(e instanceof MediaError ? e : new MediaError('MEDIA_FAILED', op, errorText(e), { cause: e }));
      },
    );
  });
}

/** Run the release hook; its own failure has nobody left to tell, so it is contained here (no floating promise). */
function releaseLate<T>(onLate: TimeoutHooks<T>['onLate'], v: T): void {
  if (!onLate) return;
  try {
    const r = onLate(v);
    if (r) r.catch(() => undefined);
  } catch {
    // best effort: the resource is already orphaned; the hook failing must not crash the process
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
