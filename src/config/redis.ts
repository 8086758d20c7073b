import type { Env } from './schema.js';

type RedisEnv = Pick<Env, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME'>;

/** Where Redis is, as the environment says: REDIS_CLUSTER_NODES, else REDIS_SENTINELS, else REDIS_URL alone. */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; url: string }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; name: string; url: string };

export function redisTopology(e: RedisEnv): RedisTopology {
  if (e.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES, url: e.REDIS_URL };
  if (e.REDIS_SENTINELS) return { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, url: e.REDIS_URL };
  return { kind: 'single', url: e.REDIS_URL };
}

/** Where Redis is, for messages: the seed nodes or Sentinels, or the URL's host:port (never the URL: it may hold a password). */
export function describeRedis(t: RedisTopology): string {
  const list = (xs: { host: string; port: number }[]) => xs.map((x) => `${x.host}:${x.port}`).join(',');
  if (t.kind === 'cluster') return `the Redis Cluster at ${list(t.nodes)}`;
  if (t.kind === 'sentinel') return `the Redis master '${t.name}' of the Sentinels at ${list(t.sentinels)}`;
  try {
    const u = new URL(t.url);
    return `Redis at ${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'Redis at the REDIS_URL address';
  }
}

/** Problems of the combination, one line each: a cluster and Sentinel exclude each other; a cluster has one database. */
export function redisProblems(e: RedisEnv): string[] {
  const out: string[] = [];
  if (e.REDIS_CLUSTER_NODES && e.REDIS_SENTINELS) out.push('REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES (Redis Cluster) or REDIS_SENTINELS (Sentinel), not both');
  if (e.REDIS_CLUSTER_NODES) {
    const db = /^rediss?:\/\/[^/]*\/(\d+)/.exec(e.REDIS_URL)?.[1];
    if (db !== undefined && db !== '0') out.push(`REDIS_URL: a Redis Cluster has only database 0 (got /${db} with REDIS_CLUSTER_NODES)`);
  }
  return out;
}
