import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.js';
import { InvalidInputError } from '../core/errors.js';
import { API_ROLES, ApiTokenRepository, type ApiRole } from '../store/pg/api-tokens.js';
import { Db } from '../store/pg/db.js';
import { migrate } from '../store/pg/migrate.js';

/** `acd tokens create|list|revoke`: bearer tokens of the HTTP API, stored as SHA-256 in PostgreSQL. */
export function register(program: Command): void {
  const tokens = program.command('tokens').description('HTTP API tokens (admin, supervisor, agent, provider): create, list, revoke');

  tokens
    .command('create')
    .description('create a token; it is printed once and only its hash is stored')
    .requiredOption('--role <role>', API_ROLES.join(' | '))
    .requiredOption('--name <name>', 'who or what uses it, e.g. "wallboard" or "Li Na"')
    .option('--agent <id>', 'for --role agent: the agent id the token acts for (and only that one)')
    .option('--provider <id>', 'for --role provider: the work-order provider the token accepts orders for')
    .action(async (o: { role: string; name: string; agent?: string; provider?: string }) => {
      if (!(API_ROLES as readonly string[]).includes(o.role)) throw new InvalidInputError('role', `must be one of ${API_ROLES.join(', ')}`);
      await withTokens(async (repo) => {
        const { token, record } = await repo.create({ name: o.name, role: o.role as ApiRole, ...(o.agent !== undefined ? { agentId: o.agent } : {}), ...(o.provider !== undefined ? { providerId: o.provider } : {}) });
        const forWhom = record.agentId ? ` for agent ${record.agentId}` : record.providerId ? ` for provider ${record.providerId}` : '';
        console.error(`token ${record.id} (${record.role}${forWhom}, "${record.name}"); shown only now:`);
        console.log(token);
      });
    });

  tokens
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withTokens(async (repo) => {
        const list = await repo.list();
        if (o.json) {
          console.log(JSON.stringify(list, null, 2));
          return;
        }
        const rows = [['ID', 'ROLE', 'AGENT', 'NAME', 'CREATED', 'REVOKED']];
        for (const t of list) rows.push([t.id, t.role, t.agentId ?? (t.providerId ? `provider:${t.providerId}` : '-'), t.name, new Date(t.createdAt).toISOString(), t.revokedAt ? new Date(t.revokedAt).toISOString() : '-']);
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      });
    });

  tokens
    .command('revoke <id>')
    .description('revoke a token (running servers stop accepting it within 10 s, their cache time)')
    .action(async (id: string) => {
      await withTokens(async (repo) => {
        if (!(await repo.revoke(id))) throw new InvalidInputError('id', `no live token ${id} (see \`acd tokens list\`)`);
        console.log(`token ${id} revoked`);
      });
    });
}

async function withTokens(fn: (repo: ApiTokenRepository) => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(`acd tokens: ${p}`);
    process.exitCode = 1;
    return;
  }
  await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const db = new Db({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 2 });
  try {
    await fn(new ApiTokenRepository(db));
  } finally {
    await db.close();
  }
}
