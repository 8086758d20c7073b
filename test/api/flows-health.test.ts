import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { flowsHealthCheck } from '../../src/api/health.js';
import { buildApi } from '../../src/api/server.js';
import type { FlowsHealth } from '../../src/ivr/registry.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function probe(h: FlowsHealth): Promise<{ code: number; body: { status: string; checks: Record<string, { ok: boolean; error?: string; info?: Record<string, unknown> }> } }> {
  app = buildApi({ health: [flowsHealthCheck(() => h)], isDraining: () => false });
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  const out = { code: res.statusCode, body: res.json() };
  await app.close();
  app = undefined;
  return out;
}

describe('/healthz tells the truth about flows', () => {
  it('503 none-valid while no valid flow set has ever loaded', async () => {
    const r = await probe({ state: 'none-valid', refused: ['ivr-flows/hotline.yaml'] });
    expect(r.code).toBe(503);
    expect(r.body.status).toBe('degraded');
    expect(r.body.checks.flows).toMatchObject({ ok: false, error: 'none-valid: no valid flow set has loaded (refused: ivr-flows/hotline.yaml)' });
  });

  it('200 with last-good info when the current files are refused but a good set serves', async () => {
    const r = await probe({ state: 'last-good', setRevision: 3, since: Date.UTC(2026, 11, 7, 3), flows: 1, refused: ['f/hotline.yaml'], refusedAt: Date.UTC(2026, 11, 7, 4) });
    expect(r.code).toBe(200);
    expect(r.body.checks.flows).toMatchObject({
      ok: true,
      info: { state: 'last-good', setRevision: 3, flows: 1, since: '2026-12-07T03:00:00.000Z', refused: ['f/hotline.yaml'], refusedAt: '2026-12-07T04:00:00.000Z' },
    });
  });

  it('200 current when the files on disk are what serves', async () => {
    const r = await probe({ state: 'current', setRevision: 1, since: 0, flows: 2 });
    expect(r.code).toBe(200);
    expect(r.body.checks.flows!.info).toMatchObject({ state: 'current', flows: 2 });
  });
});
