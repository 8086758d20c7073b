import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { AcdEventWriter, streamSeq } from '../../src/store/pg/acd-events.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/dispatcher.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { verifySignature } from '../../src/webhooks/signature.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { deadUrl, ListSource, Receiver, until } from './support.js';

let t: TestDb;
let repo: WebhookRepository;
const receivers: Receiver[] = [];
beforeAll(async () => {
  t = await createTestDb('webhooks');
  repo = new WebhookRepository(t.db);
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  // Each test starts from an empty queue and no subscriptions.
  await t.db.query('reset', 'TRUNCATE webhooks, webhook_deliveries');
});
afterAll(async () => {
  await t.drop();
});

const T0 = Date.parse('2026-12-07T09:00:00Z');
const SECRET = 'whsec_test_secret_0123456789';

async function receiver(respond: (n: number) => number | 'hang'): Promise<Receiver> {
  const r = await new Receiver(respond).start();
  receivers.push(r);
  return r;
}

function world(stream: string, clock: VirtualClock, over: Partial<WebhookDispatcherOptions> = {}) {
  const src = new ListSource();
  const outcomes: string[] = [];
  const writer = new AcdEventWriter({ db: t.db, source: src, stream, ringOnMs: 1000, ringOffMs: 4000, clock, logger: silentLogger, sinks: [repo] });
  const dispatcher = new WebhookDispatcher({
    repo,
    clock,
    logger: silentLogger,
    instanceId: 'i1',
    random: () => 0,
    baseDelayMs: 1_000,
    maxAttempts: 4,
    observer: { attempt: (o) => outcomes.push(o) },
    ...over,
  });
  return { src, writer, dispatcher, outcomes };
}

/** Run the dispatcher on the virtual clock: pump, let the attempts finish, move time on by `stepMs`. */
async function drive(d: WebhookDispatcher, clock: VirtualClock, rounds: number, stepMs: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await d.pump();
    await d.idle();
    clock.advance(stepMs);
  }
}

const answered = (at: number, callId = 'k1') => ({ type: 'answered' as const, at, callId, agentId: 'a1', ringMs: 3000 });

describe('webhook delivery (real PostgreSQL, local receiver, virtual clock)', () => {
  it('a receiver that fails twice then succeeds gets the event, signed, after back-off', async () => {
    const clock = new VirtualClock(T0);
    const r = await receiver((n) => (n <= 2 ? 500 : 204));
    await repo.create({ url: r.url, events: ['call.answered'], secret: SECRET });
    const w = world('s-retry', clock);
    w.src.push(answered(T0), { type: 'agent-state', at: T0, agentId: 'a1', from: 'reserved', to: 'on-call' });
    expect(await w.writer.pump()).toBe(2);
    // Only the subscribed type is queued.
    expect(await repo.counts()).toEqual({ pending: 1, delivered: 0, dead: 0 });

    await w.dispatcher.pump();
    await w.dispatcher.idle();
    expect(r.got).toHaveLength(1);
    // Backing off: with jitter 0 the retry is due 500 ms later, not before.
    clock.advance(499);
    expect(await w.dispatcher.pump()).toBe(0);
    clock.advance(1);
    expect(await w.dispatcher.pump()).toBe(1);
    await w.dispatcher.idle();
    expect(r.got).toHaveLength(2);
    // The second back-off doubles (1 s at jitter 0).
    clock.advance(999);
    expect(await w.dispatcher.pump()).toBe(0);
    clock.advance(1);
    await drive(w.dispatcher, clock, 1, 0);

    expect(r.got).toHaveLength(3);
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 });
    expect(w.outcomes).toEqual(['failed', 'failed', 'delivered']);
    for (const g of r.got) {
      expect(g.headers['x-hotline-event']).toBe('call.answered');
      expect(verifySignature(SECRET, g.headers['x-hotline-signature'] as string, g.body, Math.floor(clock.now() / 1000))).toBe(true);
      expect(verifySignature('wrong-secret-0123456789', g.headers['x-hotline-signature'] as string, g.body, Math.floor(clock.now() / 1000))).toBe(false);
    }
    expect(r.got.map((g) => g.headers['x-hotline-attempt'])).toEqual(['1', '2', '3']);
    const body = JSON.parse(r.got[2]!.body) as { type: string; data: Record<string, unknown> };
    expect(body).toMatchObject({ type: 'call.answered', data: { callId: 'k1', agentId: 'a1', ringMs: 3000, at: new Date(T0).toISOString() } });
    // A tampered body does not verify.
    expect(verifySignature(SECRET, r.got[2]!.headers['x-hotline-signature'] as string, r.got[2]!.body.replace('k1', 'k2'), Math.floor(clock.now() / 1000))).toBe(false);
  });

  it('a dead receiver: dead letter after the last attempt, listed, and re-sent on request', async () => {
    const clock = new VirtualClock(T0);
    const hook = await repo.create({ url: await deadUrl(), events: [], secret: SECRET });
    const w = world('s-dead', clock);
    w.src.push(answered(T0));
    await w.writer.pump();
    await drive(w.dispatcher, clock, 10, 60_000);
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 0, dead: 1 });
    expect(w.outcomes).toEqual(['failed', 'failed', 'failed', 'dead']);
    const [dl] = await repo.deadLetters();
    expect(dl).toMatchObject({ webhookId: hook.id, eventType: 'call.answered', attempts: 4 });
    expect(dl!.lastError).toMatch(/fetch failed|ECONNREFUSED/);

    // The receiver comes back at another address; the admin points the subscription there and re-sends.
    const r = await receiver(() => 200);
    await t.db.query('move hook', 'UPDATE webhooks SET url = $2 WHERE id = $1', [hook.id, r.url]);
    expect(await repo.resend(dl!.id, clock.now())).toBe(true);
    expect(await repo.resend(dl!.id, clock.now())).toBe(false);
    await drive(w.dispatcher, clock, 1, 0);
    expect(r.got).toHaveLength(1);
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 });
    expect(await repo.deadLetters()).toEqual([]);
  });

  it('a receiver that hangs is cut off at the time limit; the intake and the other deliveries never wait on it', async () => {
    const clock = new VirtualClock(T0);
    const r = await receiver(() => 'hang');
    await repo.create({ url: r.url, events: [], secret: SECRET });
    const w = world('s-hang', clock, { timeoutMs: 5_000, concurrency: 2 });
    for (let i = 0; i < 5; i++) w.src.push(answered(T0, `k${i}`));
    await w.writer.pump();
    expect(await w.dispatcher.pump()).toBe(2);
    await until(() => r.got.length === 2);
    // Bounded: two in flight, nothing more is claimed while they hang.
    expect(await w.dispatcher.pump()).toBe(0);
    expect(r.got).toHaveLength(2);

    // The intake (the ACD event writer, which the calls' events go through) carries on while the receiver hangs.
    w.src.push(answered(T0, 'k9'));
    const started = performance.now();
    expect(await w.writer.pump()).toBe(1);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(w.dispatcher.inFlight).toBe(2);

    clock.advance(5_000);
    await w.dispatcher.idle();
    expect(w.outcomes).toEqual(['failed', 'failed']);
    const rows = await t.db.query<{ last_error: string }>('errors', `SELECT last_error FROM webhook_deliveries WHERE last_error IS NOT NULL`);
    expect(rows.rows.map((x) => x.last_error)).toEqual(['timeout: no answer within 5000 ms', 'timeout: no answer within 5000 ms']);
  });

  it('an instance that dies mid-delivery: once its lease expires another instance delivers', async () => {
    const clock = new VirtualClock(T0);
    const r = await receiver(() => 200);
    await repo.create({ url: r.url, events: [], secret: SECRET });
    const w = world('s-lease', clock, { instanceId: 'i2', leaseMs: 15_000 });
    w.src.push(answered(T0));
    await w.writer.pump();
    // Instance i1 claims the delivery, then dies before any outcome (what a killed process leaves behind).
    expect(await repo.claim('i1', clock.now(), 15_000, 10)).toHaveLength(1);
    expect(await w.dispatcher.pump()).toBe(0);
    clock.advance(14_999);
    expect(await w.dispatcher.pump()).toBe(0);
    clock.advance(1);
    expect(await w.dispatcher.pump()).toBe(1);
    await w.dispatcher.idle();
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.headers['x-hotline-attempt']).toBe('2');
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 });
    // The dead instance's stale failure (had it come back) cannot undo the delivery.
    const [row] = (await t.db.query<{ id: string }>('id', 'SELECT id FROM webhook_deliveries')).rows;
    expect(await repo.failed({ id: String(row!.id), holder: 'i1', attempt: 1, error: 'late', nowMs: clock.now(), retryAtMs: clock.now() })).toBeUndefined();
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 });
  });

  it('each event is queued once per subscription, even when a batch is read again', async () => {
    const clock = new VirtualClock(T0);
    await repo.create({ url: 'http://127.0.0.1:9/a', events: [], secret: SECRET });
    await repo.create({ url: 'http://127.0.0.1:9/b', events: ['agent.state_changed'], secret: SECRET });
    const w = world('s-once', clock);
    w.src.push(answered(T0), { type: 'agent-state', at: T0, agentId: 'a1', from: 'reserved', to: 'on-call' }, { type: 'instance-dead', at: T0, instance: 'x' });
    await w.writer.pump();
    // The same entries again, straight into the intake (as a second writer would if it read them again).
    await t.db.tx('again', (c) => repo.persist(c, w.src.entries[0]!.events.map((event, i) => ({ id: '1-0', seq: streamSeq('1-0', i), event }))));
    const rows = await t.db.query<{ event_type: string; n: string }>('count', 'SELECT event_type, count(*) AS n FROM webhook_deliveries GROUP BY event_type ORDER BY event_type');
    // instance-dead is internal: not delivered; hook b takes only agent state changes.
    expect(rows.rows.map((x) => [x.event_type, Number(x.n)])).toEqual([
      ['agent.state_changed', 2],
      ['call.answered', 1],
    ]);
  });
});

describe('webhook delivery with several instances', () => {
  it('two instances pumping the same queue deliver every event exactly once; delivered rows are pruned later', async () => {
    const clock = new VirtualClock(T0);
    const r = await receiver(() => 200);
    await repo.create({ url: r.url, events: [], secret: SECRET });
    const a = world('s-two', clock, { instanceId: 'a', concurrency: 4 });
    const b = new WebhookDispatcher({ repo, clock, logger: silentLogger, instanceId: 'b', concurrency: 4 });
    for (let i = 0; i < 30; i++) a.src.push(answered(T0, `k${i}`));
    expect(await a.writer.pump()).toBe(30);
    for (let round = 0; round < 10; round++) {
      await Promise.all([a.dispatcher.pump(), b.pump()]);
      await Promise.all([a.dispatcher.idle(), b.idle()]);
    }
    const ids = r.got.map((g) => (JSON.parse(g.body) as { data: { callId: string } }).data.callId);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 30, dead: 0 });

    // Seven days on, the delivered rows go; the next pump prunes them.
    clock.advance(7 * 86_400_000 + 1);
    await b.pump();
    expect(await repo.counts()).toEqual({ pending: 0, delivered: 0, dead: 0 });
  });
  it('a workflow event emitted in a transaction reaches its subscriber once, even when emitted twice', async () => {
    const clock = new VirtualClock(T0);
    const r = await receiver(() => 204);
    await repo.create({ url: r.url, events: ['work_order.escalated'], secret: SECRET });
    const ev = { id: 'work-order:7:escalated', type: 'work_order.escalated' as const, data: { workOrderId: '7' } };
    await t.db.tx('emit', async (c) => {
      await repo.emit(c, [ev, { id: 'plan:1', type: 'plan.activated', data: { level: 1 } }], T0);
    });
    // A sweep that runs again after a crash emits the same id: nothing more is queued.
    await t.db.tx('emit again', (c) => repo.emit(c, [ev], T0));
    expect(await repo.counts()).toEqual({ pending: 1, delivered: 0, dead: 0 });
    const w = world('s-workflow', clock);
    await drive(w.dispatcher, clock, 2, 1_000);
    expect(r.got).toHaveLength(1);
    expect(JSON.parse(r.got[0]!.body)).toEqual({ id: 'work-order:7:escalated', type: 'work_order.escalated', data: { workOrderId: '7' } });
  });
});
