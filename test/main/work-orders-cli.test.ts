import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { Db } from '../../src/store/pg/db.js';
import { migrate } from '../../src/store/pg/migrate.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';
import { answeredCall, workOrderService } from '../workflow/support.js';

// `acd work-orders list` calls the same service as GET /api/work-orders, on the database of DATABASE_URL/SCHEMA.
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const schema = uniqueSchema('work_orders_cli');
let db: Db;
beforeAll(async () => {
  await migrate({ url: TEST_DATABASE_URL, schema });
  db = new Db({ url: TEST_DATABASE_URL, schema, max: 2 });
});
afterAll(async () => {
  await db?.close();
  await dropSchema(schema);
});

function acd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ['src/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('acd work-orders list', () => {
  it('lists with the API\'s filters, as a table or JSON; bad input is one line', async () => {
    const clock = new VirtualClock(Date.parse('2026-12-07T02:00:00Z'));
    const svc = workOrderService(db, clock);
    const sup = { role: 'supervisor' as const, name: 'floor', agentId: null };
    await answeredCall(db, 'cli-1', 'a1', clock.now());
    const repair = await svc.create(sup, { callId: 'cli-1', category: 'repair', callerName: 'Zhang', address: '1 Road', contactNumber: '13800000001', need: 'burst pipe' });
    const complaint = await svc.create(sup, { callId: 'cli-1', category: 'complaint', callerName: 'Zhang', contactNumber: '13800000001', need: 'slow answer' });

    // Each spawn starts tsx afresh (seconds on a loaded machine): three runs, in parallel.
    const [table, json, bad] = await Promise.all([
      acd(['work-orders', 'list', '--call', 'cli-1']),
      acd(['work-orders', 'list', '--category', 'complaint', '--json']),
      acd(['work-orders', 'list', '--status', 'lost']),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+CREATED\s+CATEGORY\s+STATUS\s+OWNER/);
    const lines = table.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['ID', complaint.id, repair.id]);
    expect(lines[2]).toContain('burst pipe');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id: complaint.id, ownerAgentId: 'a1', status: 'open', category: 'complaint' })]);

    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('acd: INVALID_INPUT: status: must be one of open, dispatched, accepted, answered, closed');
  }, 180_000);
});
