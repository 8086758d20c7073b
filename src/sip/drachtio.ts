import Srf from 'drachtio-srf';
import type { Clock } from '../core/clock.js';
import { HotlineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface DrachtioOptions {
  host: string;
  port: number;
  secret: string;
  /** Keep retrying this long, then give up with DRACHTIO_UNAVAILABLE. */
  timeoutMs: number;
}

/** The parts of drachtio-srf's wire protocol that stop its reconnect loop (it has no public "give up"). */
interface WireProtocolInternals {
  closing: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
  socket?: { destroy(): void };
}

/**
 * The one place that connects to drachtio-server's admin socket. drachtio-srf retries by itself (backing off up to
 * 2 s); every failed attempt is logged, so an operator starting `acd serve` without drachtio-server sees why it
 * waits. After `timeoutMs` without a connection the retries stop and DRACHTIO_UNAVAILABLE names the address and
 * the last socket error. Once connected, drachtio-srf keeps reconnecting on its own after a drachtio-server restart.
 */
export async function connectDrachtio(opts: DrachtioOptions, clock: Clock, log: Logger): Promise<Srf> {
  const srf = new Srf();
  const where = `${opts.host}:${opts.port}`;
  let attempt = 0;
  let lastError: Error | undefined;
  let settled = false;
  const connected = new Promise<void>((resolve, reject) => {
    const giveUp = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      stopReconnecting(srf);
      const why = lastError ? `: ${lastError.message}` : '';
      reject(
        new HotlineError('DRACHTIO_UNAVAILABLE', `cannot connect to drachtio-server at ${where}${why} (gave up after ${opts.timeoutMs} ms)`, {
          host: opts.host,
          port: opts.port,
          attempts: attempt,
        }),
      );
    }, opts.timeoutMs);
    // drachtio-srf reports a refused secret as a 'connect' event with an error: retrying cannot fix that.
    srf.on('connect', (err: unknown) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(giveUp);
      if (err instanceof Error) {
        disconnectDrachtio(srf);
        reject(new HotlineError('DRACHTIO_UNAVAILABLE', `drachtio-server at ${where} refused the secret (check DRACHTIO_SECRET)`, { host: opts.host, port: opts.port }));
        return;
      }
      resolve();
    });
    srf.on('error', (err: Error) => {
      if (settled) return;
      attempt++;
      lastError = err;
      log.warn({ attempt, drachtio: where, error: err.message }, 'drachtio-server not reachable yet; retrying');
    });
  });
  // `reconnect` is read by drachtio-srf's wire protocol but missing from its typings.
  const connectOpts = { host: opts.host, port: opts.port, secret: opts.secret, reconnect: { retryMaxDelay: 2_000 } };
  void srf.connect(connectOpts);
  await connected;
  // From now on a lost connection is an incident, not a start-up wait: log it, drachtio-srf reconnects.
  srf.removeAllListeners('error');
  srf.on('error', (err: Error) => log.error({ err, drachtio: where }, 'drachtio connection error'));
  log.info({ drachtio: where, attempts: attempt + 1 }, 'connected to drachtio-server');
  return srf;
}

/**
 * Stop drachtio-srf's reconnect loop. srf.disconnect() cannot: with no socket connected it throws (issue 9 item 12).
 */
export function stopReconnecting(srf: Srf): void {
  const wp = ((srf as unknown as { app?: unknown }).app as { client?: { wp?: WireProtocolInternals } }).client?.wp;
  if (!wp) return;
  wp.closing = true;
  if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  if (wp.reconnectVars) wp.reconnectVars.retryTimer = null;
  wp.socket?.destroy();
}

/** Close a connected srf; a no-op when nothing is connected (srf.disconnect() would throw). */
export function disconnectDrachtio(srf: Srf): void {
  try {
    srf.disconnect();
  } catch {
    // not connected: nothing to close
  }
  stopReconnecting(srf);
}
