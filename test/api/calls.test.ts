import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { AcdEventWriter } from '../../src/store/pg/acd-events.js';
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
/** The relay's channels (the commands' hotline id; the ACD world has its own). */
const hotlineId = uniqueHotline('api-calls');

beforeAll(async () => {
  const redis = await testRedis();
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

    // The owner's lease is still in Redis but nobody listens for it (the process died): 503 at once, no hang,
    // with Retry-After: the lease's time left (then the call is an orphan, below).
    await w.store.renewLease('dead');
    await w.store.enqueue({ callId: 'h2', queueId: 'general', callerNumber: '13800000002', priority: 0, ownerInstance: 'dead' });
    w.clock.advance(600_000);
    const t = Date.now();
    const dead = await post('/api/calls/h2/hangup', w.token.admin);
    expect([dead.statusCode, dead.json().code]).toEqual([503, 'OWNER_UNREACHABLE']);
    expect(dead.headers['retry-after']).toBe('3000'); // the 1 h lease, 10 min of it gone
    expect(Date.now() - t).toBeLessThan(3000);
    await w.store.abandon('h2');
  });

  it('hang-up decides by the lease: alive but silent owner -> 503 OWNER_UNREACHABLE after the time limit, Retry-After its time left', async () => {
    // 'slow' listens but never answers (a stuck event loop): the 500 ms limit of this API's relay cuts it off.
    const redis = await testRedis();
    const slow = new RedisCallCommands({ redis, hotlineId, instanceId: 'slow', handler: { hangup: () => new Promise<LocalHangupStatus>(() => undefined) }, log: silentLogger });
    await slow.start();
    try {
      await w.store.renewLease('slow');
      await w.store.enqueue({ callId: 's1', queueId: 'general', callerNumber: '13800000003', priority: 0, ownerInstance: 'slow' });
      w.clock.advance(1_000_500);
      const t = Date.now();
      const r = await post('/api/calls/s1/hangup', w.token.supervisor);
      expect([r.statusCode, r.json().code]).toEqual([503, 'OWNER_UNREACHABLE']);
      expect(r.json().message).toMatch(/did not answer in time/);
      expect(r.headers['retry-after']).toBe('2600'); // 3,600 s lease - 1,000.5 s, rounded up
      expect(Date.now() - t).toBeGreaterThanOrEqual(450);
      expect(await w.store.call('s1')).toMatchObject({ callId: 's1' });
      await w.store.abandon('s1');
    } finally {
      await slow.stop();
      await redis.quit();
    }
  });

  it("hang-up of an orphan (its owner's lease expired): removed through the reaper's path, record written, agent freed, 200", async () => {
    await w.store.renewLease('gone');
    await w.store.loginAgent({ id: 'o1', name: 'o1', skills: [{ skill: 'general', level: 3, primary: true }] });
    await w.store.setReady('o1');
    const r0 = await w.store.enqueue({ callId: 'orph', queueId: 'general', callerNumber: '13800000004', priority: 0, ownerInstance: 'gone' });
    expect(r0).toMatchObject({ status: 'offered', offer: { agentId: 'o1' } });
    await w.store.markRinging('orph');
    await w.store.answer('orph');
    // 'gone' stops renewing; the others keep their leases (they renew as live instances do).
    w.clock.advance(3_600_001);
    await w.store.renewLease('here');
    await w.store.renewLease('elsewhere');
    const r = await post('/api/calls/orph/hangup', w.token.supervisor);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ callId: 'orph', ownerInstance: 'gone', removed: true });
    expect(await w.store.call('orph')).toBeNull();
    expect(await w.store.agent('o1')).toMatchObject({ state: 'ready' });
    // The record: the reaper's event, written by the PostgreSQL event writer as for any dead instance's call.
    const events = (await w.store.readEvents()).map((e) => e.event);
    expect(events).toContainEqual(expect.objectContaining({ type: 'removed-dead-instance', callId: 'orph', instance: 'gone', stage: 'on-call', agentId: 'o1' }));
    const writer = new AcdEventWriter({ db: w.tdb.db, source: w.store, stream: w.hotlineId, ringOnMs: 1000, ringOffMs: 4000, clock: w.clock, logger: silentLogger });
    while ((await writer.pump()) > 0);
    const rec = await w.tdb.db.query<{ disposition: string; agent_id: string }>('orphan record', 'SELECT disposition, agent_id FROM call_records WHERE call_id = $1', ['orph']);
    expect(rec.rows).toEqual([{ disposition: 'failed', agent_id: 'o1' }]);
    // Gone already: 404.
    expect((await post('/api/calls/orph/hangup', w.token.supervisor)).statusCode).toBe(404);
    await w.store.logout('o1').catch(() => undefined);
  });
});

describe('moving live calls', () => {
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
