import { describe, expect, it } from 'vitest';
import { runApiBench } from '../../src/bench/api.js';
import { testRedis } from '../support/redis.js';

describe('acd bench api', () => {
  it('measures every route, the live KPIs with and without reuse, and the stream against the empty route in one run, over an hour of counted calls, and leaves no keys', async () => {
    const r = await runApiBench({ requests: 5, agents: 60, waiting: 12, clients: 3, streamPhaseMs: 1_500, readSamples: 5 });
    expect(r).toMatchObject({ agents: 60, onCall: 60, waiting: 12, queues: 20, seededCalls: 1800 });
    // The counter counted the seeded hour from the events (every 9th call abandoned) plus the calls of now.
    expect(r.window).toEqual({ offered: 1800 + 60 + 12, answered: 1600 + 60, abandoned: 200 });
    const byRoute = new Map(r.routes.map((x) => [x.route, x]));
    expect(byRoute.get('/api/whoami')).toMatchObject({ requests: 5, p99VsEmpty: 1 });
    for (const route of ['/api/queues', '/api/calls', '/api/calls?state=waiting', '/api/kpis/live (maxAgeMs 1 s)', '/api/kpis/live (maxAgeMs 1 s), every agent listed', '/api/kpis/live (maxAgeMs 0)']) {
      const x = byRoute.get(route);
      expect(x, route).toBeDefined();
      expect(x!.requests).toBe(5);
      expect(x!.p50Ms).toBeGreaterThan(0);
      expect(x!.p99Ms).toBeGreaterThanOrEqual(x!.p50Ms);
      expect(x!.p99VsEmpty).toBeGreaterThan(0);
    }
    const without = byRoute.get('/api/whoami, no stream client')!;
    const withClients = byRoute.get('/api/whoami, 3 stream clients')!;
    expect(without).toMatchObject({ p99VsEmpty: 1 });
    expect(without.requests).toBeGreaterThanOrEqual(5);
    expect(withClients.requests).toBeGreaterThanOrEqual(5);
    expect(withClients.p99VsEmpty).toBeCloseTo(withClients.p99Ms / without.p99Ms, 1);
    expect(byRoute.get('stream: read + serialise (1/s)')).toMatchObject({ requests: 5 });
    // The clients really read the stream while the empty route was measured (about one event a second each).
    expect(r.stream.clients).toBe(3);
    expect(r.stream.eventsPerClientPerSec).toBeGreaterThan(0);
    expect(r.stream.frameBytes).toBeGreaterThan(1000);
    const redis = await testRedis();
    try {
      expect(await redis.keys(`acd:{bench-api-${process.pid}-*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  }, 120_000);
});
