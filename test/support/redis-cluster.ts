import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** Where redis-server is, or null (the cluster tests then skip, saying why). */
export function redisServerPath(): string | null {
  for (const p of ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return null;
}

function redisCliPath(server: string): string {
  return server.replace(/redis-server$/, 'redis-cli');
}

/** A TCP port free on 127.0.0.1 whose cluster bus port (+10000) is free too. */
export async function freePortPair(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free loopback port pair found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Polls `cond` every `everyMs` until it returns true (or a value), failing with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, cond: () => Promise<T | false | null | undefined>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Spawns redis-server with `args`; its output goes to `<dir>/redis-<port>.log`. */
export function spawnRedis(server: string, args: string[]): ChildProcess {
  const child = spawn(server, args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

/**
 * A throw-away Redis Cluster on loopback: `masters` masters with one replica each, no persistence, a short node
 * timeout so a killed master's replica is promoted within seconds. stop() kills every process and removes the
 * directory; call it in afterAll (it is safe to call twice, and after a failed start).
 */
export class LocalRedisCluster {
  readonly nodes: ClusterNode[] = [];
  private dir = '';
  private readonly admin = new Map<number, Redis>();

  constructor(
    private readonly server: string,
    private readonly masters = 3,
  ) {}

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'acd-cluster-'));
    const taken = new Set<number>();
    for (let i = 0; i < this.masters * 2; i++) {
      const port = await freePortPair(taken);
      const args = [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir, '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no',
        '--logfile', `redis-${port}.log`,
      ];
      const child = spawn(this.server, args, { stdio: 'ignore' });
      child.on('error', () => undefined);
      this.nodes.push({ port, process: child });
    }
    for (const n of this.nodes) await waitFor(`redis-server on ${n.port}`, async () => (await this.client(n.port).ping()) === 'PONG');
    const create = spawnSync(
      redisCliPath(this.server),
      ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await this.waitHealthy();
    // A replica that has not finished its first sync cannot take over; the failover tests need every one ready.
    await waitFor('every replica in sync', async () => {
      for (const n of this.nodes) {
        const info = await this.client(n.port).info('replication');
        if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
      }
      const slots = (await this.client(this.ports[0]!).cluster('SLOTS')) as unknown[][];
      return slots.every((range) => range.length >= 4);
    });
  }

  /** Every node says cluster_state:ok and agrees there are `masters` masters, each with a replica in sync. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'cluster_state:ok on every live node',
      async () => {
        for (const n of this.nodes) {
          if (n.process.exitCode !== null || n.process.signalCode !== null) continue;
          const info = await this.client(n.port).cluster('INFO');
          if (!/cluster_state:ok/.test(info)) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** A plain (non-cluster) connection to one node, for admin commands. */
  client(port: number): Redis {
    let c = this.admin.get(port);
    if (!c) {
      // Reconnects (a node may still be starting); kill() drops the connection of a node it kills.
      c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
      c.on('error', () => undefined);
      this.admin.set(port, c);
    }
    return c;
  }

  /** The port of the master serving `key`'s slot, and of its replica(s), as `node`'s view of the cluster says. */
  async ownerOf(key: string, askPort = this.liveNodes()[0]!.port): Promise<{ master: number; replicas: number[]; slot: number }> {
    const c = this.client(askPort);
    const slot = await c.cluster('KEYSLOT', key);
    const slots = await c.cluster('SLOTS');
    for (const [from, to, master, ...replicas] of slots) {
      if (master && slot >= from && slot <= to) return { master: master[1], replicas: replicas.map((r) => r[1]), slot };
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  liveNodes(): ClusterNode[] {
    return this.nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  }

  /** SIGKILLs the process on `port` (a crash: nothing flushed, no goodbye to the cluster). */
  async kill(port: number): Promise<void> {
    const n = this.nodes.find((x) => x.port === port);
    if (!n) throw new Error(`no node on ${port}`);
    this.admin.get(port)?.disconnect();
    this.admin.delete(port);
    if (n.process.exitCode === null && n.process.signalCode === null) {
      const exited = new Promise<void>((r) => n.process.once('exit', () => r()));
      n.process.kill('SIGKILL');
      await exited;
    }
  }

  async stop(): Promise<void> {
    for (const c of this.admin.values()) c.disconnect();
    this.admin.clear();
    const exits: Promise<void>[] = [];
    for (const n of this.nodes) {
      if (n.process.exitCode !== null || n.process.signalCode !== null) continue;
      exits.push(new Promise<void>((r) => n.process.once('exit', () => r())));
      n.process.kill('SIGKILL');
    }
    await Promise.all(exits);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}
