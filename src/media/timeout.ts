import type { Clock } from '../core/clock.js';
import { MediaError } from './errors.js';

/**
 * Settle with `work` or, after `ms` on `clock`, reject with MEDIA_TIMEOUT. The timer is cleared by reference
 * whichever way it ends. `onTimeout` lets the caller stop the media operation itself (uuid_break) so FreeSWITCH
 * does not keep playing into a call that has moved on.
 */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  clock: Clock,
  op: string,
  onTimeout?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      try {
        onTimeout?.();
      } finally {
        reject(new MediaError('MEDIA_TIMEOUT', op, `no answer from the media server within ${ms} ms`));
      }
    }, ms);
    work.then(
      (v) => {
        if (settled) return;
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

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
