/**
 * The ACD behind Redis Sentinel (REDIS_SENTINELS): a master, its replica and one Sentinel spawned on loopback ports by
 * this file. A Sentinel failover promotes the replica; the client follows it, and the calls queued before are still
 * queued and are matched after it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAcdError } from '../../../src/acd/errors.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { createRedisClient, type RedisClient } from '../../../src/store/redis/client.js';
import { agent, call, queue } from '../../acd/fixtures.js';
import { freePortPair, redisServerPath, spawnRedis, waitFor } from '../../support/redis-cluster.js';
import { uniqueHotline } from '../../support/redis.js';

const server = redisServerPath();
if (!server) console.warn('SKIPPED test/store/redis/sentinel.test.ts: redis-server not found (install the redis-server package to run the Sentinel tests)');
const suite = server ? describe : describe.skip;

suite('the ACD behind Redis Sentinel (master, replica, one Sentinel)', () => {
  let dir = '';
  const procs: ChildProcess[] = [];
  const admin: Redis[] = [];
  let ports: { master: number; replica: number; sentinel: number };
  let redis: RedisClient;

  const connect = (port: number): Redis => {
    // Reconnects: a server may still be starting, or restarting its role after a failover.
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    c.on('error', () => undefined);
    admin.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acd-sentinel-'));
    const taken = new Set<number>();
    ports = { master: await freePortPair(taken), replica: await freePortPair(taken), sentinel: await freePortPair(taken) };
    const common = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    procs.push(spawnRedis(server!, ['--port', String(ports.master), ...common]));
    procs.push(spawnRedis(server!, ['--port', String(ports.replica), ...common, '--replicaof', '127.0.0.1', String(ports.master)]));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${ports.sentinel}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor acd 127.0.0.1 ${ports.master} 1`,
        'sentinel down-after-milliseconds acd 2000',
        'sentinel failover-timeout acd 10000',
        '',
      ].join('\n'),
    );
    procs.push(spawnRedis(server!, [conf, '--sentinel']));
    const replica = connect(ports.replica);
    await waitFor('the replica in sync', async () => /master_link_status:up/.test(await replica.info('replication')));
    const sentinel = connect(ports.sentinel);
    await waitFor('the Sentinel to know the replica', async () => ((await sentinel.call('SENTINEL', 'REPLICAS', 'acd')) as unknown[]).length === 1);
    redis = createRedisClient({ kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: ports.sentinel }], name: 'acd', url: 'redis://127.0.0.1' }, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    await redis.connect();
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    for (const c of admin) c.disconnect();
    const exits = procs.filter((p) => p.exitCode === null && p.signalCode === null).map((p) => new Promise<void>((r) => p.once('exit', () => r())));
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(exits);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a Sentinel failover: the client follows the new master; calls queued before are still queued and matched', async () => {
    const s = new RedisAcdStore({ redis, hotlineId: uniqueHotline('sentinel'), clock: new VirtualClock(1_700_000_000_000), leaseMs: 3_600_000 });
    await s.renewLease('i1');
    await s.configure({ skills: [], queues: [queue('q')] });
    await s.loginAgent(agent('a1'));
    for (const c of ['c1', 'c2']) await s.enqueue(call(c, 'q'));

    const sentinel = connect(ports.sentinel);
    // NOGOODSLAVE until the Sentinel has fresh INFO from the replica (it asks every few seconds): ask until accepted.
    await waitFor('Sentinel to accept the failover', async () => (await sentinel.call('SENTINEL', 'FAILOVER', 'acd')) === 'OK', 30_000, 500);
    await waitFor('Sentinel to name the replica master', async () => ((await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'acd')) as string[])[1] === String(ports.replica), 30_000);

    // A write, so it must reach the new master: polled over the window in which the client reconnects.
    const offer = await waitFor('a ready agent matched on the new master', async () => {
      try {
        return await s.setReady('a1');
      } catch (e) {
        if (isAcdError(e, 'STORE_UNAVAILABLE')) return null;
        throw e;
      }
    }, 30_000);
    expect(offer).toMatchObject({ callId: 'c1', agentId: 'a1' });
    expect(await s.position('c2')).toEqual({ position: 1, length: 1 });
    expect(/role:master/.test(await connect(ports.replica).info('replication'))).toBe(true);
    await s.destroy();
  });
});
