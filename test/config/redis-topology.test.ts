import { describe, expect, it } from 'vitest';
import { ConfigError, describeRedis, loadConfig, redisTopology } from '../../src/config/index.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('Redis topology from the environment', () => {
  it('is one server by default; a cluster from REDIS_CLUSTER_NODES; Sentinel from REDIS_SENTINELS', () => {
    expect(redisTopology(loadConfig({}))).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    const cluster = redisTopology(loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, [::1]:7001,redis-c:7002 ', REDIS_URL: 'redis://:pw@ignored:1' }));
    expect(cluster).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'redis-c', port: 7002 },
      ],
      url: 'redis://:pw@ignored:1',
    });
    expect(describeRedis(cluster)).toBe('the Redis Cluster at 10.0.0.1:7000,::1:7001,redis-c:7002');
    const sentinel = redisTopology(loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'acd' }));
    expect(sentinel).toMatchObject({ kind: 'sentinel', name: 'acd', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }] });
    expect(describeRedis(sentinel)).toBe("the Redis master 'acd' of the Sentinels at s1:26379,s2:26379");
    expect(describeRedis(redisTopology(loadConfig({ REDIS_URL: 'redis://u:secret@cache:6380/1' })))).toBe('Redis at cache:6380');
  });

  it('refuses, one line each: a node that is not host:port, both topologies at once, a database on a cluster', () => {
    expect(problems({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2' })).toEqual([
      'REDIS_CLUSTER_NODES: "10.0.0.2" is not host:port (list them as host:port,host:port) (got "10.0.0.1:7000,10.0.0.2")',
    ]);
    expect(problems({ REDIS_SENTINELS: 's1:99999' })[0]).toMatch(/^REDIS_SENTINELS: "s1:99999" is not host:port/);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toEqual([
      'REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES (Redis Cluster) or REDIS_SENTINELS (Sentinel), not both',
    ]);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'redis://x/2' })).toEqual(['REDIS_URL: a Redis Cluster has only database 0 (got /2 with REDIS_CLUSTER_NODES)']);
    expect(problems({ REDIS_SENTINEL_NAME: 'bad name' })[0]).toMatch(/^REDIS_SENTINEL_NAME: /);
  });
});
