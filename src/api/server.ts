import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerHealth, type HealthCheck } from './health.js';

export interface ApiOptions {
  /** pino logger (fastify logs requests on it); omit for a silent app in tests. */
  logger?: FastifyBaseLogger;
  health: readonly HealthCheck[];
  isDraining: () => boolean;
}

/**
 * The HTTP app, built without listening so tests can drive it with `app.inject`. Routes register here; for now
 * only the health probe (the admin and agent APIs and the wallboard come with their issues).
 */
export function buildApi(opts: ApiOptions): FastifyInstance {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    // Deliberately small: this API takes small JSON bodies only.
    bodyLimit: 256 * 1024,
  }) as unknown as FastifyInstance;
  registerHealth(app, { checks: opts.health, isDraining: opts.isDraining });
  return app;
}
