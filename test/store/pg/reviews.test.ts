import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../../src/core/clock.js';
import { Housekeeping } from '../../../src/core/housekeeping.js';
import { silentLogger } from '../../../src/core/logger.js';
import { ReviewService } from '../../../src/reviews/service.js';
import { DEFAULT_REVIEW_POLICY } from '../../../src/reviews/rules.js';
import { AgentRepository } from '../../../src/store/pg/agents.js';
import { AgentStateHistoryRepository } from '../../../src/store/pg/agent-states.js';
import { CallRecordRepository, type CallRecord } from '../../../src/store/pg/call-records.js';
import { CallbackRepository } from '../../../src/store/pg/callbacks.js';
import { Db } from '../../../src/store/pg/db.js';
import { OfferRepository } from '../../../src/store/pg/offers.js';
import { DurableRecorder } from '../../../src/store/pg/recorder.js';
import { ReviewRepository } from '../../../src/store/pg/reviews.js';
import { Spool } from '../../../src/store/pg/spool.js';
import { TeamRepository } from '../../../src/store/pg/teams.js';
import { WebhookRepository } from '../../../src/webhooks/repository.js';
import { hotlineFlow } from '../../ivr/support.js';
import type { Calendar } from '../../../src/ivr/calendar.js';
import { addWorkingDays } from '../../../src/ivr/working-days.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

/** Beijing local time → epoch ms. */
const at = (local: string) => Date.parse(`${local}+08:00`);
const HOUR = 3_600_000;

let t: TestDb;
let spoolDir: string;
let calendar: Calendar;
const clock = new VirtualClock(at('2026-12-07T16:00:00'));

/** One instance's view: its own pool on the shared schema, the record hook as main.ts installs it. */
function instance(db: Db) {
  const webhooks = new WebhookRepository(db);
  const reviews = new ReviewRepository(db, webhooks);
  const records = new CallRecordRepository(db);
  const hookErrors: unknown[] = [];
  records.onInserted(reviews.recordHook(() => DEFAULT_REVIEW_POLICY, () => clock.now()), (e) => hookErrors.push(e));
  // How often the insert hooks ran at all (not only what they left behind: the review's own UNIQUE would hide a rerun).
  const ran: string[] = [];
  records.onInserted((_c, r) => Promise.resolve(void ran.push(r.callId)), (e) => hookErrors.push(e));
  const callbacks = new CallbackRepository(db);
  const service = new ReviewService({ reviews, callbacks, calendarFor: () => calendar, clock });
  return { webhooks, reviews, records, callbacks, service, hookErrors, ran };
}
let a: ReturnType<typeof instance>;

const record = (callId: string, over: Partial<CallRecord> = {}): CallRecord => ({
  callId,
  callerNumber: '13800138000',
  queueId: 'general',
  flowId: 'hotline',
  agentId: 'a1',
  firstAgentId: 'a1',
  arrivalAt: clock.now() - 10 * 60_000,
  answerAt: clock.now() - 9 * 60_000,
  hangupAt: clock.now(),
  disposition: 'answered',
  surveyRating: 3,
  recordingPath: `/recordings/${callId}.wav`,
  ...over,
});

beforeAll(async () => {
  t = await createTestDb('reviews');
  spoolDir = await mkdtemp(join(tmpdir(), 'acd-review-spool-'));
  calendar = (await hotlineFlow()).calendar!;
  const agents = new AgentRepository(t.db);
  for (const [id, user] of [['a1', '8001'], ['a2', '8002'], ['lead1', '8101'], ['lead2', '8102'], ['solo', '8201']] as const) {
    await agents.create({ id, sipUsername: user, name: id, password: `secret-${user}`, realm: 'hotline.test' });
  }
  const teams = new TeamRepository(t.db);
  await teams.create({ id: 'red', name: 'Red', leadAgentId: 'lead1' });
  await teams.create({ id: 'blue', name: 'Blue' }); // no lead
  await teams.assignAgent('a1', 'red');
  await teams.assignAgent('a2', 'blue');
  // Every workflow event is delivered somewhere, so the queue shows what was emitted.
  await new WebhookRepository(t.db).create({ url: 'http://127.0.0.1:9/hooks', events: ['review.created', 'review.overdue', 'review.closed'] });
  a = instance(t.db);
});
afterAll(async () => {
  await t.drop();
  await rm(spoolDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await t.pool.query('TRUNCATE review_tasks, callback_attempts, callbacks, call_records, webhook_deliveries');
  clock.runUntil(clock.now() + 1); // keep moving forward
});

const deliveries = async (type: string) =>
  (await t.pool.query<{ event_id: string }>('SELECT event_id FROM webhook_deliveries WHERE event_type = $1 ORDER BY id', [type])).rows.map((r) => r.event_id);

describe('teams', () => {
  it("show on the agent's record and in the team's members", async () => {
    expect((await new AgentRepository(t.db).get('a1'))?.teamId).toBe('red');
    expect(await new TeamRepository(t.db).get('red')).toEqual({ id: 'red', name: 'Red', leadAgentId: 'lead1', members: ['a1'] });
    expect(await new TeamRepository(t.db).isLead('lead1')).toBe(true);
    expect(await new TeamRepository(t.db).isLead('a1')).toBe(false);
  });

  it('refuse unknown agents and teams with typed errors', async () => {
    const teams = new TeamRepository(t.db);
    await expect(teams.setLead('red', 'nobody')).rejects.toMatchObject({ code: 'UNKNOWN_AGENT' });
    await expect(teams.setLead('green', 'lead1')).rejects.toMatchObject({ code: 'UNKNOWN_TEAM' });
    await expect(teams.assignAgent('a1', 'green')).rejects.toMatchObject({ code: 'UNKNOWN_TEAM' });
    await expect(teams.create({ id: 'bad id', name: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('review tasks are created with the call record', () => {
  it("dissatisfied at 16:50 → a task for the team lead, due 18:50, holding the call and its recording", async () => {
    clock.runUntil(at('2026-12-07T16:50:00'));
    expect(await a.records.write(record('c-1650'))).toBe(true);
    const task = await a.reviews.getByCall('c-1650');
    expect(task).toMatchObject({
      state: 'open', callId: 'c-1650', agentId: 'a1', teamId: 'red', assigneeAgentId: 'lead1', rating: 3,
      recordingPath: '/recordings/c-1650.wav', callerNumber: '13800138000',
      ratedAt: at('2026-12-07T16:50:00'), dueAt: at('2026-12-07T18:50:00'),
    });
    expect(await deliveries('review.created')).toEqual([`review.created:${task!.id}`]);
  });

  it('satisfied and average ratings, and calls without a rating, create nothing', async () => {
    for (const [id, rating] of [['c-sat', 1], ['c-avg', 2], ['c-none', undefined]] as const) {
      const r = record(id);
      if (rating === undefined) delete r.surveyRating;
      else r.surveyRating = rating;
      expect(await a.records.write(r)).toBe(true);
    }
    expect(await a.reviews.list()).toEqual([]);
  });

  it('exactly once per call: written again directly, and again from the spool by another instance', async () => {
    const r = record('c-twice');
    const recorder = (db: Db, rec: CallRecordRepository) =>
      new DurableRecorder({ callRecords: rec, offers: new OfferRepository(db), agentStates: new AgentStateHistoryRepository(db), spool: new Spool(spoolDir), clock, logger: silentLogger });
    expect(await recorder(t.db, a.records).writeCallRecord(r)).toBe('written');
    expect(await recorder(t.db, a.records).writeCallRecord(r)).toBe('duplicate');
    // A copy spooled on another instance during a blip that had in fact reached the database, replayed later.
    const other = new Db({ url: t.url, schema: t.schema, max: 2 });
    try {
      const b = instance(other);
      await new Spool(spoolDir).append({ kind: 'call-record', data: r });
      expect(await recorder(other, b.records).replay()).toMatchObject({ replayed: 1, rejected: 0 });
      // And both instances writing it at the same moment.
      const both = await Promise.all([a.records.write(r), b.records.write(r)]);
      expect(both).toEqual([false, false]);
      expect(b.ran).toEqual([]);
    } finally {
      await other.close();
    }
    expect((await a.reviews.list()).map((x) => x.callId)).toEqual(['c-twice']);
    expect(await deliveries('review.created')).toHaveLength(1);
    expect(a.ran.filter((id) => id === 'c-twice')).toEqual(['c-twice']);
    expect(a.hookErrors).toEqual([]);
  });

  it("agent without a team, or a team without a lead → the supervisors' pool, still due in 2 hours", async () => {
    await a.records.write(record('c-solo', { agentId: 'solo', firstAgentId: 'solo' }));
    await a.records.write(record('c-blue', { agentId: 'a2', firstAgentId: 'a2' }));
    await a.records.write(record('c-gone', { agentId: 'removed-agent', firstAgentId: 'removed-agent' }));
    const pool = await a.reviews.list({ assignee: null });
    expect(pool.map((x) => [x.callId, x.teamId, x.assigneeAgentId, x.dueAt - x.ratedAt])).toEqual([
      ['c-solo', null, null, 2 * HOUR],
      ['c-blue', 'blue', null, 2 * HOUR],
      ['c-gone', null, null, 2 * HOUR],
    ]);
    expect(await a.reviews.list({ assignee: 'lead1' })).toEqual([]);
  });

  it('a review that cannot be created never costs the call record (savepoint, reported)', async () => {
    const records = new CallRecordRepository(t.db);
    const errors: unknown[] = [];
    records.onInserted(async (c) => {
      await c.query('SELECT 1/0');
    }, (e) => errors.push(e));
    expect(await records.write(record('c-hook-fails'))).toBe(true);
    expect(await records.get('c-hook-fails')).toBeDefined();
    expect(errors).toHaveLength(1);
  });
});

describe('overdue sweep', () => {
  it('flags once at 18:50 + ε, with two instances sweeping and after a restart; one webhook', async () => {
    clock.runUntil(at('2026-12-08T16:50:00'));
    await a.records.write(record('c-late'));
    // Nothing to see for most of the two hours: skip to two minutes before the deadline, then run the chores.
    clock.runUntil(at('2026-12-08T18:48:00'));
    const other = new Db({ url: t.url, schema: t.schema, max: 2 });
    const b = instance(other);
    const flagged: string[][] = [];
    const sweeper = (svc: ReviewService) => async () => void flagged.push((await svc.sweep()).map((x) => x.callId));
    // Two live instances, each with its housekeeping chore every 15 s on the same (virtual) clock.
    let hkA = new Housekeeping(clock, silentLogger);
    const hkB = new Housekeeping(clock, silentLogger);
    hkA.every('review-overdue', 15_000, sweeper(a.service));
    hkB.every('review-overdue', 15_000, sweeper(b.service));
    const runTo = async (local: string) => {
      while (clock.now() < at(local)) {
        await clock.advanceAsync(Math.min(1_000, at(local) - clock.now()));
        await new Promise((r) => setTimeout(r, 5)); // let the PostgreSQL round trips finish
        await flushMicrotasks();
      }
    };
    try {
      await runTo('2026-12-08T18:49:59');
      expect((await a.reviews.getByCall('c-late'))?.state).toBe('open');
      expect(flagged.flat()).toEqual([]);
      // Instance A restarts at 18:50 (its chore stops and starts again): nothing is flagged twice.
      await hkA.close();
      hkA = new Housekeeping(clock, silentLogger);
      hkA.every('review-overdue', 15_000, sweeper(a.service));
      await runTo('2026-12-08T18:52:00');
      await hkA.close();
      await hkB.close();
    } finally {
      await hkA.close();
      await hkB.close();
      await other.close();
    }
    expect(flagged.flat()).toEqual(['c-late']);
    const task = (await a.reviews.getByCall('c-late'))!;
    expect(task.state).toBe('overdue');
    expect(task.overdueAt).toBeGreaterThan(at('2026-12-08T18:50:00'));
    expect(task.overdueAt).toBeLessThanOrEqual(at('2026-12-08T18:50:15'));
    expect(await deliveries('review.overdue')).toEqual([`review.overdue:${task.id}`]);
    expect(await a.reviews.overdueCount()).toBe(1);
    expect((await a.reviews.list({ state: 'overdue' })).map((x) => x.callId)).toEqual(['c-late']);
    expect(await a.reviews.list({ state: 'open' })).toEqual([]);
  });

  it('two sweeps racing on two pools flag each task once', async () => {
    for (let i = 0; i < 30; i++) await a.records.write(record(`c-race-${i}`));
    clock.runUntil(clock.now() + 2 * HOUR + 1);
    const other = new Db({ url: t.url, schema: t.schema, max: 2 });
    try {
      const b = instance(other);
      const [x, y] = await Promise.all([a.reviews.sweepOverdue(clock.now(), 7), b.reviews.sweepOverdue(clock.now(), 7)]);
      const rest = [...(await a.reviews.sweepOverdue(clock.now())), ...(await b.reviews.sweepOverdue(clock.now()))];
      const all = [...x, ...y, ...rest].map((r) => r.callId).sort();
      expect(all).toEqual(Array.from({ length: 30 }, (_, i) => `c-race-${i}`).sort());
      expect(await deliveries('review.overdue')).toHaveLength(30);
    } finally {
      await other.close();
    }
  });

  it('a closed task is never flagged', async () => {
    await a.records.write(record('c-closed'));
    const task = (await a.reviews.getByCall('c-closed'))!;
    await a.service.recordOutcome(task.id, { agentAtFault: false, note: 'listened: fine', closedBy: 'agent:lead1' });
    clock.runUntil(clock.now() + 3 * HOUR);
    expect(await a.reviews.sweepOverdue(clock.now())).toEqual([]);
  });
});

describe('outcome', () => {
  it('agent at fault → an apology callback by that agent, due within 1 working day; closing twice → REVIEW_ALREADY_CLOSED', async () => {
    clock.runUntil(at('2026-12-09T16:50:00')); // a Wednesday
    await a.records.write(record('c-fault'));
    const task = (await a.reviews.getByCall('c-fault'))!;
    clock.runUntil(at('2026-12-09T17:30:00'));
    const closed = await a.service.recordOutcome(task.id, { agentAtFault: true, listenedAt: at('2026-12-09T17:20:00'), note: 'rude on the call', closedBy: 'agent:lead1' });
    expect(closed).toMatchObject({ state: 'closed', agentAtFault: true, note: 'rude on the call', closedBy: 'agent:lead1', listenedAt: at('2026-12-09T17:20:00'), closedAt: at('2026-12-09T17:30:00') });
    expect(closed.apologyCallbackId).not.toBeNull();
    const cb = await t.pool.query<{ call_id: string; requested_number: string; preferred_agent_id: string; queue_id: string; note: string; due_at: Date; status: string }>(
      'SELECT * FROM callbacks WHERE id = $1', [closed.apologyCallbackId]);
    expect(cb.rows[0]).toMatchObject({ call_id: `review:${task.id}`, requested_number: '13800138000', preferred_agent_id: 'a1', queue_id: 'general', note: 'apology', status: 'pending' });
    expect(cb.rows[0]!.due_at.getTime()).toBe(addWorkingDays(calendar, at('2026-12-09T17:30:00'), 1));
    expect(cb.rows[0]!.due_at.getTime()).toBeGreaterThan(at('2026-12-10T00:00:00')); // Thursday, close of business

    const again = await a.service.recordOutcome(task.id, { agentAtFault: true, note: 'again', closedBy: 'supervisor:floor' }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'REVIEW_ALREADY_CLOSED' });
    expect((await t.pool.query('SELECT 1 FROM callbacks')).rowCount).toBe(1);
    expect(await deliveries('review.closed')).toEqual([`review.closed:${task.id}`]);
  });

  it("the caller's own callback for the rated call does not collide with the apology", async () => {
    await a.records.write(record('c-asked'));
    const own = await a.callbacks.create({ callId: 'c-asked', requestedNumber: '13800138000', requestedAt: clock.now(), dueAt: clock.now() + HOUR });
    const task = (await a.reviews.getByCall('c-asked'))!;
    const closed = await a.service.recordOutcome(task.id, { agentAtFault: true, note: 'sorry', closedBy: 'admin:ops' });
    expect(closed.apologyCallbackId).not.toBe(own);
    expect((await t.pool.query('SELECT 1 FROM callbacks')).rowCount).toBe(2);
  });

  it('two closes at once: one wins, the other gets REVIEW_ALREADY_CLOSED; one callback', async () => {
    await a.records.write(record('c-race-close'));
    const task = (await a.reviews.getByCall('c-race-close'))!;
    const other = new Db({ url: t.url, schema: t.schema, max: 2 });
    try {
      const b = instance(other);
      const results = await Promise.allSettled([
        a.service.recordOutcome(task.id, { agentAtFault: true, note: 'x', closedBy: 'agent:lead1' }),
        b.service.recordOutcome(task.id, { agentAtFault: true, note: 'y', closedBy: 'supervisor:floor' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'REVIEW_ALREADY_CLOSED' });
      expect((await t.pool.query('SELECT 1 FROM callbacks')).rowCount).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('not at fault: closed without a callback; unknown task → REVIEW_UNKNOWN', async () => {
    await a.records.write(record('c-ok'));
    const task = (await a.reviews.getByCall('c-ok'))!;
    expect((await a.service.recordOutcome(task.id, { agentAtFault: false, note: 'caller upset about the policy, not the agent', closedBy: 'agent:lead1' })).apologyCallbackId).toBeNull();
    expect((await t.pool.query('SELECT 1 FROM callbacks')).rowCount).toBe(0);
    await expect(a.service.recordOutcome('999999', { agentAtFault: false, note: 'x', closedBy: 'x' })).rejects.toMatchObject({ code: 'REVIEW_UNKNOWN' });
  });
});
