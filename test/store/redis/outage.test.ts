/**
 * A Redis outage during calls: the store is reached through a TCP proxy the test can cut. During the outage every
 * operation fails fast with AcdError STORE_UNAVAILABLE (the call session keeps the caller and retries, nothing is
 * silently dropped); when Redis is reachable again the queue is intact and the retried enqueue goes through.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAcdError } from '../../../src/acd/errors.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { connectAcdRedis } from '../../../src/store/redis/connection.js';
import { agent, call, queue } from '../../acd/fixtures.js';
import { uniqueHotline } from '../../support/redis.js';

class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(6379, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

const proxy = new CuttableProxy();
let redis: Redis;

beforeAll(async () => {
  await proxy.open();
  redis = await connectAcdRedis(`redis://127.0.0.1:${proxy.port}`);
});
afterAll(async () => {
  redis.disconnect();
  await proxy.cut();
});

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('Redis outage', () => {
  it('gives STORE_UNAVAILABLE while Redis is unreachable and loses no queued call', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const store = new RedisAcdStore({ redis, hotlineId: uniqueHotline('outage'), clock, leaseMs: 3_600_000 });
    try {
      await store.renewLease('i1');
      await store.configure({ skills: [], queues: [queue('q')] });
      await store.loginAgent(agent('a'));
      await store.enqueue(call('c1', 'q'));
      await store.enqueue(call('c2', 'q'));

      await proxy.cut();
      await new Promise<void>((resolve) => (redis.status === 'ready' ? redis.once('close', () => resolve()) : resolve()));
      const e1 = await errorOf(store.enqueue(call('c3', 'q')));
      expect(isAcdError(e1, 'STORE_UNAVAILABLE')).toBe(true);
      expect((e1 as Error).message).toMatch(/enqueue/);
      expect(isAcdError(await errorOf(store.setReady('a')), 'STORE_UNAVAILABLE')).toBe(true);
      expect(isAcdError(await errorOf(store.snapshot()), 'STORE_UNAVAILABLE')).toBe(true);

      await proxy.open();
      await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
      expect(await store.position('c1')).toEqual({ position: 1, length: 2 });
      expect(await store.position('c2')).toEqual({ position: 2, length: 2 });
      // The session retries the refused enqueue; it lands behind the calls that waited through the outage.
      expect(await store.enqueue(call('c3', 'q'))).toEqual({ status: 'queued', position: 3, length: 3 });
      expect(await store.setReady('a')).toMatchObject({ callId: 'c1', agentId: 'a' });
    } finally {
      await store.destroy();
    }
  });
});
