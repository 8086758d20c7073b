import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * What the stores talk to: one Redis (standalone, or the master Sentinel names) or a Redis Cluster. ioredis gives
 * both the same command API; the differences the stores must mind are here: commands without a key (FUNCTION LOAD,
 * SCAN) go to ONE node of a cluster, so they are sent to each master by the helpers below. Every key of a hotline
 * carries its hash tag (keys.ts), so its multi-key functions, pipelines and MULTIs stay in one slot.
 */
export type RedisClient = Redis | Cluster;

export interface HostPort {
  host: string;
  port: number;
}

/** Where Redis is: a URL (one server), seed nodes of a cluster, or Sentinels and the master group they watch. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; url: string };

export function isCluster(c: RedisClient): c is Cluster {
  return c.isCluster;
}

/** The connections to every master: the cluster's masters as last discovered, or the one server. */
export function masterNodes(c: RedisClient): Redis[] {
  return isCluster(c) ? c.nodes('master') : [c];
}

/**
 * Creates (does not connect: lazyConnect) a client for `target`. On a cluster and with Sentinel, the URL still
 * gives what every node shares: user, password, TLS (rediss://) and, for Sentinel, the database; its host is unused.
 * `single` options apply to each node's connection; reconnection is the cluster's own business there.
 */
export function createRedisClient(target: RedisTarget, single: RedisOptions = {}, cluster: Omit<ClusterOptions, 'redisOptions'> = {}): RedisClient {
  if (target.kind === 'single') return new Redis(target.url, { lazyConnect: true, ...single });
  const u = new URL(target.url);
  const shared: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  if (target.kind === 'sentinel') {
    const db = Number(u.pathname.slice(1) || '0');
    return new Redis({
      // After a failover: reconnect to the new master when Sentinel announces it (+switch-master), and when the old
      // one, now a replica, refuses a write (READONLY: nothing was written, so the command is resent there).
      failoverDetector: true,
      reconnectOnError: (err) => (/^READONLY\b/.test(err.message) ? 2 : false),
      ...single,
      ...shared,
      db,
      sentinels: target.sentinels,
      name: target.name,
      lazyConnect: true,
    });
  }
  const { retryStrategy: _r, enableOfflineQueue: _o, ...nodeOpts } = single;
  return new Cluster(target.nodes, {
    lazyConnect: true,
    // ioredis otherwise learns the topology only from MOVED replies and errors; a client that only listens (the
    // sharded subscriber of call-commands.ts) or only publishes would follow a failover late, or never.
    slotsRefreshInterval: 2000,
    ...(single.enableOfflineQueue !== undefined ? { enableOfflineQueue: single.enableOfflineQueue } : {}),
    ...cluster,
    redisOptions: { ...nodeOpts, ...shared },
  });
}

/**
 * Every key matching `pattern` (a SCAN pattern), from every master of a cluster: SCAN walks only the node it is
 * sent to. For rare reads (snapshots, clean-up); the hot path never scans.
 */
export async function scanKeys(c: RedisClient, pattern: string, onKeys: (keys: string[]) => Promise<void> | void): Promise<void> {
  for (const node of masterNodes(c)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await onKeys(keys);
    } while (cursor !== '0');
  }
}
