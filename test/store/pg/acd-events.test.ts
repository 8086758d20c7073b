import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcdEvent } from '../../../src/acd/events.js';
import type { AgentState } from '../../../src/acd/model.js';
import { AcdEventWriter, type AcdEventSource } from '../../../src/store/pg/acd-events.js';
import { AgentStateHistoryRepository } from '../../../src/store/pg/agent-states.js';
import { CallRecordRepository } from '../../../src/store/pg/call-records.js';
import { OfferRepository } from '../../../src/store/pg/offers.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('acd_events');
});
afterAll(async () => {
  await t.drop();
});

const T0 = Date.UTC(2026, 10, 24, 2, 0, 0);
const S = 1000;

/** The port RedisAcdStore.readEvents implements, over a list: entries "n-0", each holding one operation's events. */
class ListSource implements AcdEventSource {
  entries: { id: string; events: AcdEvent[] }[] = [];
  down = false;
  push(...events: AcdEvent[]): void {
    this.entries.push({ id: `${this.entries.length + 1}-0`, events });
  }
  readEvents(after: string, count = 10_000): Promise<{ id: string; event: AcdEvent }[]> {
    if (this.down) return Promise.reject(new Error('Redis unavailable'));
    const n = after === '0' ? 0 : Number(after.split('-')[0]);
    return Promise.resolve(this.entries.slice(n, n + count).flatMap((e) => e.events.map((event) => ({ id: e.id, event }))));
  }
}

function writer(source: AcdEventSource, stream: string, batch = 500): AcdEventWriter {
  return new AcdEventWriter({ db: t.db, source, stream, ringOnMs: 1000, ringOffMs: 4000, clock: new VirtualClock(0), logger: silentLogger, batch });
}

const state = (agentId: string, from: AgentState, to: AgentState, at: number, reason?: 'missed'): AcdEvent => ({
  type: 'agent-state',
  agentId,
  from,
  to,
  at,
  ...(reason ? { reason } : {}),
});

describe('AcdEventWriter', () => {
  it('persists offers with outcome and rings, and agent state history, exactly once', async () => {
    const src = new ListSource();
    src.push(state('a1', 'logged-out', 'ready', T0), state('a2', 'logged-out', 'ready', T0));
    src.push({ type: 'enqueued', at: T0 + 1 * S, callId: 'k1', queueId: 'billing', priority: 0, callerNumber: '138', ownerInstance: 'i1' });
    src.push({ type: 'offered', at: T0 + 2 * S, callId: 'k1', queueId: 'billing', agentId: 'a1', via: 'primary', waitedMs: 1000, ownerInstance: 'i1' }, state('a1', 'ready', 'reserved', T0 + 2 * S));
    src.push(state('a1', 'reserved', 'ringing', T0 + 2 * S + 100));
    // Three rings of 1 s on + 4 s off, then redirect on no answer.
    src.push({ type: 'rona', at: T0 + 17 * S, callId: 'k1', agentId: 'a1', queueId: 'billing' }, state('a1', 'ringing', 'not-ready', T0 + 17 * S, 'missed'));
    src.push({ type: 'offered', at: T0 + 17 * S, callId: 'k1', queueId: 'billing', agentId: 'a2', via: 'primary', waitedMs: 16000, ownerInstance: 'i1' }, state('a2', 'ready', 'reserved', T0 + 17 * S));
    src.push({ type: 'answered', at: T0 + 24 * S, callId: 'k1', agentId: 'a2', ringMs: 7000 }, state('a2', 'reserved', 'on-call', T0 + 24 * S));

    const w = writer(src, 'h-once', 3);
    let total = 0;
    for (let n = await w.pump(); n > 0; n = await w.pump()) total += n;
    expect(total).toBe(12);
    expect(await w.pump()).toBe(0);

    const offers = await new OfferRepository(t.db).forCall('k1');
    expect(offers.map((o) => [o.agentId, o.outcome, o.rings, o.offeredAt - T0, (o.endedAt ?? 0) - T0])).toEqual([
      ['a1', 'rona', 3, 2 * S, 17 * S],
      ['a2', 'answered', 2, 17 * S, 24 * S],
    ]);
    const a1 = await new AgentStateHistoryRepository(t.db).history('a1', T0 - 1, T0 + 60 * S);
    expect(a1.map((s) => [s.state, s.reason, s.startedAt - T0])).toEqual([
      ['ready', null, 0],
      ['reserved', null, 2 * S],
      ['ringing', null, 2 * S + 100],
      ['not-ready', 'missed', 17 * S],
    ]);
    const cursor = await t.pool.query("SELECT last_id, events FROM acd_event_cursors WHERE stream = 'h-once'");
    expect(cursor.rows).toEqual([{ last_id: '7-0', events: '12' }]);
  });

  it('shares one stream between two instances without writing an event twice', async () => {
    const src = new ListSource();
    for (let i = 0; i < 60; i++) {
      src.push({ type: 'offered', at: T0 + i * S, callId: `race-${i}`, queueId: 'q', agentId: `r${i % 5}`, via: 'primary', waitedMs: 0, ownerInstance: 'i1' });
      src.push({ type: 'answered', at: T0 + i * S + 3 * S, callId: `race-${i}`, agentId: `r${i % 5}`, ringMs: 3000 });
    }
    const w1 = writer(src, 'h-race', 7);
    const w2 = writer(src, 'h-race', 7);
    for (let idle = 0; idle < 3; ) {
      const [a, b] = await Promise.all([w1.pump(), w2.pump()]);
      idle = a + b === 0 ? idle + 1 : 0;
    }
    const rows = await t.pool.query("SELECT count(*)::int AS n, count(*) FILTER (WHERE outcome = 'answered' AND rings = 1)::int AS ok FROM call_offers WHERE call_id LIKE 'race-%'");
    expect(rows.rows[0]).toEqual({ n: 60, ok: 60 });
    const cursor = await t.pool.query("SELECT last_id, events FROM acd_event_cursors WHERE stream = 'h-race'");
    expect(cursor.rows).toEqual([{ last_id: '120-0', events: '120' }]);
  });

  it('keeps its place while Redis is away, and records calls removed with a dead instance', async () => {
    const src = new ListSource();
    src.push({ type: 'offered', at: T0, callId: 'dead-1', queueId: 'q', agentId: 'd1', via: 'primary', waitedMs: 0, ownerInstance: 'i9' });
    const w = writer(src, 'h-dead');
    expect(await w.pump()).toBe(1);
    src.push({ type: 'instance-dead', at: T0 + 12 * S, instance: 'i9' }, { type: 'removed-dead-instance', at: T0 + 12 * S, callId: 'dead-1', queueId: 'q', instance: 'i9', stage: 'offered', agentId: 'd1' });
    src.down = true;
    await expect(w.pump()).rejects.toThrow(/Redis unavailable/);
    src.down = false;
    expect(await w.pump()).toBe(2);
    expect(await new CallRecordRepository(t.db).get('dead-1')).toMatchObject({ disposition: 'failed', whoHungUp: 'system', instanceId: 'i9', agentId: 'd1', failureReason: expect.stringContaining('instance i9') });
    expect((await new OfferRepository(t.db).forCall('dead-1'))[0]).toMatchObject({ outcome: 'cancelled', rings: 3 });
  });

  it('a dead instance\'s tracked calls: one record each, in the IVR too, with the arrival, numbers and flow they were tracked with', async () => {
    const src = new ListSource();
    const w = writer(src, 'h-dead-tracked');
    const at = T0 + 30 * S;
    src.push(
      { type: 'instance-dead', at, instance: 'i8' },
      { type: 'removed-dead-instance', at, callId: 'tr-oncall', queueId: 'q', instance: 'i8', stage: 'on-call', agentId: 'd2', arrivedAt: T0, callerNumber: '13900000001', calledNumber: '7100', flowId: 'e2e' },
      { type: 'removed-dead-instance', at, callId: 'tr-ivr', instance: 'i8', stage: 'ivr', arrivedAt: T0 + 5 * S, callerNumber: '13900000002', calledNumber: '7100', flowId: 'e2e' },
      // Untracked (an instance of an earlier version): the removal time stands in for the arrival.
      { type: 'removed-dead-instance', at, callId: 'tr-old', queueId: 'q', instance: 'i8', stage: 'waiting' },
      // Delivered twice (a second reaper cannot see it, but a replayed stream could): still one record.
      { type: 'removed-dead-instance', at, callId: 'tr-ivr', instance: 'i8', stage: 'ivr', arrivedAt: T0 + 5 * S },
    );
    expect(await w.pump()).toBe(5);
    const repo = new CallRecordRepository(t.db);
    expect(await repo.get('tr-oncall')).toMatchObject({ disposition: 'failed', instanceId: 'i8', agentId: 'd2', queueId: 'q', callerNumber: '13900000001', hotlineNumber: '7100', flowId: 'e2e', arrivalAt: T0, hangupAt: at });
    expect(await repo.get('tr-ivr')).toMatchObject({ disposition: 'failed', whoHungUp: 'system', instanceId: 'i8', callerNumber: '13900000002', flowId: 'e2e', arrivalAt: T0 + 5 * S, failureReason: expect.stringContaining('in the IVR') });
    expect((await repo.get('tr-ivr'))?.queueId).toBeUndefined();
    expect(await repo.get('tr-old')).toMatchObject({ disposition: 'failed', arrivalAt: at, queueId: 'q' });
    const n = await t.pool.query("SELECT count(*)::int AS n FROM call_records WHERE call_id LIKE 'tr-%'");
    expect(n.rows[0]).toEqual({ n: 3 });
  });

  it('polls on its clock once started', async () => {
    const src = new ListSource();
    const clock = new VirtualClock(0);
    const w = new AcdEventWriter({ db: t.db, source: src, stream: 'h-poll', ringOnMs: 1000, ringOffMs: 4000, clock, logger: silentLogger, pollMs: 1000 });
    w.start();
    src.push(state('p1', 'logged-out', 'ready', T0));
    for (let i = 0; i < 50; i++) {
      await clock.advanceAsync(1000);
      await new Promise((r) => setTimeout(r, 10));
      const n = await t.pool.query("SELECT count(*)::int AS n FROM agent_state_history WHERE agent_id = 'p1'");
      if (n.rows[0].n === 1) break;
    }
    await w.stop();
    const n = await t.pool.query("SELECT count(*)::int AS n FROM agent_state_history WHERE agent_id = 'p1'");
    expect(n.rows[0].n).toBe(1);
  });
});
