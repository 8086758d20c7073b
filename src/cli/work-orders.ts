import type { Command } from 'commander';
import { SystemClock } from '../core/clock.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { InvalidInputError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { Db } from '../store/pg/db.js';
import { migrate } from '../store/pg/migrate.js';
import { WebhookRepository } from '../webhooks/repository.js';
import { parseCategories, WORK_ORDER_STATUSES, type WorkOrderStatus } from '../workflow/work-order-rules.js';
import { WorkOrderService, type Actor, type WorkOrder } from '../workflow/work-orders.js';

interface ListOptions {
  status?: string;
  category?: string;
  overdue?: boolean;
  escalated?: boolean;
  agent?: string;
  call?: string;
  limit: string;
  json?: boolean;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

/** `acd work-orders list`: the same service and filters as GET /api/work-orders, read as an admin. */
export function register(program: Command): void {
  const wo = program.command('work-orders').description('work orders and complaints (工单, standard §6-§7)');
  wo.command('list')
    .description('work orders, newest first')
    .option('--status <status>', WORK_ORDER_STATUSES.join(' | '))
    .option('--category <id>', 'e.g. complaint')
    .option('--overdue', 'only complaints past their answer deadline')
    .option('--escalated', 'only orders escalated for not being accepted in time')
    .option('--agent <id>', 'owning agent')
    .option('--call <id>', 'call id')
    .option('--limit <n>', '1-1000', '100')
    .option('--json', 'print JSON')
    .action(async (o: ListOptions) => {
      if (o.status !== undefined && !(WORK_ORDER_STATUSES as readonly string[]).includes(o.status)) throw new InvalidInputError('status', `must be one of ${WORK_ORDER_STATUSES.join(', ')}`);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('limit', 'must be a whole number from 1 to 1000');
      await withService(async (svc) => {
        const cli: Actor = { role: 'admin', name: 'cli', agentId: null };
        const list = await svc.list(
          cli,
          { status: o.status as WorkOrderStatus | undefined, category: o.category, overdue: o.overdue, escalated: o.escalated, agentId: o.agent, callId: o.call },
          { limit, offset: 0 },
        );
        if (o.json) {
          console.log(JSON.stringify(list, null, 2));
          return;
        }
        printTable(list);
      });
    });
}

function printTable(list: WorkOrder[]): void {
  const rows = [['ID', 'CREATED', 'CATEGORY', 'STATUS', 'OWNER', 'PROVIDER', 'FLAGS', 'DUE', 'CALL', 'NEED']];
  for (const w of list) {
    const flags = [w.escalated ? 'escalated' : '', w.overdue ? 'overdue' : ''].filter(Boolean).join(',') || '-';
    rows.push([w.id, iso(w.createdAt), w.category, w.status, w.ownerAgentId ?? '-', w.providerId ?? '-', flags, iso(w.answerDueAt ?? w.escalateAt), w.callId, w.need.slice(0, 40)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function withService(fn: (svc: WorkOrderService) => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(`acd work-orders: ${p}`);
    process.exitCode = 1;
    return;
  }
  await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const db = new Db({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 2 });
  try {
    await fn(
      new WorkOrderService({
        db,
        webhooks: new WebhookRepository(db),
        clock: new SystemClock(),
        logger: silentLogger,
        categories: parseCategories(config.WORK_ORDER_CATEGORIES),
        acceptWithinMs: config.WORK_ORDER_ACCEPT_MINUTES * 60_000,
        // Listing reads rows only: no calendar or live calls needed.
        calendar: () => undefined,
        liveCalls: { call: () => null },
      }),
    );
  } finally {
    await db.close();
  }
}
