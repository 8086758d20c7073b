import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINE_DAYS } from '../../src/callbacks/deadline.js';
import { CallbackService } from '../../src/callbacks/service.js';
import { CallbackRepository } from '../../src/store/pg/callbacks.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

let w: ApiWorld;
let svc: CallbackService | undefined;

beforeAll(async () => {
  // The service needs the world's database: bound once the world exists.
  const late = {
    request: (...a: Parameters<CallbackService['request']>) => svc!.request(...a),
    get: (id: string) => svc!.get(id),
    list: (...a: Parameters<CallbackService['list']>) => svc!.list(...a),
    cancel: (id: string) => svc!.cancel(id),
    attempts: (id: string) => svc!.attempts(id),
  };
  w = await apiWorld('callbacks-api', { callbacks: late });
  const cal = w.flows.flows()[0]!.calendars.get('hotline')!;
  svc = new CallbackService({
    repo: new CallbackRepository(w.tdb.db, new WebhookRepository(w.tdb.db)),
    calendar: () => cal,
    policy: { deadlineDays: DEFAULT_DEADLINE_DAYS, maxAttempts: 3, retrySpacingMs: 1_800_000 },
    clock: w.clock,
    defaultQueue: () => 'general',
  });
});
afterAll(async () => {
  await w?.close();
});

describe('/api/callbacks', () => {
  it('creates a task with its deadline, lists with filters (overdue too), shows attempts, cancels once', async () => {
    // Monday 2026-12-07 16:00 in Shanghai.
    const post = (payload: unknown, token = w.token.supervisor) => w.app.inject({ method: 'POST', url: '/api/callbacks', headers: bearer(token), payload: payload as Record<string, unknown> });
    const a = await post({ number: '13800138000', reason: 'complaint', queue: 'complaints', note: 'wants the manager' });
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json()).toMatchObject({ source: 'api', reason: 'complaint', queueId: 'complaints', status: 'pending', overdue: false, attempts: 0, dueAt: Date.parse('2026-12-08T17:30:00+08:00') });
    const b = await post({ number: '+8613900139000', reason: 'after-hours' });
    expect(b.json()).toMatchObject({ queueId: 'general', dueAt: Date.parse('2026-12-14T17:30:00+08:00') });

    expect((await post({ number: 'call me' })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.number' });
    expect((await post({ number: '13800138000' }, w.token.agent)).statusCode).toBe(403);

    const list = (q: string) => w.app.inject({ method: 'GET', url: `/api/callbacks${q}`, headers: bearer(w.token.supervisor) });
    expect((await list('')).json<{ id: string }[]>().map((c) => c.id)).toEqual([a.json<{ id: string }>().id, b.json<{ id: string }>().id]);
    expect((await list('?queue=general')).json()).toHaveLength(1);
    expect((await list('?overdue=true')).json()).toHaveLength(0);
    w.clock.advance(2 * 86_400_000); // Wednesday: the complaint's deadline has passed
    const overdue = (await list('?overdue=true')).json<{ id: string; overdue: boolean }[]>();
    expect(overdue.map((c) => [c.id, c.overdue])).toEqual([[a.json<{ id: string }>().id, true]]);
    expect((await list('?source=ivr')).json()).toHaveLength(0);

    const id = b.json<{ id: string }>().id;
    const one = await w.app.inject({ method: 'GET', url: `/api/callbacks/${id}`, headers: bearer(w.token.supervisor) });
    expect(one.json()).toMatchObject({ id, attemptLog: [] });
    expect((await w.app.inject({ method: 'GET', url: '/api/callbacks/424242', headers: bearer(w.token.supervisor) })).json()).toMatchObject({ code: 'CALLBACK_UNKNOWN' });

    const cancel = () => w.app.inject({ method: 'POST', url: `/api/callbacks/${id}/cancel`, headers: bearer(w.token.supervisor) });
    expect((await cancel()).json()).toMatchObject({ status: 'cancelled' });
    const again = await cancel();
    expect([again.statusCode, again.json<{ code: string }>().code]).toEqual([409, 'CALLBACK_FINISHED']);
    expect((await list('?status=cancelled')).json()).toHaveLength(1);
  });
});
