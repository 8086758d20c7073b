/**
 * The registrar's hooks into agent state, over a stand-in for drachtio-srf's routing (the REGISTER handler is
 * called directly with a parsed registration) and the real RegistrationStore on Redis: a seat that registers is
 * logged in and reachable, a seat that un-registers stops receiving offers at once.
 */
import type Srf from 'drachtio-srf';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import { AgentService } from '../../src/call/agent-service.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { FailureLimiter } from '../../src/sip/failure-limiter.js';
import { installRegistrar } from '../../src/sip/registrar.js';
import { RegistrationStore } from '../../src/sip/registrations.js';
import { queue } from '../acd/fixtures.js';
import { testRedis, uniqueHotline } from '../support/redis.js';

type Handler = (req: unknown, res: unknown) => void;

let redis: Redis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.quit();
});

function fakeSrf(): { srf: Srf; register: () => Handler } {
  let handler: Handler | undefined;
  const srf = { use: () => undefined, register: (h: Handler) => (handler = h), options: () => undefined };
  return { srf: srf as unknown as Srf, register: () => handler! };
}

function request(type: 'register' | 'unregister', expires: number): { req: unknown; res: { status?: number; send(s: number): void; finalResponseSent: boolean } } {
  const headers: Record<string, string> = { Contact: '<sip:1001@10.0.0.5:5062>', 'User-Agent': 'Linphone' };
  const req = {
    source_address: '10.0.0.5',
    source_port: 5062,
    protocol: 'udp',
    get: (h: string) => headers[h],
    registration: { type, aor: 'sip:1001@hotline', expires, contact: [{ uri: 'sip:1001@10.0.0.5:5062' }] },
  };
  const res = {
    status: undefined as number | undefined,
    finalResponseSent: false,
    send(s: number) {
      this.status = s;
      this.finalResponseSent = true;
    },
  };
  return { req, res };
}

describe('registrar hooks', () => {
  it('REGISTER logs the seat in reachable; un-REGISTER makes it unreachable at once, and it takes no offer', async () => {
    const hotline = uniqueHotline('registrar');
    const clock = new VirtualClock(Date.now());
    const store = new MemoryAcdStore({ clock, leaseMs: 3_600_000 });
    store.configure({ skills: [], queues: [queue('q')] });
    store.renewLease('i1');
    const registrations = new RegistrationStore(redis, hotline);
    const agents = new AgentService(store, { profile: (id) => Promise.resolve({ id, name: id, skills: [] }) }, { liveUntil: (id) => registrations.liveUntil(id, clock.now()) });
    const done: Promise<void>[] = [];
    const { srf, register } = fakeSrf();
    installRegistrar(srf, {
      authenticate: () => Promise.resolve('1001'),
      creds: { findCredential: () => Promise.resolve({ agentId: 'a1001', realm: 'hotline', ha1: 'x' }) },
      registrations,
      limiter: new FailureLimiter(clock, { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 }),
      clock,
      log: silentLogger,
      minExpires: 60,
      maxExpires: 3600,
      onRegistered: (id) => done.push(agents.login(id)),
      onUnregistered: (id) => done.push(agents.seatChanged(id)),
    });
    try {
      const r1 = request('register', 600);
      register()(r1.req, r1.res);
      await expect.poll(() => done.length).toBe(1);
      await Promise.all(done);
      expect(r1.res.status).toBe(200);
      expect(store.agent('a1001')).toMatchObject({ state: 'not-ready', reachable: true });
      await agents.ready('a1001');
      const r2 = request('unregister', 0);
      register()(r2.req, r2.res);
      await expect.poll(() => done.length).toBe(2);
      await Promise.all(done);
      expect(r2.res.status).toBe(200);
      expect(store.agent('a1001')).toMatchObject({ state: 'ready', reachable: false });
      expect(store.enqueue({ callId: 'c1', queueId: 'q', callerNumber: '1', priority: 0, ownerInstance: 'i1' }).status).toBe('queued');
    } finally {
      await registrations.unregisterAll('1001');
      await registrations.unregisterAll('a1001');
    }
  });
});
