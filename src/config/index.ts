import { z } from 'zod';
import { HotlineError } from '../core/errors.js';
import { redactUrl } from './redact.js';
import { envSchema, type Env } from './schema.js';
import { planRuleProblems } from './plan.js';
import { mediaServerProblems, redactServerEntry } from './media-servers.js';
import { redisProblems } from './redis.js';

export { redactUrl } from './redact.js';
export { defaultSecretWarnings, isLoopbackHost } from './secrets.js';
export { planRuleFromEnv } from './plan.js';
export { mediaServersFromEnv, type MediaServerAddress } from './media-servers.js';
export { describeRedis, redisTopology, type RedisTopology } from './redis.js';

export type Config = Readonly<Env>;

export class ConfigError extends HotlineError {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`, { problems });
    this.problems = problems;
  }
}

/**
 * The only reader of the environment. Returns a frozen, typed config or throws ConfigError with one line per bad
 * variable ("HTTP_PORT: expected number, received 'abc'"), which start-up prints before exiting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Env> = {}): Config {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    // An empty variable means "use the default", as in most twelve-factor apps.
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, raw));
  const crossProblems = [...planRuleProblems(parsed.data), ...mediaServerProblems(parsed.data), ...redisProblems(parsed.data)];
  if (crossProblems.length > 0) throw new ConfigError(crossProblems);
  return Object.freeze({ ...parsed.data, ...overrides });
}

function formatIssues(error: z.ZodError, raw: Record<string, string | undefined>): string[] {
  return error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '?');
    // A URL may carry a password, a media-server entry its event-socket secret: never echo them.
    const v = raw[key];
    const got = v === undefined ? v : key.endsWith('_URL') ? redactUrl(v) : key === 'FREESWITCH_SERVERS' ? redactServerEntry(v) : v;
    return `${key}: ${issue.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`;
  });
}
