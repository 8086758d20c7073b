import pino from 'pino';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CallbackDispatcher } from '../../src/callbacks/dispatcher.js';
import { DEFAULT_DEADLINE_DAYS, parseDeadlineDays, type CallbackPolicy } from '../../src/callbacks/deadline.js';
import type { CallbackCaller, CallbackGate, CallbackRouting, OutboundResult, ReservedAgent } from '../../src/callbacks/ports.js';
import { abandonedCallbackRequest, CallbackService, ivrCallbackRequest } from '../../src/callbacks/service.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Calendar } from '../../src/ivr/calendar.js';
import { CallRecordRepository, type CallRecord } from '../../src/store/pg/call-records.js';
import { CallbackRepository } from '../../src/store/pg/callbacks.js';
import { RedisCallbackSlots } from '../../src/store/redis/callback-slots.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { hotlineFlow, shanghai } from '../ivr/support.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { testRedis, uniqueHotline } from '../support/redis.js';

let t: TestDb;
let redis: Redis;
let cal: Calendar;
const policy: CallbackPolicy = { deadlineDays: DEFAULT_DEADLINE_DAYS, maxAttempts: 3, retrySpacingMs: 30 * 60_000 };
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

beforeAll(async () => {
  t = await createTestDb('callbacks');
  redis = await testRedis();
  cal = (await hotlineFlow()).calendar!;
  await t.db.query('t', `INSERT INTO webhooks (url, secret, events) VALUES ('http://127.0.0.1:9/hook', 'a-secret-of-enough-length-0123456789', '{}')`);
});
afterAll(async () => {
  await t?.drop();
  await redis?.quit();
});
beforeEach(async () => {
  await t.db.query('t', 'TRUNCATE callbacks, callback_attempts, call_records, webhook_deliveries');
});

function service(clock: VirtualClock): { svc: CallbackService; repo: CallbackRepository } {
  const repo = new CallbackRepository(t.db, new WebhookRepository(t.db));
  return { repo, svc: new CallbackService({ repo, calendar: () => cal, policy, clock, defaultQueue: () => 'general' }) };
}

async function webhookTypes(): Promise<string[]> {
  const r = await t.db.query<{ event_type: string }>('t', 'SELECT event_type FROM webhook_deliveries ORDER BY id');
  return r.rows.map((x) => x.event_type);
}

describe('callback deadlines by source, on the hotline calendar', () => {
  it("a returning caller's request names the agent they asked for", () => {
    expect(ivrCallbackRequest('call-2', { kind: 'callback', number: '13800138000', reason: 'long-wait', preferredAgentId: 'a7' }, 'general')).toEqual({
      number: '13800138000', reason: 'long-wait', source: 'returning', callId: 'call-2', queueId: 'general', preferredAgentId: 'a7',
    });
    expect(ivrCallbackRequest('call-3', { kind: 'callback', number: '13800138000', reason: 'long-wait' }, undefined)).toEqual({
      number: '13800138000', reason: 'long-wait', source: 'ivr', callId: 'call-3',
    });
  });

  it('IVR after-hours request on the Friday before National Day: 5 working days skip the holiday, first dial on the make-up Sunday', async () => {
    const clock = new VirtualClock(shanghai('2026-09-25', '20:00'));
    const { svc } = service(clock);
    const req = ivrCallbackRequest('call-1', { kind: 'callback', number: '13800138000', reason: 'after-hours' }, undefined)!;
    const cb = await svc.request(req);
    expect(cb).toMatchObject({ source: 'ivr', reason: 'after-hours', queueId: 'general', callId: 'call-1', status: 'pending' });
    expect(iso(cb.dueAt)).toBe(iso(shanghai('2026-10-09', '17:30')));
    expect(iso(cb.nextAttemptAt)).toBe(iso(shanghai('2026-09-27', '09:00')));
    // The same call asking twice is one task.
    expect((await svc.request(req)).id).toBe(cb.id);
    expect(await webhookTypes()).toEqual(['callback.created']);
  });

  it('an abandoned call on the Friday after the holiday is due the make-up Saturday (1 working day)', async () => {
    const clock = new VirtualClock(shanghai('2026-10-09', '16:00'));
    const { svc } = service(clock);
    const rule = { enabled: (q: string) => q === 'general', minWaitSec: 20 };
    const call = { callId: 'ab-1', callerNumber: '13900139000', queueId: 'general', queuedAt: clock.now() - 25_000, agentAnsweredAt: undefined, endedAt: clock.now(), disposition: 'caller-hangup', endedBy: 'caller' };
    expect(abandonedCallbackRequest(rule, { ...call, queuedAt: clock.now() - 19_000 })).toBeUndefined();
    expect(abandonedCallbackRequest(rule, { ...call, queueId: 'specialists' })).toBeUndefined();
    expect(abandonedCallbackRequest(rule, { ...call, callerNumber: 'anonymous' })).toBeUndefined();
    expect(abandonedCallbackRequest(rule, { ...call, agentAnsweredAt: clock.now() - 1000 })).toBeUndefined();
    const cb = await svc.request(abandonedCallbackRequest(rule, call)!);
    expect(cb).toMatchObject({ source: 'abandoned', reason: 'abandoned' });
    expect(iso(cb.dueAt)).toBe(iso(shanghai('2026-10-10', '17:30')));
    expect(iso(cb.nextAttemptAt)).toBe(iso(clock.now()));
  });

  it('API complaint during lunch: 1 working day, first dial when lunch ends; reasons are configurable', async () => {
    const clock = new VirtualClock(shanghai('2026-06-05', '12:10'));
    const { svc } = service(clock);
    const cb = await svc.request({ number: '+8613800138000', reason: 'complaint', source: 'api', queueId: 'complaints' });
    expect(iso(cb.dueAt)).toBe(iso(shanghai('2026-06-08', '18:00')));
    expect(iso(cb.nextAttemptAt)).toBe(iso(shanghai('2026-06-05', '13:30')));
    expect(parseDeadlineDays('after-hours=3, complaint=2')).toMatchObject({ 'after-hours': 3, complaint: 2, 'long-wait': 1 });
    expect(() => parseDeadlineDays('after-hours=0')).toThrow(/days 1..30/);
    await expect(svc.request({ number: 'call me', source: 'api' })).rejects.toThrow(/requestedNumber/);
  });

  it('cancels an open task once, lists with filters including overdue', async () => {
    const clock = new VirtualClock(shanghai('2026-06-01', '10:00'));
    const { svc } = service(clock);
    const a = await svc.request({ number: '13800000001', reason: 'complaint', source: 'api' });
    const b = await svc.request({ number: '13800000002', reason: 'after-hours', source: 'ivr' });
    clock.advance(2 * 86_400_000); // Wednesday 10:00: a (due Tuesday 18:00) is overdue, b (5 days) is not
    expect((await svc.list({ overdue: true }, { limit: 10, offset: 0 })).map((c) => c.id)).toEqual([a.id]);
    expect((await svc.list({ overdue: false }, { limit: 10, offset: 0 })).map((c) => c.id)).toEqual([b.id]);
    expect((await svc.list({ source: 'ivr' }, { limit: 10, offset: 0 })).map((c) => c.id)).toEqual([b.id]);
    expect(await svc.cancel(b.id)).toMatchObject({ status: 'cancelled' });
    await expect(svc.cancel(b.id)).rejects.toMatchObject({ code: 'CALLBACK_FINISHED' });
    await expect(svc.cancel('999999')).rejects.toMatchObject({ code: 'CALLBACK_UNKNOWN' });
  });
});

/** Scripted ports above the SIP/media adapters: which agent the ACD reserves, how each dial ends. */
class Script implements CallbackRouting, CallbackCaller {
  agents: string[] = ['1001', '1002', '1003', '1004'];
  outcomes: OutboundResult['outcome'][] = [];
  placed: { callId: string; agentId: string; number: string }[] = [];
  /** Calls that have not ended yet (resolve to end them). */
  open: ((r: OutboundResult) => void)[] = [];
  hold = false;
  events: string[] = [];
  constructor(private readonly clock: VirtualClock) {}

  /** The agent each reservation asked for (undefined: anyone). */
  preferred: (string | undefined)[] = [];

  reserve(req: { callId: string; queueId: string; preferredAgentId?: string }): Promise<ReservedAgent | undefined> {
    this.preferred.push(req.preferredAgentId);
    const agentId = this.agents.shift();
    if (!agentId) return Promise.resolve(undefined);
    const ev = (e: string) => () => {
      this.events.push(`${agentId}:${e}`);
      return Promise.resolve();
    };
    this.events.push(`${agentId}:reserved:${req.queueId}`);
    return Promise.resolve({ agentId, wrapUpSec: 0, ringing: ev('ringing'), answered: ev('answered'), missed: ev('missed'), leave: (by) => ev(`leave-${by}`)() });
  }

  async place(req: { callId: string; agentId: string; number: string }, hooks: { agentAnswered(): Promise<void> }): Promise<OutboundResult> {
    this.placed.push(req);
    this.agents.push(req.agentId); // free again after the call
    const outcome = this.outcomes.shift() ?? 'answered';
    if (outcome === 'agent-missed') return { outcome, endedAt: this.clock.now(), endedBy: 'system' };
    await hooks.agentAnswered();
    const at = this.clock.now();
    if (this.hold) return new Promise((resolve) => this.open.push(resolve));
    return outcome === 'answered'
      ? { outcome, agentAnsweredAt: at, customerAnsweredAt: at, endedAt: at, endedBy: 'caller' }
      : { outcome, agentAnsweredAt: at, endedAt: at, endedBy: 'system', failure: outcome };
  }
}

function dispatcher(clock: VirtualClock, script: Script, gate: CallbackGate, instanceId: string, hotline: string, leaseMs = 60_000): CallbackDispatcher {
  return new CallbackDispatcher(
    {
      tasks: new CallbackRepository(t.db, new WebhookRepository(t.db)),
      gate,
      slots: new RedisCallbackSlots(redis, hotline),
      routing: script,
      caller: script,
      records: recordsRepo(),
      calendar: () => cal,
      defaultQueue: () => 'general',
      policy,
      clock,
      log: process.env.CB_DEBUG ? pino({ level: 'debug' }) : silentLogger,
    },
    { instanceId, leaseMs, offerWindowMs: 10_000, noAgentBackoffMs: 60_000 },
  );
}

const recordsRepo = (): { writeCallRecord(r: CallRecord): Promise<unknown> } => {
  const repo = new CallRecordRepository(t.db);
  return { writeCallRecord: (r) => repo.write(r) };
};

async function settle(d: CallbackDispatcher): Promise<void> {
  for (let i = 0; i < 50 && d.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('the callback dispatcher (virtual clock, real PostgreSQL and Redis)', () => {
  const open = (maxSeats: number, allowed = true): CallbackGate => ({ callbacksAllowed: () => Promise.resolve({ allowed, maxSeats }) });

  function make(clock: VirtualClock, script: Script, gate: CallbackGate, instanceId = 'app-a', hotline = uniqueHotline('cb'), leaseMs = 60_000): CallbackDispatcher {
    return dispatcher(clock, script, gate, instanceId, hotline, leaseMs);
  }

  it('offers only while the line is open and the gate allows, at most N seats at once', async () => {
    const clock = new VirtualClock(shanghai('2026-06-01', '08:00'));
    const { svc, repo } = service(clock);
    for (let i = 0; i < 4; i++) await svc.request({ number: `1380000000${i}`, reason: 'complaint', source: 'api' });
    const script = new Script(clock);
    script.hold = true;
    const gate = { allowed: false, maxSeats: 2 };
    const hotline = uniqueHotline('cb-seats');
    const a = make(clock, script, { callbacksAllowed: () => Promise.resolve({ ...gate }) }, 'app-a', hotline);
    const b = make(clock, script, { callbacksAllowed: () => Promise.resolve({ ...gate }) }, 'app-b', hotline);
    await a.sweep(); // 08:00: closed (opens 09:00)
    expect(script.placed).toHaveLength(0);
    clock.advance(3_600_000);
    await a.sweep(); // open, but the plan says no
    expect(script.placed).toHaveLength(0);
    gate.allowed = true;
    await Promise.all([a.sweep(), b.sweep()]);
    await new Promise((r) => setTimeout(r, 50));
    // Two instances, two seats between them: never more.
    expect(script.placed).toHaveLength(2);
    expect(await new RedisCallbackSlots(redis, hotline).held(clock.now())).toBe(2);
    await Promise.all([a.sweep(), b.sweep()]);
    expect(script.placed).toHaveLength(2);
    for (const end of script.open.splice(0)) end({ outcome: 'answered', agentAnsweredAt: clock.now(), customerAnsweredAt: clock.now(), endedAt: clock.now(), endedBy: 'caller' });
    await settle(a);
    await settle(b);
    expect((await repo.list({ status: 'done' }, { limit: 10, offset: 0 }, clock.now())).length).toBe(2);
    expect(await new RedisCallbackSlots(redis, hotline).held(clock.now())).toBe(0);
    script.hold = false;
    await a.sweep();
    await settle(a);
    expect(script.placed).toHaveLength(4);
    expect(script.events.filter((e) => e.includes('reserved')).every((e) => e.endsWith(':callback:general'))).toBe(true);
    // Each dial left an outbound call record.
    const recs = await t.db.query<{ direction: string; disposition: string }>('t', 'SELECT direction, disposition FROM call_records');
    expect(recs.rows).toEqual(Array(4).fill({ direction: 'outbound', disposition: 'answered' }));
  });

  it('asks the ACD for the agent a task names until 4 hours before its deadline, then for anyone', async () => {
    const clock = new VirtualClock(shanghai('2026-06-01', '10:00'));
    const { svc } = service(clock);
    await svc.request({ number: '13800000020', reason: 'complaint', source: 'returning', preferredAgentId: '1003' }); // due Tue 18:00
    const script = new Script(clock);
    script.outcomes = ['agent-missed', 'agent-missed'];
    const d = make(clock, script, open(2));
    await d.sweep();
    await settle(d);
    clock.advance(28 * 3_600_000 + 30 * 60_000); // Tuesday 14:30: 3.5 h before the deadline
    await d.sweep();
    await settle(d);
    expect(script.preferred).toEqual(['1003', undefined]);
  });

  it('retries spaced and bounded, only during open hours; agent misses do not count; overdue flagged once', async () => {
    const clock = new VirtualClock(shanghai('2026-06-01', '17:00'));
    const { svc, repo } = service(clock);
    const cb = await svc.request({ number: '13800000009', reason: 'complaint', source: 'api' });
    const script = new Script(clock);
    script.outcomes = ['agent-missed', 'no-answer', 'busy', 'no-answer'];
    const d = make(clock, script, open(2));
    await d.sweep();
    await settle(d);
    expect(await repo.get(cb.id)).toMatchObject({ status: 'pending', attempts: 0, outcome: 'agent-missed' });
    await d.sweep(); // again at once, another agent
    await settle(d);
    let now = await repo.get(cb.id);
    expect(now).toMatchObject({ status: 'pending', attempts: 1, outcome: 'no-answer' });
    expect(iso(now!.nextAttemptAt)).toBe(iso(shanghai('2026-06-01', '17:30')));
    clock.advance(29 * 60_000);
    await d.sweep();
    expect(script.placed).toHaveLength(2); // not before the spacing
    clock.advance(60_000);
    await d.sweep();
    await settle(d);
    now = await repo.get(cb.id);
    // 18:00 + 30 min is after closing: the next dial waits for Tuesday's opening.
    expect(now).toMatchObject({ status: 'pending', attempts: 2, outcome: 'busy' });
    expect(iso(now!.nextAttemptAt)).toBe(iso(shanghai('2026-06-02', '09:00')));
    clock.advance(16 * 3_600_000); // Tuesday 09:30
    await d.sweep();
    await settle(d);
    expect(await repo.get(cb.id)).toMatchObject({ status: 'failed', attempts: 3, outcome: 'no-answer' });
    expect((await repo.attempts(cb.id)).map((a) => [a.outcome, a.agentId])).toEqual([['agent-missed', '1001'], ['no-answer', '1002'], ['busy', '1003'], ['no-answer', '1004']]);
    expect(script.events).toContain('1001:missed');

    // A second task left pending past its deadline is flagged once, with one webhook, however often sweeps run.
    const late = await svc.request({ number: '13800000010', reason: 'complaint', source: 'api' }); // due Wednesday 18:00
    const closed = make(clock, script, open(0));
    clock.advance(2 * 86_400_000); // Thursday 09:30
    await Promise.all([closed.sweep(), closed.sweep(), make(clock, script, open(0), 'app-b').sweep()]);
    await closed.sweep();
    expect((await repo.get(late.id))?.overdueAt).toBe(clock.now());
    expect((await webhookTypes()).filter((x) => x === 'callback.overdue')).toHaveLength(1);
    expect((await webhookTypes()).filter((x) => x === 'callback.attempted')).toHaveLength(4);
    expect((await webhookTypes()).filter((x) => x === 'callback.completed')).toHaveLength(1);
  });

  it("a dead instance's claim and seat are taken again after their lease", async () => {
    const clock = new VirtualClock(shanghai('2026-06-01', '10:00'));
    const { svc, repo } = service(clock);
    const cb = await svc.request({ number: '13800000011', reason: 'complaint', source: 'api' });
    const hotline = uniqueHotline('cb-dead');
    const dying = new Script(clock);
    dying.hold = true; // its call never ends: the instance dies mid-call
    const dead = make(clock, dying, open(1), 'app-dead', hotline);
    await dead.sweep();
    await new Promise((r) => setTimeout(r, 50));
    expect(dying.placed).toHaveLength(1);
    const script = new Script(clock);
    const alive = make(clock, script, open(1), 'app-alive', hotline);
    clock.advance(59_000);
    await alive.sweep();
    expect(script.placed).toHaveLength(0); // lease still running
    clock.advance(2_000);
    await alive.sweep();
    await settle(alive);
    expect(script.placed).toHaveLength(1);
    expect(await repo.get(cb.id)).toMatchObject({ status: 'done', attempts: 1 });
    // The dead instance's late result changes nothing: it no longer holds the claim.
    dying.open[0]!({ outcome: 'no-answer', agentAnsweredAt: clock.now(), endedAt: clock.now(), endedBy: 'system' });
    await settle(dead);
    expect(await repo.get(cb.id)).toMatchObject({ status: 'done', attempts: 1 });
  });
});
