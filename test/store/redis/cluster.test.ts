/**
 * The ACD on a real Redis Cluster (3 masters + 3 replicas spawned on loopback ports by this file): the function
 * library on every master, hotlines on different masters, operator commands over the cluster's pub/sub, the AcdStore
 * contract, and failovers of the master holding the hotline: a coordinated one (CLUSTER FAILOVER) and a crash
 * (SIGKILL). Calls queued before either are still queued after it and are matched when an agent becomes ready.
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAcdError } from '../../../src/acd/errors.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { KpiCounter } from '../../../src/kpi/counter.js';
import { RedisLiveKpis } from '../../../src/kpi/live.js';
import { RegistrationStore } from '../../../src/sip/registrations.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { RedisCallbackSlots } from '../../../src/store/redis/callback-slots.js';
import { RedisCallCommands } from '../../../src/store/redis/call-commands.js';
import { createRedisClient } from '../../../src/store/redis/client.js';
import { keyPrefix } from '../../../src/store/redis/keys.js';
import { ACD_LIBRARY } from '../../../src/store/redis/lua-ops.js';
import { RedisPlanStore } from '../../../src/store/redis/plan-store.js';
import { acdStoreContract, startClock } from '../../acd/contract.js';
import { agent, call, queue } from '../../acd/fixtures.js';
import { LocalRedisCluster, redisServerPath, waitFor } from '../../support/redis-cluster.js';
import { uniqueHotline } from '../../support/redis.js';

const server = redisServerPath();
if (!server) console.warn('SKIPPED test/store/redis/cluster.test.ts: redis-server not found (install the redis-server package to run the Redis Cluster tests)');
const suite = server ? describe : describe.skip;

suite('the ACD on a Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: LocalRedisCluster;
  let redis: Cluster;

  beforeAll(async () => {
    cluster = new LocalRedisCluster(server!);
    try {
      await cluster.start();
      // As main.ts connects (REDIS_CLUSTER_NODES): two seed nodes are enough, the others are discovered.
      redis = createRedisClient({ kind: 'cluster', nodes: cluster.ports.slice(0, 2).map((port) => ({ host: '127.0.0.1', port })), url: 'redis://127.0.0.1' }, { maxRetriesPerRequest: 1 }) as Cluster;
      redis.on('error', () => undefined);
      await redis.connect();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  const clock = new VirtualClock(1_700_000_000_000);
  const store = (hotlineId: string): RedisAcdStore => new RedisAcdStore({ redis, hotlineId, clock, leaseMs: 3_600_000 });

  /** Hotline ids whose keys live on `n` different masters. */
  async function hotlinesOnDistinctMasters(n: number): Promise<string[]> {
    const byMaster = new Map<number, string>();
    for (let i = 0; byMaster.size < n && i < 200; i++) {
      const h = uniqueHotline(`cl${i}`);
      const { master } = await cluster.ownerOf(keyPrefix(h));
      if (!byMaster.has(master)) byMaster.set(master, h);
    }
    return [...byMaster.values()];
  }

  /** Has the master on `port` the ACD library (FUNCTION LIST)? */
  async function hasLibrary(port: number): Promise<boolean> {
    const libs = (await cluster.client(port).call('FUNCTION', 'LIST', 'LIBRARYNAME', ACD_LIBRARY)) as unknown[];
    return libs.length > 0;
  }

  /** A read that may meet the failover window: polled until the store answers (STORE_UNAVAILABLE is retried). */
  function whenServed<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return waitFor(what, async () => {
      try {
        return { v: await fn() };
      } catch (e) {
        if (isAcdError(e, 'STORE_UNAVAILABLE')) return false;
        throw e;
      }
    }).then((r) => r.v);
  }

  it('loads the function library on every master; hotlines on different masters each work and stay apart', async () => {
    const hotlines = await hotlinesOnDistinctMasters(3);
    expect(hotlines).toHaveLength(3);
    for (const h of hotlines) {
      const s = store(h);
      await s.renewLease('i1');
      await s.configure({ skills: [], queues: [queue('q')] });
      await s.loginAgent(agent('a'));
      expect(await s.enqueue(call(`${h}-c1`, 'q'))).toEqual({ status: 'queued', position: 1, length: 1 });
    }
    for (const n of cluster.nodes.slice(0, 6)) {
      const role = await cluster.client(n.port).info('replication');
      if (/role:master/.test(role)) expect(await hasLibrary(n.port)).toBe(true);
    }
    // snapshot() and destroy() scan: on a cluster that means every master, and only this hotline's keys.
    const snap = await store(hotlines[1]!).snapshot();
    expect(snap.calls.map((c) => c.callId)).toEqual([`${hotlines[1]}-c1`]);
    await store(hotlines[1]!).destroy();
    expect((await store(hotlines[1]!).snapshot()).calls).toEqual([]);
    expect((await store(hotlines[2]!).snapshot()).calls).toHaveLength(1);
    for (const h of hotlines) await store(h).destroy();
  });

  it('relays an operator command to the instance carrying the call (pub/sub through the cluster)', async () => {
    const h = uniqueHotline('clcmd');
    const owner = new RedisCallCommands({ redis, hotlineId: h, instanceId: 'app-1', handler: { hangup: (id) => (id === 'c1' ? 'accepted' : 'unknown') }, log: silentLogger });
    const api = new RedisCallCommands({ redis, hotlineId: h, instanceId: 'api', log: silentLogger });
    try {
      await owner.start();
      await api.start();
      expect(await api.hangup('c1', 'app-1')).toBe('accepted');
      expect(await api.hangup('c1', 'nobody')).toBe('unreachable');
    } finally {
      await owner.stop();
      await api.stop();
    }
  });

  it('live KPIs, the peak plan, callback seats and registrations: scripts and pipelines within the hotline slot', async () => {
    const h = uniqueHotline('clkpi');
    const s = store(h);
    await s.renewLease('i1');
    await s.configure({ skills: [], queues: [queue('q')] });
    await s.enqueue(call('k1', 'q'));
    await new KpiCounter({ redis, hotlineId: h, source: s, targetSec: () => 20, clock, logger: silentLogger }).drain();
    const live = await new RedisLiveKpis({ redis, hotlineId: h, clock, queues: () => [queue('q')] }).live();
    expect(live.queues.find((q) => q.queueId === 'q')).toMatchObject({ waiting: 1, offered: 1 });

    const plan = new RedisPlanStore(redis, h);
    expect(await plan.lock('me', 10_000)).toBe(true);
    expect(await plan.lock('other', 10_000)).toBe(false);
    await plan.unlock('me');
    expect(await plan.waiting(['q'])).toEqual({ q: 1 });

    const seats = new RedisCallbackSlots(redis, h);
    expect(await seats.acquire('t1', 1, clock.now(), clock.now() + 60_000)).toBe(true);
    expect(await seats.acquire('t2', 1, clock.now(), clock.now() + 60_000)).toBe(false);

    const regs = new RegistrationStore(redis, h);
    await regs.register({ agentId: 'a', contact: 'sip:a@10.0.0.9', source: '10.0.0.9:5060', transport: 'udp', userAgent: 'x', expiresAt: clock.now() + 60_000 }, clock.now());
    expect((await regs.contacts('a', clock.now())).map((r) => r.contact)).toEqual(['sip:a@10.0.0.9']);
    await regs.unregisterAll('a');
    await seats.release('t1');
    await s.destroy();
  });

  describe('failover of the master holding the hotline', () => {
    const h = uniqueHotline('clfail');
    const P = keyPrefix(h);
    let s: RedisAcdStore;
    const cmds: RedisCallCommands[] = [];
    afterAll(async () => {
      for (const c of cmds) await c.stop();
    });
    /** An operator's hang-up from instance api to app-1, through the cluster; retried over the failover window. */
    const hangup = (): Promise<string> => waitFor('a relayed hang-up accepted', async () => (await cmds[1]!.hangup('c1', 'app-1')) === 'accepted' && 'accepted');

    it('coordinated (CLUSTER FAILOVER on its replica): the calls queued before are still queued and are matched', async () => {
      s = store(h);
      cmds.push(new RedisCallCommands({ redis, hotlineId: h, instanceId: 'app-1', handler: { hangup: () => 'accepted' }, log: silentLogger }));
      cmds.push(new RedisCallCommands({ redis, hotlineId: h, instanceId: 'api', log: silentLogger }));
      for (const c of cmds) await c.start();
      expect(await hangup()).toBe('accepted');
      await s.renewLease('i1');
      await s.configure({ skills: [], queues: [queue('q')] });
      await s.loginAgent(agent('a1'));
      await s.loginAgent(agent('a2'));
      for (const c of ['c1', 'c2', 'c3']) await s.enqueue(call(c, 'q'));

      const before = await cluster.ownerOf(P);
      const replica = before.replicas[0]!;
      expect(await cluster.client(replica).cluster('FAILOVER')).toBe('OK');
      await waitFor('the replica to take over the hotline slot', async () => (await cluster.ownerOf(P)).master === replica);
      await cluster.waitHealthy();

      expect(await whenServed('the hotline after failover', () => s.position('c1'))).toEqual({ position: 1, length: 3 });
      expect(await s.position('c3')).toEqual({ position: 3, length: 3 });
      // The functions run on the promoted master: a ready agent takes the call that waited through the failover.
      expect(await s.setReady('a1')).toMatchObject({ callId: 'c1', agentId: 'a1' });
      expect(await hasLibrary(replica)).toBe(true);
      // The sharded subscribers moved with the slot: operator commands still reach the instance.
      expect(await hangup()).toBe('accepted');
    });

    it('crash (SIGKILL of the master): the replica is promoted; calls it had received are served after', async () => {
      const before = await cluster.ownerOf(P);
      await s.enqueue(call('c4', 'q'));
      // Replication is asynchronous: a write the master acknowledged may die with it. WAIT on the connection that
      // wrote makes sure the replica has everything, so this test checks the failover, not the race.
      const writer = redis.nodes('master').find((n) => n.options.port === before.master)!;
      expect(await writer.wait(1, 5000)).toBe(1);
      // The replica about to be promoted loses the library (as one holding an older version would lack this one):
      // the client must load it there after the failover by itself, before any operation asks for it.
      const admin = cluster.client(before.master);
      await admin.call('FUNCTION', 'DELETE', ACD_LIBRARY);
      expect(await admin.wait(1, 5000)).toBe(1);

      await cluster.kill(before.master);
      const live = cluster.liveNodes()[0]!.port;
      await waitFor('a replica to be promoted for the hotline slot', async () => (await cluster.ownerOf(P, live)).master === before.replicas[0], 30_000);
      await cluster.waitHealthy();
      await waitFor('the library loaded on the promoted master after the topology change', () => hasLibrary(before.replicas[0]!));

      expect(await whenServed('the hotline after the crash', () => s.position('c2'))).toEqual({ position: 1, length: 3 });
      expect(await s.position('c4')).toEqual({ position: 3, length: 3 });
      expect(await s.setReady('a2')).toMatchObject({ callId: 'c2', agentId: 'a2' });
      expect((await s.agent('a1'))?.state).toBe('reserved');
      // The event stream (for PostgreSQL and the webhooks) came through too, and continues on the new master.
      const events = (await s.readEvents()).map((e) => e.event);
      expect(events.filter((e) => e.type === 'enqueued').map((e) => (e as { callId: string }).callId)).toEqual(['c1', 'c2', 'c3', 'c4']);
      expect(events.filter((e) => e.type === 'offered').map((e) => (e as { callId: string }).callId)).toEqual(['c1', 'c2']);
      expect(await hangup()).toBe('accepted');
    });

    it('a master without the library (promoted with an older one, or new) gets it loaded again on "Function not found"', async () => {
      const { master } = await cluster.ownerOf(P, cluster.liveNodes()[0]!.port);
      await cluster.client(master).call('FUNCTION', 'DELETE', ACD_LIBRARY);
      expect(await hasLibrary(master)).toBe(false);
      expect(await s.position('c3')).toEqual({ position: 1, length: 2 });
      expect(await hasLibrary(master)).toBe(true);
      await s.destroy();
    });
  });

  // The whole AcdStore contract, each test on its own hotline: spread over the masters.
  acdStoreContract('RedisAcdStore on a Redis Cluster', (leaseMs) => {
    const c = startClock();
    const st = new RedisAcdStore({ redis, hotlineId: uniqueHotline('clct'), clock: c, leaseMs });
    return Promise.resolve({ store: st, clock: c, events: async () => (await st.readEvents()).map((r) => r.event), close: () => st.destroy() });
  });
});
