import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRepository } from '../../../src/store/pg/agents.js';
import { AgentStateHistoryRepository } from '../../../src/store/pg/agent-states.js';
import { CallRecordRepository, type CallRecord } from '../../../src/store/pg/call-records.js';
import { OfferRepository } from '../../../src/store/pg/offers.js';
import { QueueRepository } from '../../../src/store/pg/queues.js';
import { ReportRepository } from '../../../src/store/pg/reports.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

let t: TestDb;
let reports: ReportRepository;
const T0 = Date.UTC(2026, 10, 24, 1, 0, 0); // 09:00 in Shanghai
const S = 1000;

beforeAll(async () => {
  t = await createTestDb('reports');
  reports = new ReportRepository(t.db);
  await new QueueRepository(t.db).upsertAll([
    { id: 'billing', name: 'Billing', requiredSkills: [], priority: 0, policy: 'longest-idle', overflow: {}, serviceLevel: { fraction: 0.8, seconds: 20 }, wrapUpSec: 30, answerRings: 3, stickyAgentSec: 0, maxWaitSec: 0 },
  ]);
  await new AgentRepository(t.db).create({ sipUsername: 'a1', name: 'Agent One', password: 'password-1', realm: 'r' });
  const calls = new CallRecordRepository(t.db);
  const answered = (callId: string, at: number, waitSec: number, rings: number, talkSec: number, agentId: string): CallRecord => ({
    callId, queueId: 'billing', agentId, arrivalAt: at, enqueueAt: at, answerAt: at + waitSec * S, hangupAt: at + (waitSec + talkSec) * S, ringsToAnswer: rings, disposition: 'answered', surveyRating: 5,
  });
  await calls.write(answered('c1', T0, 10, 2, 180, 'a1'));
  await calls.write({ ...answered('c2', T0 + 60 * S, 30, 4, 120, 'a2'), surveyRating: 1, recordingPath: 'rec/c2.wav' });
  await calls.write({ callId: 'c3', queueId: 'billing', arrivalAt: T0 + 120 * S, enqueueAt: T0 + 120 * S, abandonAt: T0 + 160 * S, disposition: 'abandoned', whoHungUp: 'caller' });
  await calls.write(answered('c4', T0 + 600 * S, 20, 1, 60, 'a1'));
  await calls.write(answered('c5', T0 + 1900 * S, 5, 1, 30, 'a1'));
  await calls.write({ callId: 'c6', arrivalAt: T0 + 100 * S, disposition: 'after-hours' });
  await calls.write(answered('c7', T0 - 100 * S, 5, 1, 30, 'a1'));
  // A callback dialled out in the first half hour: not a call offered to the hotline (the queue KPIs skip it).
  await calls.write({ ...answered('c8', T0 + 300 * S, 0, 1, 60, 'a1'), queueId: 'billing', direction: 'outbound' });

  const offers = new OfferRepository(t.db);
  await offers.write({ callId: 'c1', agentId: 'a1', offeredAt: T0, outcome: 'answered', rings: 2 });
  await offers.write({ callId: 'c2', agentId: 'a1', offeredAt: T0 + 60 * S, outcome: 'rona', rings: 3 });
  await offers.write({ callId: 'c2', agentId: 'a2', offeredAt: T0 + 76 * S, outcome: 'answered', rings: 4 });
  await offers.write({ callId: 'c4', agentId: 'a1', offeredAt: T0 + 615 * S, outcome: 'answered', rings: 1 });
  await offers.write({ callId: 'c5', agentId: 'a1', offeredAt: T0 + 1900 * S, outcome: 'answered', rings: 1 });

  const states = new AgentStateHistoryRepository(t.db);
  await states.record({ agentId: 'a1', state: 'ready', at: T0 - 600 * S });
  await states.record({ agentId: 'a1', state: 'on-call', at: T0 + 10 * S });
  await states.record({ agentId: 'a1', state: 'wrap-up', at: T0 + 190 * S });
  await states.record({ agentId: 'a1', state: 'ready', at: T0 + 220 * S });
  await states.record({ agentId: 'a1', state: 'not-ready', reason: 'lunch', at: T0 + 3000 * S });
});
afterAll(async () => {
  await t.drop();
});

describe('ReportRepository', () => {
  it('computes service level, abandon rate, ASA, ATT and rings per queue and half hour', async () => {
    const kpis = await reports.queueKpis(T0, T0 + 3600 * S, 30);
    expect(kpis).toHaveLength(2);
    const [first, second] = kpis;
    expect(first).toMatchObject({ queueId: 'billing', intervalStart: T0, offered: 4, answered: 3, abandoned: 1, answeredWithinTarget: 2, serviceLevel: 0.5, abandonRate: 0.25, answerRate: 0.75, asaSec: 20, attSec: 120, lateAnswers: 1, target: { fraction: 0.8, seconds: 20 } });
    expect(first!.avgRings).toBeCloseTo(7 / 3, 6);
    expect(second).toMatchObject({ intervalStart: T0 + 1800 * S, offered: 1, answered: 1, serviceLevel: 1, abandonRate: 0, asaSec: 5 });
  });

  it('computes answers, RONAs, rings, talk time and occupancy per agent, clipped to the window', async () => {
    const kpis = await reports.agentKpis(T0, T0 + 3600 * S, T0 + 3600 * S);
    expect(kpis.map((k) => k.agentId)).toEqual(['a1', 'a2']);
    const a1 = kpis[0]!;
    // The agent's own work includes the callback they dialled out (c8: answered, 60 s talk, 1 ring).
    expect(a1).toMatchObject({ name: 'Agent One', answered: 4, offers: 4, rona: 1, talkSec: 330, stateSec: { ready: 2790, 'on-call': 180, 'wrap-up': 30, 'not-ready': 600 } });
    expect(a1.avgRings).toBeCloseTo(5 / 4, 6);
    expect(a1.occupancy).toBeCloseTo(210 / 3000, 9);
    expect(kpis[1]).toMatchObject({ agentId: 'a2', name: null, answered: 1, offers: 1, rona: 0, occupancy: null });
  });

  it('lists dissatisfied ratings for the team lead to review', async () => {
    expect(await reports.lowRatings(T0)).toEqual([
      { callId: 'c2', agentId: 'a2', queueId: 'billing', rating: 1, callerNumber: null, recordingPath: 'rec/c2.wav', endedAt: T0 + 210 * S },
    ]);
  });

  it('refuses an empty window', async () => {
    await expect(reports.queueKpis(T0, T0)).rejects.toThrow(/to: must be after from/);
  });
});
