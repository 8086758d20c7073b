import { pino } from 'pino';
import type { Logger } from './core/logger.js';

/**
 * Secrets never reach a log line: API tokens (the Authorization header, wherever a request object is logged),
 * passwords and tokens in logged bodies or options.
 */
export const REDACT_PATHS = ['req.headers.authorization', 'headers.authorization', 'authorization', 'password', 'token', 'secret', '*.password', '*.token', '*.secret'];

/** The process logger: JSON lines on stdout (pino). Each call gets a child logger bound to its call id. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger & pino.Logger {
  const opts = { level, base: { app: 'hotline-acd' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(opts, destination) : pino(opts);
}
