import { createServer } from 'node:net';
import { HotlineError } from './core/errors.js';

/** One line for why a listener could not start (issue 9 item 16), by the socket error's code. */
export function listenFailed(what: string, host: string, port: number, err: unknown): HotlineError {
  const code = (err as { code?: unknown }).code;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use (another process listens there)'
      : code === 'EADDRNOTAVAIL'
        ? 'this machine has no such address'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'the host name does not resolve'
          : code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : err instanceof Error
              ? err.message
              : String(err);
  return new HotlineError('LISTEN_FAILED', `cannot listen for ${what} on ${host}:${port}: ${why}`, { what, host, port, errno: code }, { cause: err });
}

/**
 * Bind and release `host:port`, so a port in use or a bad address fails start-up at once with LISTEN_FAILED,
 * before anything is connected, rather than after (fsmrf only listens once FreeSWITCH answers).
 */
export async function checkListen(what: string, host: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenFailed(what, host, port, err)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
