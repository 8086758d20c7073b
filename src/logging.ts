import { pino } from 'pino';
import type { Logger } from './core/logger.js';

/** The process logger: JSON lines on stdout (pino). Each call gets a child logger bound to its call id. */
export function createLogger(level: string): Logger & pino.Logger {
  return pino({ level, base: { app: 'hotline-acd' } });
}
