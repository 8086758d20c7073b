import { describe, expect, it } from 'vitest';
import { runApiBench } from '../../src/bench/api.js';
import { testRedis } from '../support/redis.js';

describe('acd bench api', () => {
  it('measures every route of this build against the empty route in one run, marks the absent slots, and leaves no keys', async () => {
    const r = await runApiBench({ requests: 5, agents: 60, waiting: 12 });
    expect(r).toMatchObject({ agents: 60, onCall: 60, waiting: 12, queues: 20 });
    const byRoute = new Map(r.routes.map((x) => [x.route, x]));
    expect(byRoute.get('/api/whoami')).toMatchObject({ requests: 5, p99VsEmpty: 1 });
    for (const route of ['/api/queues', '/api/calls', '/api/calls?state=waiting']) {
      const x = byRoute.get(route)!;
      expect(x.requests).toBe(5);
      expect(x.p50Ms).toBeGreaterThan(0);
      expect(x.p99Ms).toBeGreaterThanOrEqual(x.p50Ms!);
    }
    expect(byRoute.get('wallboard SSE stream (first event)')).toMatchObject({ p50Ms: null, requests: 0 });
    const redis = await testRedis();
    try {
      expect(await redis.keys(`acd:{bench-api-${process.pid}-*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  }, 60_000);
});
