import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
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
});
