import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/logging.js';
import { ApiTokenRepository } from '../../src/store/pg/api-tokens.js';
import { Db } from '../../src/store/pg/db.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { apiWorld, bearer } from './support.js';

/** A TCP server that accepts connections and never answers: a hung PostgreSQL or Redis. */
let silent: Server;
const sockets = new Set<Socket>();
let port = 0;
beforeAll(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

describe('a dependency that does not answer', () => {
  it('Redis hung: 503 DEPENDENCY_TIMEOUT at the deadline, not a hang', async () => {
    // Connects, then never answers (not even the hand-shake): every command waits.
    const hung = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    const store = new RedisAcdStore({ redis: hung, hotlineId: 'hung', clock: new VirtualClock(0), leaseMs: 10_000 });
    const w = await apiWorld('api_hung_redis', { acd: store, dependencyTimeoutMs: 400 });
    try {
      const start = performance.now();
      const res = await w.app.inject({ url: '/api/queues', headers: bearer(w.token.supervisor) });
      const ms = performance.now() - start;
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('DEPENDENCY_TIMEOUT');
      expect(ms).toBeGreaterThanOrEqual(390);
      expect(ms).toBeLessThan(2_000);
      // A route that does not need the hung dependency still answers.
      expect((await w.app.inject({ url: '/api/agents', headers: bearer(w.token.supervisor) })).statusCode).toBe(200);
    } finally {
      hung.disconnect();
      await w.close();
    }
  });

  it('PostgreSQL hung: the token check answers 503 DEPENDENCY_TIMEOUT', async () => {
    const db = new Db({ url: `postgres://postgres@127.0.0.1:${port}/test`, schema: 'hung', limits: { connectTimeoutMs: 1_500 } });
    const w = await apiWorld('api_hung_pg', { tokens: new ApiTokenRepository(db), dependencyTimeoutMs: 400 });
    try {
      const res = await w.app.inject({ url: '/api/queues', headers: bearer(w.token.supervisor) });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('DEPENDENCY_TIMEOUT');
    } finally {
      await w.close();
      await db.close().catch(() => undefined);
    }
  });

  it('PostgreSQL refusing connections: 503 PG_UNAVAILABLE', async () => {
    const db = new Db({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'down' });
    const w = await apiWorld('api_pg_down', { tokens: new ApiTokenRepository(db) });
    try {
      const res = await w.app.inject({ url: '/api/queues', headers: bearer(w.token.supervisor) });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('PG_UNAVAILABLE');
    } finally {
      await w.close();
      await db.close();
    }
  });
});

describe('a streamed CSV export', () => {
  it('runs past the dependency deadline once its answer has started (the deadline cuts only a hang)', async () => {
    const w = await apiWorld('api_csv_long', { dependencyTimeoutMs: 100 });
    try {
      await w.tdb.db.query('seed', `INSERT INTO call_records (call_id, caller_number, queue_id, arrival_at, disposition)
        SELECT 'x' || g, '1390' || lpad(g::text, 7, '0'), 'general', now() - (g || ' seconds')::interval, 'abandoned' FROM generate_series(1, 20000) g`);
      const start = performance.now();
      const res = await w.app.inject({ url: '/api/call-records.csv', headers: bearer(w.token.supervisor) });
      expect(performance.now() - start).toBeGreaterThan(100);
      expect(res.statusCode).toBe(200);
      const lines = res.body.split('\r\n');
      expect(lines).toHaveLength(20002);
      expect(lines[20000]).toMatch(/^x1,/);
    } finally {
      await w.close();
    }
  });
});

describe('tokens', () => {
  it('a revoked token stops working once the 10 s cache has passed; only hashes are stored', async () => {
    const w = await apiWorld('api_revoke');
    try {
      const { token, record } = await w.tokens.create({ name: 'temp', role: 'supervisor' });
      expect((await w.app.inject({ url: '/api/queues', headers: bearer(token) })).statusCode).toBe(200);
      expect(await w.tokens.revoke(record.id)).toBe(true);
      expect(await w.tokens.revoke(record.id)).toBe(false);
      // Cached: at most 10 s more.
      w.clock.advance(9_000);
      expect((await w.app.inject({ url: '/api/queues', headers: bearer(token) })).statusCode).toBe(200);
      w.clock.advance(1_001);
      const res = await w.app.inject({ url: '/api/queues', headers: bearer(token) });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('UNAUTHENTICATED');

      const stored = await w.tdb.db.query<{ token_sha256: string }>('t', 'SELECT token_sha256 FROM api_tokens');
      expect(stored.rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_sha256) && r.token_sha256 !== token)).toBe(true);
      expect((await w.tokens.list()).find((t) => t.id === record.id)!.revokedAt).not.toBeNull();
      await expect(w.tokens.create({ name: 'x', role: 'agent' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(w.tokens.create({ name: 'x', role: 'agent', agentId: 'ghost' })).rejects.toMatchObject({ code: 'UNKNOWN_AGENT' });
    } finally {
      await w.close();
    }
  });
});

describe('logs', () => {
  it('never carry a token or a password', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger('debug', sink);
    const w = await apiWorld('api_logs', {}, logger);
    try {
      await w.app.inject({ url: '/api/queues', headers: bearer(w.token.admin) });
      await w.app.inject({ url: '/api/queues', headers: bearer('acd_wrong-token') });
      await w.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(w.token.admin), payload: { sipUsername: '8100', name: 'P', password: 'hunter2-secret' } });
      // Whatever logs a request or options object with secrets in it.
      logger.warn({ req: { headers: { authorization: `Bearer ${w.token.admin}` } }, password: 'hunter2-secret', opts: { token: w.token.admin } }, 'probe');
      const all = lines.join('');
      expect(all).toContain('probe');
      expect(all).toContain('[redacted]');
      for (const secret of [w.token.admin, 'acd_wrong-token', 'hunter2-secret']) expect(all).not.toContain(secret);
    } finally {
      await w.close();
    }
  });
});

