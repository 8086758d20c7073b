import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordRepository, type CallRecord } from '../../../src/store/pg/call-records.js';
import { OfferRepository } from '../../../src/store/pg/offers.js';
import { AgentStateHistoryRepository } from '../../../src/store/pg/agent-states.js';
import { CallbackRepository } from '../../../src/store/pg/callbacks.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { DurableRecorder } from '../../../src/store/pg/recorder.js';
import { Spool } from '../../../src/store/pg/spool.js';
import { sessionCallRecordSink } from '../../../src/store/pg/session-sink.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { tmpdir } from 'node:os';
import type { CallRecordSink } from '../../../src/call/ports.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('records');
});
afterAll(async () => {
  await t.drop();
});

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);

const answered = (callId: string): CallRecord => ({
  callId,
  instanceId: 'app-1',
  hotlineNumber: '12345',
  callerNumber: '13800138000',
  flowId: 'main',
  flowRevision: 'r7',
  queueId: 'billing',
  agentId: '1001',
  firstAgentId: '1001',
  arrivalAt: T0,
  ivrExitAt: T0 + 8_000,
  enqueueAt: T0 + 8_000,
  answerAt: T0 + 19_000,
  hangupAt: T0 + 200_000,
  offers: 2,
  ringsToAnswer: 1.4,
  whoHungUp: 'caller',
  disposition: 'answered',
  surveyRating: 5,
  recordingPath: 'recordings/2026/11/24/c1.wav',
});

describe('CallRecordRepository', () => {
  it('writes exactly once when the cleanup path runs many times at once', async () => {
    const repo = new CallRecordRepository(t.db);
    const results = await Promise.all(Array.from({ length: 25 }, () => repo.write(answered('c-concurrent'))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const n = await t.pool.query("SELECT count(*)::int AS n FROM call_records WHERE call_id = 'c-concurrent'");
    expect(n.rows[0].n).toBe(1);
    // A later write with different content does not overwrite the first.
    expect(await repo.write({ ...answered('c-concurrent'), disposition: 'failed', failureReason: 'late duplicate' })).toBe(false);
    expect(await repo.get('c-concurrent')).toEqual({ ...answered('c-concurrent'), priority: 0 });
  });

  it('keeps the fields a call never reached empty and finds the last agent of a returning caller', async () => {
    const repo = new CallRecordRepository(t.db);
    await repo.write({ callId: 'c-abandon', callerNumber: '13800138000', arrivalAt: T0 + 3_600_000, enqueueAt: T0 + 3_605_000, abandonAt: T0 + 3_640_000, whoHungUp: 'caller', disposition: 'abandoned' });
    expect(await repo.get('c-abandon')).toEqual({ callId: 'c-abandon', callerNumber: '13800138000', arrivalAt: T0 + 3_600_000, enqueueAt: T0 + 3_605_000, abandonAt: T0 + 3_640_000, whoHungUp: 'caller', disposition: 'abandoned', priority: 0, offers: 0 });
    expect(await repo.lastAgentFor('13800138000', T0 - 1)).toBe('1001');
    expect(await repo.lastAgentFor('13800138000', T0 + 1)).toBeUndefined();
  });

  it('refuses a bad record with a clear error before touching the database', async () => {
    const repo = new CallRecordRepository(t.db);
    await expect(repo.write({ ...answered('c-bad'), disposition: 'lost' as never })).rejects.toThrow(/disposition: must be one of answered/);
    await expect(repo.write({ ...answered('c-bad'), surveyRating: 6 })).rejects.toThrow(InvalidInputError);
    await expect(repo.write({ callId: 'c-bad', arrivalAt: T0, disposition: 'answered' })).rejects.toThrow(/answerAt and agentId/);
    expect(await repo.get('c-bad')).toBeUndefined();
  });
});

describe('OfferRepository', () => {
  it('records each offer once, with RONA and rings', async () => {
    const repo = new OfferRepository(t.db);
    const rona = { callId: 'c1', agentId: '1002', queueId: 'billing', via: 'primary' as const, offeredAt: T0 + 8_000, endedAt: T0 + 23_000, outcome: 'rona' as const, rings: 3 };
    const ok = { callId: 'c1', agentId: '1001', queueId: 'billing', via: 'primary' as const, offeredAt: T0 + 23_100, endedAt: T0 + 30_100, outcome: 'answered' as const, rings: 1.4 };
    expect(await repo.write(rona)).toBe(true);
    expect(await repo.write(ok)).toBe(true);
    expect(await repo.write(rona)).toBe(false);
    expect(await repo.forCall('c1')).toEqual([rona, ok]);
    await expect(repo.write({ ...ok, outcome: 'maybe' as never })).rejects.toThrow(/outcome/);
  });
});

describe('AgentStateHistoryRepository', () => {
  it('closes the previous span, whatever order the changes arrive in', async () => {
    const repo = new AgentStateHistoryRepository(t.db);
    const s = (state: 'ready' | 'on-call' | 'wrap-up', at: number) => ({ agentId: 'a1', state, at: T0 + at });
    // Arrives out of order, as a spool replay might deliver it; one change twice.
    await repo.record(s('ready', 0));
    await repo.record(s('wrap-up', 300));
    await repo.record(s('on-call', 100));
    expect(await repo.record(s('on-call', 100))).toBe(false);
    await repo.record({ agentId: 'a1', state: 'not-ready', reason: 'lunch', at: T0 + 400 });
    const spans = await repo.history('a1', T0 - 1, T0 + 1_000);
    expect(spans.map((x) => [x.state, x.reason, x.startedAt - T0, x.endedAt === null ? null : x.endedAt - T0])).toEqual([
      ['ready', null, 0, 100],
      ['on-call', null, 100, 300],
      ['wrap-up', null, 300, 400],
      ['not-ready', 'lunch', 400, null],
    ]);
    await expect(repo.record({ agentId: 'a1', state: 'ready', reason: 'lunch', at: T0 + 500 })).rejects.toThrow(/only a not-ready/);
    await expect(repo.record({ agentId: 'a1', state: 'asleep' as never, at: T0 + 500 })).rejects.toThrow(/state/);
  });
});

describe('CallbackRepository', () => {
  it('creates one callback per call and hands each due one to exactly one claimer', async () => {
    const repo = new CallbackRepository(t.db);
    const ids = [];
    for (let i = 0; i < 10; i++) {
      ids.push(await repo.create({ callId: `cb-${i}`, requestedNumber: `1380013800${i}`, queueId: 'billing', requestedAt: T0, dueAt: T0 + 86_400_000, nextAttemptAt: T0 + i * 1000 }));
    }
    expect(await repo.create({ callId: 'cb-3', requestedNumber: '13800138003', requestedAt: T0, dueAt: T0 })).toBe(ids[3]);
    const [a, b] = await Promise.all([repo.claimNext(T0 + 7_500, 'app-a', 5, 60_000), repo.claimNext(T0 + 7_500, 'app-b', 5, 60_000)]);
    const claimed = [...a, ...b].map((c) => c.id).sort();
    expect(claimed).toEqual(ids.slice(0, 8).sort());
    expect(new Set(claimed).size).toBe(8);
    await expect(repo.create({ requestedNumber: 'call me', requestedAt: T0, dueAt: T0 })).rejects.toThrow(/requestedNumber/);
  });
});

describe('session record sink', () => {
  it('stores the call session record with the facts it carries', async () => {
    const recorder = new DurableRecorder({
      callRecords: new CallRecordRepository(t.db),
      offers: new OfferRepository(t.db),
      agentStates: new AgentStateHistoryRepository(t.db),
      spool: new Spool(`${tmpdir()}/acd-spool-unused-${process.pid}`),
      clock: new VirtualClock(0),
      logger: silentLogger,
    });
    // Typed as the call session's port: this fails to compile if src/call's record drifts from the sink's shape.
    const sink: CallRecordSink = sessionCallRecordSink(recorder, 'app-1');
    const base = { callerNumber: '13700137000', calledNumber: '12345', flowId: 'main', queueId: 'billing', startedAt: T0, queuedAt: T0 + 5_000, endedAt: T0 + 90_000, waitedMs: 15_000, surveyRating: undefined, recordingFile: undefined, transferredTo: undefined };
    await sink.write({ ...base, callId: 's-1', agentId: '1001', agentAnsweredAt: T0 + 20_000, ringsToAnswer: 4, missedAgents: ['1002'], disposition: 'completed', endedBy: 'caller', whispered: true });
    await sink.write({ ...base, callId: 's-2', agentId: undefined, agentAnsweredAt: undefined, ringsToAnswer: undefined, missedAgents: [], disposition: 'caller-hangup', endedBy: 'caller', whispered: false });
    await sink.write({ ...base, callId: 's-3', queuedAt: undefined, queueId: undefined, agentId: undefined, agentAnsweredAt: undefined, ringsToAnswer: undefined, missedAgents: [], disposition: 'error', endedBy: 'shutdown', whispered: false });
    await sink.write({ ...base, callId: 's-4', agentId: undefined, agentAnsweredAt: undefined, ringsToAnswer: undefined, missedAgents: [], disposition: 'ended-by-operator', endedBy: 'operator', whispered: false });
    await sink.write({ ...base, callId: 's-5', agentId: '1001', agentAnsweredAt: T0 + 20_000, ringsToAnswer: 1, missedAgents: [], disposition: 'ended-by-operator', endedBy: 'operator', whispered: false });
    const repo = new CallRecordRepository(t.db);
    // Hung up by a supervisor: its own disposition before an answer (not an abandon); an answered call stays answered.
    expect(await repo.get('s-4')).toMatchObject({ disposition: 'ended-by-operator', whoHungUp: 'system', failureReason: 'ended-by-operator' });
    expect(await repo.get('s-5')).toMatchObject({ disposition: 'answered', whoHungUp: 'system', failureReason: 'ended-by-operator' });
    expect(await repo.get('s-1')).toMatchObject({ disposition: 'answered', agentId: '1001', firstAgentId: '1001', answerAt: T0 + 20_000, offers: 2, missedAgents: ['1002'], ringsToAnswer: 4, lateWhisper: true, instanceId: 'app-1', hotlineNumber: '12345', whoHungUp: 'caller' });
    expect(await repo.get('s-2')).toMatchObject({ disposition: 'abandoned', abandonAt: T0 + 90_000, offers: 0 });
    expect(await repo.get('s-3')).toMatchObject({ disposition: 'failed', whoHungUp: 'system', failureReason: 'shutdown' });
  });
});
