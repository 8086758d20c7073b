import { pino } from 'pino';
import type { Logger } from './core/logger.js';

/**
 * Secrets never reach a log line: API tokens (the Authorization header, wherever a request object is logged),
 * passwords and tokens in logged bodies or options.
 */
export const REDACT_PATHS = ['req.headers.authorization', 'headers.authorization', 'authorization', 'password', 'token', 'secret', '*.password', '*.token', '*.secret'];

/** A URL with its `access_token` query value (the wallboard's event stream takes one) replaced by [redacted]. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * fastify's request serializer (it takes the logger's own over its default), with the URL redacted: a token in
 * a query string would otherwise be written on every "incoming request" line.
 */
const serializers = {
  req: (req: LoggedRequest) => ({ method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort }),
};

/** The process logger: JSON lines on stdout (pino). Each call gets a child logger bound to its call id. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger & pino.Logger {
  const opts = { level, base: { app: 'hotline-acd' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers };
  return destination ? pino(opts, destination) : pino(opts);
}

/** The part of `process` the last-resort handlers use (a test passes an EventEmitter). */
export interface ProcessHooks {
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (reason: unknown) => void): unknown;
  off(event: 'unhandledRejection' | 'uncaughtException', listener: (reason: unknown) => void): unknown;
  exit(code: number): never | void;
}

/**
 * Last-resort handlers (issue 9 item 13). No promise should float (lint forbids it), but a library's or a bug's
 * may. An unhandled rejection is logged with its stack and the server keeps serving: the promise's owner is gone,
 * nothing is left half-done in this process's state by it, and dropping every live call would be worse. An uncaught
 * exception is different: it unwound a stack in the middle of some state change, so after logging it the process
 * exits 1 and the supervisor restarts it (other instances take over its calls at lease expiry).
 * Returns a function that removes the handlers.
 */
export function installLastResort(logger: Logger, proc: ProcessHooks = process): () => void {
  const onRejection = (reason: unknown): void => {
    logger.error({ err: reason, lastResort: 'unhandledRejection' }, 'unhandled promise rejection (a bug): logged; still serving');
  };
  const onException = (err: unknown): void => {
    logger.error({ err, lastResort: 'uncaughtException' }, 'uncaught exception (a bug): exiting so the supervisor restarts a clean process');
    proc.exit(1);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
