import type { Command } from 'commander';
import { parseDeadlineDays } from '../callbacks/deadline.js';
import { CallbackService } from '../callbacks/service.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { SystemClock } from '../core/clock.js';
import { InvalidInputError } from '../core/errors.js';
import { loadDir } from '../ivr/load.js';
import { validateProject } from '../ivr/validate.js';
import { CALLBACK_STATUSES, CallbackRepository, type Callback, type CallbackStatus } from '../store/pg/callbacks.js';
import { Db } from '../store/pg/db.js';
import { migrate } from '../store/pg/migrate.js';
import { WebhookRepository } from '../webhooks/repository.js';

/** `acd callbacks list|add|cancel`: the callback tasks, through the same service as the API and the IVR. */
export function register(program: Command): void {
  const cmd = program.command('callbacks').description('callback tasks: list (overdue too), add, cancel');

  cmd
    .command('list')
    .description('tasks by deadline')
    .option('--status <status>', CALLBACK_STATUSES.join(' | '))
    .option('--queue <id>')
    .option('--overdue', 'only open tasks past their deadline')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (o: { status?: string; queue?: string; overdue?: boolean; limit: string; json?: boolean }) => {
      if (o.status !== undefined && !(CALLBACK_STATUSES as readonly string[]).includes(o.status)) throw new InvalidInputError('status', `must be one of ${CALLBACK_STATUSES.join(', ')}`);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('limit', 'must be 1..1000');
      await withService(async (svc, now) => {
        const list = await svc.list({ ...(o.status ? { status: o.status as CallbackStatus } : {}), ...(o.queue ? { queueId: o.queue } : {}), ...(o.overdue ? { overdue: true } : {}) }, { limit, offset: 0 });
        if (o.json) {
          console.log(JSON.stringify(list, null, 2));
          return;
        }
        const rows = [['ID', 'NUMBER', 'QUEUE', 'SOURCE', 'REASON', 'STATUS', 'TRIES', 'DUE', 'NEXT']];
        for (const c of list) rows.push(row(c, now));
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      });
    });

  cmd
    .command('add <number>')
    .description('create a task; its deadline follows the reason on the hotline calendar')
    .option('--reason <reason>', 'complaint, return-visit, after-hours, ... (CALLBACK_DEADLINE_DAYS)')
    .option('--queue <id>')
    .option('--agent <id>', 'preferred agent')
    .option('--note <text>')
    .action(async (number: string, o: { reason?: string; queue?: string; agent?: string; note?: string }) => {
      await withService(async (svc, now) => {
        const c = await svc.request({ number, source: 'api', ...(o.reason ? { reason: o.reason } : {}), ...(o.queue ? { queueId: o.queue } : {}), ...(o.agent ? { preferredAgentId: o.agent } : {}), ...(o.note ? { note: o.note } : {}) });
        console.log(`callback ${c.id} for ${c.requestedNumber}: due ${new Date(c.dueAt).toISOString()}, first dial ${new Date(c.nextAttemptAt).toISOString()}${c.dueAt < now ? ' (overdue)' : ''}`);
      });
    });

  cmd
    .command('cancel <id>')
    .description('cancel an open task')
    .action(async (id: string) => {
      await withService(async (svc) => {
        const c = await svc.cancel(id);
        console.log(`callback ${c.id} cancelled`);
      });
    });
}

function row(c: Callback, now: number): string[] {
  const overdue = (c.status === 'pending' || c.status === 'in-progress') && c.dueAt < now;
  return [c.id, c.requestedNumber, c.queueId ?? '-', c.source, c.reason ?? '-', overdue ? `${c.status} OVERDUE` : c.status, String(c.attempts), new Date(c.dueAt).toISOString(), new Date(c.nextAttemptAt).toISOString()];
}

async function withService(fn: (svc: CallbackService, now: number) => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(`acd callbacks: ${p}`);
    process.exitCode = 1;
    return;
  }
  // The calendar and queues as the server would load them from FLOWS_DIR.
  const project = validateProject(await loadDir(config.FLOWS_DIR));
  const flows = [...project.flows.values()];
  const calendar = flows.map((f) => f.calendars.get(config.CALLBACK_CALENDAR)).find((c) => c !== undefined);
  await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const db = new Db({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 2 });
  const clock = new SystemClock();
  try {
    const svc = new CallbackService({
      repo: new CallbackRepository(db, new WebhookRepository(db)),
      calendar: () => calendar,
      policy: { deadlineDays: parseDeadlineDays(config.CALLBACK_DEADLINE_DAYS), maxAttempts: config.CALLBACK_MAX_ATTEMPTS, retrySpacingMs: config.CALLBACK_RETRY_MS },
      clock,
      defaultQueue: () => project.queues?.[0]?.id,
    });
    await fn(svc, clock.now());
  } finally {
    await db.close();
  }
}
