import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { RedisCallCommands, type LocalHangupStatus } from '../../src/store/redis/call-commands.js';
import { testRedis, uniqueHotline } from '../support/redis.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

// Live calls steered from the API: hang-up relayed to the instance carrying the call (Redis pub/sub, real Redis),
// move to another queue (the ACD's atomic moveCall).
let w: ApiWorld;
let owner: RedisCallCommands;
let here: RedisCallCommands;
const hungUp: string[] = [];
const ownerCalls = new Map<string, LocalHangupStatus>();

beforeAll(async () => {
  const redis = await testRedis();
  const hotlineId = uniqueHotline('api-calls');
  // 'elsewhere' carries the calls; the API runs on 'here', which carries none.
  owner = new RedisCallCommands({
    redis,
    hotlineId,
    instanceId: 'elsewhere',
    handler: {
      hangup: (id) => {
        hungUp.push(id);
        const s = ownerCalls.get(id) ?? 'unknown';
        if (s === 'accepted') ownerCalls.set(id, 'ended');
        return s;
      },
    },
    log: silentLogger,
  });
  here = new RedisCallCommands({ redis, hotlineId, instanceId: 'here', timeoutMs: 500, log: silentLogger });
  await owner.start();
  await here.start();
  w = await apiWorld('api-calls', { callCommands: here });
  afterAllCleanup = async () => {
    await owner.stop();
    await here.stop();
    await redis.quit();
  };
});
let afterAllCleanup: () => Promise<void> = () => Promise.resolve();
afterAll(async () => {
  await w?.close();
  await afterAllCleanup();
});

const post = (url: string, token: string, payload?: unknown) =>
  w.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

describe('whoami', () => {
  it('answers the token\'s name and role, and nothing without a token', async () => {
    const get = (t?: string) => w.app.inject({ method: 'GET', url: '/api/whoami', ...(t ? { headers: bearer(t) } : {}) });
    expect((await get(w.token.supervisor)).json()).toEqual({ name: 'floor', role: 'supervisor' });
    expect((await get(w.token.agent)).json()).toEqual({ name: 'Li Na', role: 'agent', agentId: 'a1' });
    expect((await get()).statusCode).toBe(401);
  });
});

describe('live calls from the API', () => {
  it('hang-up: 202 once the owning instance accepts, 409 when it already ended, 404 unknown, 503 when the owner is gone', async () => {
    await w.store.enqueue({ callId: 'h1', queueId: 'general', callerNumber: '13800000001', priority: 0, ownerInstance: 'elsewhere' });
    ownerCalls.set('h1', 'accepted');
    const r = await post('/api/calls/h1/hangup', w.token.supervisor);
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ callId: 'h1', ownerInstance: 'elsewhere', accepted: true });
    expect(hungUp).toEqual(['h1']);
    // The owner's cleanup has started (the ACD still lists the call until it leaves): a second request is refused.
    const again = await post('/api/calls/h1/hangup', w.token.supervisor);
    expect([again.statusCode, again.json().code]).toEqual([409, 'CALL_ENDED']);
    expect((await post('/api/calls/nope/hangup', w.token.supervisor)).statusCode).toBe(404);
    await w.store.abandon('h1');
    expect((await post('/api/calls/h1/hangup', w.token.supervisor)).statusCode).toBe(404);

    // The owner's lease is still in Redis but nobody listens for it (the process died): 503 at once, no hang.
    await w.store.renewLease('dead');
    await w.store.enqueue({ callId: 'h2', queueId: 'general', callerNumber: '13800000002', priority: 0, ownerInstance: 'dead' });
    const t = Date.now();
    const dead = await post('/api/calls/h2/hangup', w.token.admin);
    expect([dead.statusCode, dead.json().code]).toEqual([503, 'OWNER_UNREACHABLE']);
    expect(Date.now() - t).toBeLessThan(3000);
    await w.store.abandon('h2');
  });

  it('move: a waiting call changes queue keeping its arrival; 409 with a stable code when it is not waiting or the queue is closed', async () => {
    await w.store.enqueue({ callId: 'm0', queueId: 'complaints', callerNumber: '13800000010', priority: 0, ownerInstance: 'elsewhere' });
    w.clock.advance(1000);
    await w.store.enqueue({ callId: 'm1', queueId: 'general', callerNumber: '13800000011', priority: 0, ownerInstance: 'elsewhere' });
    w.clock.advance(1000);
    await w.store.enqueue({ callId: 'm2', queueId: 'general', callerNumber: '13800000012', priority: 0, ownerInstance: 'elsewhere' });
    const before = await w.store.call('m2');
    const mv = await post('/api/calls/m2/move', w.token.supervisor, { queue: 'complaints' });
    expect(mv.statusCode).toBe(200);
    expect(mv.json()).toEqual({ callId: 'm2', queueId: 'complaints', status: 'queued', position: 2, length: 2 });
    expect(await w.store.call('m2')).toMatchObject({ queueId: 'complaints', arrivedAt: before!.arrivedAt });
    const m1 = await post('/api/calls/m1/move', w.token.admin, { queue: 'complaints' });
    // m1 arrived before m2: it goes ahead of it in the new queue.
    expect(m1.json()).toMatchObject({ status: 'queued', position: 2, length: 3 });
    expect((await w.app.inject({ method: 'GET', url: '/api/calls?queue=complaints', headers: bearer(w.token.supervisor) })).json().map((c: { callId: string }) => c.callId)).toEqual(['m0', 'm1', 'm2']);

    const unknown = await post('/api/calls/m1/move', w.token.supervisor, { queue: 'nope' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([409, 'UNKNOWN_QUEUE']);
    expect((await post('/api/calls/ghost/move', w.token.supervisor, { queue: 'general' })).statusCode).toBe(404);
    expect((await post('/api/calls/m1/move', w.token.supervisor, {})).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.queue' });
    expect((await post('/api/calls/m1/move', w.token.agent, { queue: 'general' })).statusCode).toBe(403);

    // Offered to an agent: no longer waiting, so it cannot be moved.
    await w.store.loginAgent({ id: 'x1', name: 'x1', skills: [{ skill: 'complaints', level: 3, primary: true }] });
    await w.store.setReady('x1');
    expect(await w.store.call('m0')).toMatchObject({ state: 'offered', agentId: 'x1' });
    const offered = await post('/api/calls/m0/move', w.token.supervisor, { queue: 'general' });
    expect([offered.statusCode, offered.json().code]).toEqual([409, 'CALL_BAD_STATE']);
    for (const id of ['m0', 'm1', 'm2']) await w.store.abandon(id);
  });
});
