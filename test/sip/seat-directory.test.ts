import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type Srf from 'drachtio-srf';
import { SystemClock, VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createAuthenticator } from '../../src/sip/auth.js';
import { FailureLimiter } from '../../src/sip/failure-limiter.js';
import { SeatDirectory } from '../../src/sip/seat-directory.js';
import { AgentRepository } from '../../src/store/pg/agents.js';
import { Db } from '../../src/store/pg/db.js';
import { createTestDb, type TestDb } from '../support/pg.js';

// Issue 9 items 15 and 22: INVITE and REGISTER authentication read seat credentials from memory; PostgreSQL going
// away after the directory warmed up changes nothing for seats, and no INVITE costs a query.
const REALM = 'hotline.test';
let t: TestDb;
let admin: AgentRepository;

/** A TCP forwarder to the real PostgreSQL that can be cut: "PostgreSQL unreachable" without touching the server. */
async function cuttablePostgres(): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    cut: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** A digest-authenticated INVITE as a softphone sends it, answered into `statuses`. */
function invite(username: string, password: string, statuses: number[]): { req: Srf.SrfRequest; res: Srf.SrfResponse } {
  const uri = `sip:4001@${REALM}`;
  const nonce = 'abc123';
  const ha1 = createHash('md5').update(`${username}:${REALM}:${password}`).digest('hex');
  const ha2 = createHash('md5').update(`INVITE:${uri}`).digest('hex');
  const response = createHash('md5').update(`${ha1}:${nonce}:${ha2}`).digest('hex');
  const req = {
    method: 'INVITE',
    uri,
    source_address: '192.0.2.10',
    authorization: { scheme: 'digest', username, realm: REALM, nonce, uri, response },
    has: () => false,
    get: () => undefined,
  } as unknown as Srf.SrfRequest;
  const res = { send: (status: number) => statuses.push(status) } as unknown as Srf.SrfResponse;
  return { req, res };
}

beforeAll(async () => {
  t = await createTestDb('seatdir');
  admin = new AgentRepository(t.db);
  await admin.create({ sipUsername: '1001', name: 'Wang Fang', password: 'secret-1001', realm: REALM });
  await admin.create({ sipUsername: '1002', name: 'Li Na', password: 'secret-1002', realm: REALM });
});
afterAll(() => t.drop());

describe('SeatDirectory', () => {
  it('PostgreSQL unreachable after warm-up: seats still authenticate their INVITEs, wrong passwords still fail', async () => {
    const proxy = await cuttablePostgres();
    const db = new Db({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, schema: t.schema, limits: { connectTimeoutMs: 500, queryTimeoutMs: 1000 } });
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (_o: unknown, m?: string) => void warnings.push(m ?? '') };
    const seats = new SeatDirectory(new AgentRepository(db), new SystemClock(), log, { refreshMs: 60_000 });
    try {
      await seats.start();
      expect(seats.size).toBe(2);
      await proxy.cut();
      // What INVITE authentication did before (one query per INVITE) fails now.
      await expect(new AgentRepository(db).findCredential('1001')).rejects.toMatchObject({ code: 'PG_UNAVAILABLE' });
      // The periodic refresh fails now: logged, and the last credentials stay.
      expect(await seats.refresh()).toBe(false);
      expect(warnings).toContain('seat credentials not refreshed; the last known ones stay in use');
      expect(seats.size).toBe(2);

      const authenticate = createAuthenticator(seats, REALM, new FailureLimiter(new VirtualClock(), { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 }));
      const statuses: number[] = [];
      const started = Date.now();
      const ok = invite('1001', 'secret-1001', statuses);
      expect(await authenticate(ok.req, ok.res)).toBe('1001');
      // Answered from memory: nowhere near the pool's time limits.
      expect(Date.now() - started).toBeLessThan(200);
      const wrong = invite('1002', 'not-the-password', statuses);
      expect(await authenticate(wrong.req, wrong.res)).toBeUndefined();
      expect(statuses).toEqual([403]);
      expect(await seats.findCredential('9999')).toBeUndefined();
    } finally {
      await seats.close();
      await db.close();
    }
  });

  it('INVITEs never query PostgreSQL; an unknown REGISTER user triggers one throttled re-read', async () => {
    let reads = 0;
    const source = {
      credentials: async () => {
        reads++;
        return admin.credentials();
      },
    };
    const clock = new VirtualClock(1_000_000);
    const seats = new SeatDirectory(source, clock, silentLogger, { refreshMs: 30_000, unknownRefreshMinMs: 5_000 });
    await seats.start();
    expect(reads).toBe(1);
    for (let i = 0; i < 100; i++) await seats.findCredential(`caller-${i}`);
    expect(await seats.findCredential('1001')).toMatchObject({ agentId: '1001', realm: REALM });
    expect(reads).toBe(1);

    // A seat provisioned a moment ago registers: found by the re-read its REGISTER triggers.
    await admin.create({ sipUsername: '1003', name: 'Zhang Wei', password: 'secret-1003', realm: REALM });
    expect(await seats.forRegister.findCredential('1003')).toMatchObject({ agentId: '1003' });
    expect(reads).toBe(2);
    // A flood of unknown names within the throttle window costs no further reads.
    for (let i = 0; i < 50; i++) expect(await seats.forRegister.findCredential(`bogus-${i}`)).toBeUndefined();
    expect(reads).toBe(2);

    // The periodic refresh picks up a deactivated seat.
    await t.pool.query(`UPDATE agents SET active = false WHERE id = '1002'`);
    expect(await seats.findCredential('1002')).toBeDefined();
    clock.advance(30_000);
    for (let i = 0; i < 100 && (await seats.findCredential('1002')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await seats.findCredential('1002')).toBeUndefined();
    expect(reads).toBe(3);
    await seats.close();
  });
});
