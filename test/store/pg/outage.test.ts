import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../../src/store/pg/db.js';
import { StoreError } from '../../../src/store/pg/errors.js';
import { CallRecordRepository, type CallRecord } from '../../../src/store/pg/call-records.js';
import { OfferRepository } from '../../../src/store/pg/offers.js';
import { AgentStateHistoryRepository } from '../../../src/store/pg/agent-states.js';
import { DurableRecorder } from '../../../src/store/pg/recorder.js';
import { Spool } from '../../../src/store/pg/spool.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

let t: TestDb;
let spoolDir: string;
beforeAll(async () => {
  t = await createTestDb('outage');
  spoolDir = await mkdtemp(join(tmpdir(), 'acd-spool-'));
});
afterAll(async () => {
  await t.drop();
  await rm(spoolDir, { recursive: true, force: true });
});

/** A port nothing listens on yet; `open()` then forwards it to the real PostgreSQL, as if the server came back. */
async function flakyPostgres(): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    open: async () => {
      server = createServer((client) => {
        const upstream = connect(5432, '127.0.0.1');
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

function recorderOn(db: Db, clock = new VirtualClock(0)): DurableRecorder {
  return new DurableRecorder({
    callRecords: new CallRecordRepository(db),
    offers: new OfferRepository(db),
    agentStates: new AgentStateHistoryRepository(db),
    spool: new Spool(spoolDir),
    clock,
    logger: silentLogger,
    replayEveryMs: 1_000,
  });
}

const record: CallRecord = { callId: 'outage-1', callerNumber: '13900139000', arrivalAt: Date.UTC(2026, 10, 24, 10), hangupAt: Date.UTC(2026, 10, 24, 10, 1), whoHungUp: 'system', disposition: 'silent' };

describe('PostgreSQL outage', () => {
  it('raises PG_UNAVAILABLE, spools the call record, and replays it exactly once when the server is back', async () => {
    const pgProxy = await flakyPostgres();
    closers.push(() => pgProxy.close());
    const db = new Db({ url: `postgres://postgres@127.0.0.1:${pgProxy.port}/test`, schema: t.schema, limits: { connectTimeoutMs: 1_000 } });
    closers.push(() => db.close());

    const err = await new CallRecordRepository(db).write(record).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('PG_UNAVAILABLE');

    const recorder = recorderOn(db);
    // The cleanup path may run twice during the outage: both go to the spool, the database gets one row.
    expect(await recorder.writeCallRecord(record)).toBe('spooled');
    expect(await recorder.writeCallRecord(record)).toBe('spooled');
    expect(await recorder.writeOffer({ callId: 'outage-1', agentId: '1001', offeredAt: record.arrivalAt + 5_000, outcome: 'cancelled', rings: 0.2 })).toBe('spooled');
    expect(await new Spool(spoolDir).pendingCount()).toBe(3);

    // Still down: replay keeps everything.
    expect(await recorder.replay()).toEqual({ replayed: 0, rejected: 0, remaining: 3 });

    await pgProxy.open();
    expect(await recorder.replay()).toEqual({ replayed: 3, rejected: 0, remaining: 0 });
    expect(await recorder.replay()).toEqual({ replayed: 0, rejected: 0, remaining: 0 });
    expect(await recorder.writeCallRecord(record)).toBe('duplicate');

    const rows = await t.pool.query('SELECT call_id, disposition FROM call_records WHERE call_id = $1', ['outage-1']);
    expect(rows.rows).toEqual([{ call_id: 'outage-1', disposition: 'silent' }]);
    const offers = await t.pool.query("SELECT count(*)::int AS n FROM call_offers WHERE call_id = 'outage-1'");
    expect(offers.rows[0].n).toBe(1);
    expect(await new Spool(spoolDir).pendingCount()).toBe(0);
  });

  it('treats a server that accepts the connection but never answers as an outage (bounded wait)', async () => {
    const held = new Set<Socket>();
    const silent = createServer((s) => void held.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    closers.push(() => {
      for (const s of held) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as { port: number }).port;
    const db = new Db({ url: `postgres://postgres@127.0.0.1:${port}/test`, schema: t.schema, limits: { connectTimeoutMs: 300 } });
    closers.push(() => db.close());
    expect(await recorderOn(db).writeCallRecord({ ...record, callId: 'outage-silent' })).toBe('spooled');
    // Replayed by a recorder on the live server: exactly one row.
    expect((await recorderOn(t.db).replay()).remaining).toBe(0);
    const rows = await t.pool.query("SELECT count(*)::int AS n FROM call_records WHERE call_id = 'outage-silent'");
    expect(rows.rows[0].n).toBe(1);
  });

  it('replays in the background on the clock once started', async () => {
    const pgProxy = await flakyPostgres();
    closers.push(() => pgProxy.close());
    const db = new Db({ url: `postgres://postgres@127.0.0.1:${pgProxy.port}/test`, schema: t.schema, limits: { connectTimeoutMs: 1_000 } });
    closers.push(() => db.close());
    const clock = new VirtualClock(0);
    const recorder = recorderOn(db, clock);
    closers.push(() => Promise.resolve(recorder.stop()));
    expect(await recorder.writeCallRecord({ ...record, callId: 'outage-2' })).toBe('spooled');
    recorder.start();
    await pgProxy.open();
    for (let i = 0; i < 50 && (await new Spool(spoolDir).pendingCount()) > 0; i++) {
      await clock.advanceAsync(1_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await new Spool(spoolDir).pendingCount()).toBe(0);
    const rows = await t.pool.query("SELECT count(*)::int AS n FROM call_records WHERE call_id = 'outage-2'");
    expect(rows.rows[0].n).toBe(1);
  });

  it('moves an entry the database refuses for good to rejected.jsonl instead of blocking the spool', async () => {
    const spool = new Spool(spoolDir);
    await spool.append({ kind: 'call-record', data: { callId: 'outage-3', arrivalAt: 0, disposition: 'nonsense' } });
    await spool.append({ kind: 'call-record', data: { ...record, callId: 'outage-4' } });
    const result = await recorderOn(t.db).replay();
    expect(result).toEqual({ replayed: 1, rejected: 1, remaining: 0 });
    expect(await readFile(join(spoolDir, 'rejected.jsonl'), 'utf8')).toContain('outage-3');
    const rows = await t.pool.query("SELECT call_id FROM call_records WHERE call_id IN ('outage-3', 'outage-4')");
    expect(rows.rows).toEqual([{ call_id: 'outage-4' }]);
  });
});
