import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { mediaHealthCheck, type MediaServerHealth } from '../../src/api/health.js';
import { buildApi } from '../../src/api/server.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('GET /healthz', () => {
  it('is 200 when every dependency answers', async () => {
    app = buildApi({ health: [{ name: 'pg', check: () => Promise.resolve() }, { name: 'redis', check: () => Promise.resolve() }], isDraining: () => false });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['pg', 'redis']);
    expect(body.checks.pg.ok).toBe(true);
  });

  it('is 503 naming the dependency that failed', async () => {
    app = buildApi({
      health: [{ name: 'pg', check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) }, { name: 'redis', check: () => Promise.resolve() }],
      isDraining: () => false,
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded', checks: { pg: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5432' }, redis: { ok: true } } });
  });

  it('is 503 "draining" once shutdown began, even with healthy dependencies', async () => {
    let draining = false;
    app = buildApi({ health: [{ name: 'pg', check: () => Promise.resolve() }], isDraining: () => draining });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    draining = true;
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().status).toBe('draining');
  });

  it('media: healthy while one server of FREESWITCH_SERVERS takes calls, listing each; 503 no-media-server when none does', async () => {
    const fs1: MediaServerHealth = { name: '10.0.0.1:8021', up: true, state: 'up', sessions: 4, cpuIdle: 91, legs: 2, heartbeatAgeMs: 800, controlLagMs: 3 };
    const fs2: MediaServerHealth = { name: '10.0.0.2:8021', up: false, state: 'down', sessions: 0, cpuIdle: undefined, legs: 0, heartbeatAgeMs: undefined };
    let servers = [fs1, fs2];
    app = buildApi({ health: [mediaHealthCheck(() => servers)], isDraining: () => false });
    const ok = await app.inject({ method: 'GET', url: '/healthz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().checks.media.info).toEqual({ up: 1, of: 2, servers: [fs1, { ...fs2, cpuIdle: null, heartbeatAgeMs: null, controlLagMs: null }] });
    servers = [{ ...fs1, up: false, state: 'connecting' }, fs2];
    const down = await app.inject({ method: 'GET', url: '/healthz' });
    expect(down.statusCode).toBe(503);
    expect(down.json().checks.media).toMatchObject({ ok: false, error: 'no-media-server: none of 10.0.0.1:8021 (connecting), 10.0.0.2:8021 (down) is in service' });
  });
});
