import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { deadUrl } from '../webhooks/support.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

let w: ApiWorld;
let repo: WebhookRepository;
beforeAll(async () => {
  // The world builds its database first; the routes reach the repository through this late binding.
  const late = {
    create: (x: Parameters<WebhookRepository['create']>[0]) => repo.create(x),
    list: () => repo.list(),
    delete: (id: string) => repo.delete(id),
    deadLetters: (n?: number) => repo.deadLetters(n),
    resend: (id: string, now: number) => repo.resend(id, now),
  };
  w = await apiWorld('api_webhooks', { webhooks: late });
  repo = new WebhookRepository(w.tdb.db);
});
afterAll(async () => {
  await w.close();
});

describe('/api/webhooks', () => {
  it('an admin subscribes (secret shown once), lists, deletes; bad input is 400 naming the field; others get 403', async () => {
    const admin = bearer(w.token.admin);
    const created = await w.app.inject({ method: 'POST', url: '/api/webhooks', headers: admin, payload: { url: 'https://crm.example/hooks/acd', events: ['call.answered', 'call.ended'] } });
    expect(created.statusCode).toBe(201);
    const hook = created.json<{ id: string; secret: string; events: string[] }>();
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(hook.events).toEqual(['call.answered', 'call.ended']);

    const list = await w.app.inject({ method: 'GET', url: '/api/webhooks', headers: admin });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([expect.objectContaining({ id: hook.id, url: 'https://crm.example/hooks/acd' })]);
    expect(list.body).not.toContain(hook.secret);

    const badUrl = await w.app.inject({ method: 'POST', url: '/api/webhooks', headers: admin, payload: { url: 'ftp://x' } });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.url' });
    const badEvent = await w.app.inject({ method: 'POST', url: '/api/webhooks', headers: admin, payload: { url: 'http://x.test/', events: ['call.exploded'] } });
    expect(badEvent.statusCode).toBe(400);
    expect(badEvent.json()).toMatchObject({ field: 'body.events.0' });
    const supervisor = await w.app.inject({ method: 'GET', url: '/api/webhooks', headers: bearer(w.token.supervisor) });
    expect(supervisor.statusCode).toBe(403);

    expect((await w.app.inject({ method: 'DELETE', url: `/api/webhooks/${hook.id}`, headers: admin })).statusCode).toBe(204);
    expect((await w.app.inject({ method: 'DELETE', url: `/api/webhooks/${hook.id}`, headers: admin })).statusCode).toBe(404);
    expect((await w.app.inject({ method: 'DELETE', url: '/api/webhooks/abc', headers: admin })).statusCode).toBe(400);
  });

  it('lists dead letters and re-sends one', async () => {
    const admin = bearer(w.token.admin);
    const hook = await repo.create({ url: await deadUrl(), events: [] });
    await w.tdb.db.tx('event', (c) => repo.persist(c, [{ id: '1-0', seq: '1', event: { type: 'rona', at: w.clock.now(), callId: 'k1', agentId: 'a1', queueId: 'general' } }]));
    const d = new WebhookDispatcher({ repo, clock: w.clock, logger: silentLogger, instanceId: 'api-test', maxAttempts: 1 });
    await d.pump();
    await d.idle();

    const dead = await w.app.inject({ method: 'GET', url: '/api/webhooks/dead-letters', headers: admin });
    expect(dead.statusCode).toBe(200);
    const [dl] = dead.json<{ id: string; webhookId: string; eventType: string; attempts: number }[]>();
    expect(dl).toMatchObject({ webhookId: hook.id, eventType: 'call.rona', attempts: 1 });

    const resend = await w.app.inject({ method: 'POST', url: `/api/webhooks/dead-letters/${dl!.id}/resend`, headers: admin });
    expect(resend.statusCode).toBe(202);
    expect(await repo.counts()).toMatchObject({ pending: 1, dead: 0 });
    expect((await w.app.inject({ method: 'POST', url: `/api/webhooks/dead-letters/${dl!.id}/resend`, headers: admin })).statusCode).toBe(404);
    expect((await w.app.inject({ method: 'GET', url: '/api/webhooks/dead-letters', headers: bearer(w.token.agent) })).statusCode).toBe(403);
  });
});
