import type Srf from 'drachtio-srf';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';

/**
 * In-dialog keepalive (SIP_KEEPALIVE_SEC). A far end that vanishes without a BYE (network lost, phone crashed, a
 * SIPp call aborted) leaves nothing for the app to see once its media is released from FreeSWITCH (the app keeps
 * only the signalling): without this the call never ends and the agent stays on it. So every interval, while the
 * dialog is up, an in-dialog OPTIONS goes out; 408, 481, a failed request or no answer within `timeoutMs` means the
 * far end is gone. Any other answer (200, 405, 501, ...) proves it alive: it still knows the dialog, except 503
 * twice in a row: drachtio-server's SIP stack answers 503 itself when the far end's port refuses the datagram (ICMP
 * port unreachable: the phone's process is gone, seen on the e2e suite with a SIPp killed mid-call, every OPTIONS
 * refused at once and answered 503 locally). A phone's own 503 to an OPTIONS is rare; two in a row, the second asked
 * for a few seconds after the first, count as gone.
 */
export interface KeepaliveOptions {
  /** Seconds between OPTIONS (after the last one was answered); 0 turns the keepalive off. */
  readonly intervalSec: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long an OPTIONS may go unanswered; default 32 s, SIP's non-INVITE transaction timeout (64 × T1). */
  readonly timeoutMs?: number;
}

export const KEEPALIVE_TIMEOUT_MS = 32_000;

/** After a first 503, the next OPTIONS goes out this soon (or at the interval, if shorter) to tell a gone phone quickly. */
export const RECHECK_AFTER_503_MS = 5_000;

/**
 * The part of a drachtio Dialog the keepalive uses (srf's typings want a full SrfRequest for `opts`). The callback
 * form, because it is called for every response: a provisional one (a proxy's late 100 Trying, RFC 4320) is not
 * the answer, whereas the Promise form would resolve with it and miss the 408 that follows.
 */
interface Pingable {
  request(opts: { method: string }, callback: (err: unknown, res?: { status: number }) => void): unknown;
  readonly id?: string;
  readonly sip?: { callId?: string };
}

/**
 * Starts pinging `dialog`; `onDead(reason)` is called at most once, when the far end is found gone (the keepalive
 * has stopped by then). Returns `stop`, idempotent: call it when the dialog ends otherwise. One OPTIONS is out at a
 * time: the next is timed from the previous one's answer.
 */
export function startDialogKeepalive(dialog: Srf.Dialog, opts: KeepaliveOptions, onDead: (reason: string) => void): () => void {
  if (!(opts.intervalSec > 0)) return () => undefined;
  const d = dialog as unknown as Pingable;
  const { clock, log } = opts;
  const intervalMs = opts.intervalSec * 1000;
  const timeoutMs = opts.timeoutMs ?? KEEPALIVE_TIMEOUT_MS;
  let stopped = false;
  /** 503s in a row (see the header). */
  let unavailable = 0;
  let next: TimerHandle | undefined;
  let deadline: TimerHandle | undefined;

  const stop = (): void => {
    stopped = true;
    clock.clearTimeout(next);
    clock.clearTimeout(deadline);
    next = deadline = undefined;
  };
  const dead = (reason: string): void => {
    if (stopped) return;
    stop();
    log.warn({ sipCallId: d.sip?.callId, dialogId: d.id, reason }, 'in-dialog OPTIONS: far end gone, dialog ended as if it had hung up');
    try {
      onDead(reason);
    } catch (err) {
      // A hang-up listener threw: inside a timer or srf's socket handler that would take the process down.
      log.error({ err, sipCallId: d.sip?.callId }, 'in-dialog keepalive: ending the dead dialog failed');
    }
  };

  const ping = (): void => {
    next = undefined;
    if (stopped) return;
    let settled = false;
    const settle = (): boolean => {
      if (settled || stopped) return false;
      settled = true;
      clock.clearTimeout(deadline);
      deadline = undefined;
      return true;
    };
    deadline = clock.setTimeout(() => {
      if (settle()) dead(`no answer to OPTIONS within ${timeoutMs} ms`);
    }, timeoutMs);
    const failed = (err: unknown): void => {
      if (settle()) dead(`OPTIONS failed: ${err instanceof Error ? err.message : String(err)}`);
    };
    try {
      d.request({ method: 'OPTIONS' }, (err, res) => {
        if (err || !res) failed(err ?? new Error('no response'));
        else if (res.status >= 200 && settle()) {
          if (res.status === 408 || res.status === 481) dead(`OPTIONS answered ${res.status}`);
          else if (res.status === 503 && ++unavailable >= 2) dead('OPTIONS answered 503 twice in a row (the far end unreachable)');
          else {
            if (res.status !== 503) unavailable = 0;
            next = clock.setTimeout(ping, unavailable > 0 ? Math.min(intervalMs, RECHECK_AFTER_503_MS) : intervalMs);
          }
        }
      });
    } catch (err) {
      failed(err);
    }
  };

  next = clock.setTimeout(ping, intervalMs);
  return stop;
}
