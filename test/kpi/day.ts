import type { QueueDefinition } from '../../src/acd/model.js';
import type { CallRecord as SessionCallRecord } from '../../src/call/record.js';
import type { VirtualClock } from '../../src/core/clock.js';
import { Rng } from '../../src/sim/rng.js';
import type { RedisAcdStore } from '../../src/store/redis/acd-store.js';

/**
 * A simulated stretch of a hotline day on the REAL Redis ACD store and a virtual clock: callers arrive (Poisson),
 * spend a while in the menus, queue, are offered, ring out (RONA) or are answered, talk, go silent, hang up in the
 * queue or ask for a callback from it, take the survey after the agent hangs up; agents wrap up and come back from
 * missed calls. Each call's record is written through `records` (the call session's sink) when it ends.
 */
export const DAY_QUEUES: QueueDefinition[] = [
  { id: 'billing', name: 'Billing', requiredSkills: [{ skill: 'billing', minLevel: 1 }], priority: 1, policy: 'longest-idle', overflow: {}, serviceLevel: { fraction: 0.8, seconds: 20 }, wrapUpSec: 10, answerRings: 3, stickyAgentSec: 0, maxWaitSec: 120 },
  { id: 'tech', name: 'Tech', requiredSkills: [{ skill: 'tech', minLevel: 1 }], priority: 0, policy: 'longest-idle', overflow: {}, serviceLevel: { fraction: 0.9, seconds: 15 }, wrapUpSec: 5, answerRings: 3, stickyAgentSec: 0, maxWaitSec: 60 },
];

const RING_MS = 5_000;
const INSTANCE = 'i1';

export interface DayOptions {
  store: RedisAcdStore;
  clock: VirtualClock;
  records: { write(r: SessionCallRecord): Promise<void> };
  seed: number;
  /** Arrivals from now for this long; then the day runs until every call ended. */
  arrivalsMs: number;
  /** Mean seconds between arrivals, per queue. */
  meanGapSec: number;
  agentsPerQueue: number;
}

interface Call {
  rec: SessionCallRecord;
  state: 'ivr' | 'queued' | 'ringing' | 'talking' | 'done';
  offerSeq: number;
  agentId?: string;
  offeredAt?: number;
}

export async function runDay(o: DayOptions): Promise<{ calls: number }> {
  const { store, clock } = o;
  const rng = new Rng(o.seed);
  const agenda: { at: number; seq: number; fn: () => Promise<void> }[] = [];
  let seq = 0;
  const at = (t: number, fn: () => Promise<void>): void => {
    agenda.push({ at: t, seq: seq++, fn });
  };
  const calls = new Map<string, Call>();

  await store.configure({ skills: ['billing', 'tech'], queues: DAY_QUEUES });
  await store.renewLease(INSTANCE);
  for (const q of DAY_QUEUES) {
    for (let i = 0; i < o.agentsPerQueue; i++) {
      const id = `${q.id}-${i}`;
      await store.loginAgent({ id, name: id, skills: [{ skill: q.id, level: 3, primary: true }] });
      await store.setReady(id);
    }
  }

  const end = async (c: Call, disposition: SessionCallRecord['disposition'], endedBy: SessionCallRecord['endedBy'], extraMs = 0): Promise<void> => {
    c.state = 'done';
    c.rec.disposition = disposition;
    c.rec.endedBy = endedBy;
    c.rec.endedAt = clock.now() + extraMs;
    if (c.rec.queuedAt !== undefined) c.rec.waitedMs = (c.rec.agentAnsweredAt ?? c.rec.endedAt) - c.rec.queuedAt;
    await o.records.write({ ...c.rec });
  };

  // Offers go to the instance's inbox: ring the agent, who answers after some rings or lets it ring out.
  const ringOffers = async (): Promise<void> => {
    for (const offer of await store.takeOffers(INSTANCE)) {
      const c = calls.get(offer.callId);
      if (!c || c.state === 'done') continue;
      await store.markRinging(offer.callId);
      c.state = 'ringing';
      c.agentId = offer.agentId;
      c.offeredAt = clock.now();
      const mine = ++c.offerSeq;
      const pickUp = rng.chance(0.12) ? Infinity : 500 + rng.int(14_000);
      if (pickUp === Infinity) {
        at(clock.now() + 3 * RING_MS, async () => {
          if (c.state !== 'ringing' || c.offerSeq !== mine) return;
          c.rec.missedAgents.push(offer.agentId);
          c.state = 'queued';
          await store.rona(offer.callId);
          const agent = offer.agentId;
          at(clock.now() + 30_000, async () => {
            const a = await store.agent(agent);
            if (a?.state === 'not-ready') await store.setReady(agent);
          });
        });
      } else {
        at(clock.now() + pickUp, async () => {
          if (c.state !== 'ringing' || c.offerSeq !== mine) return;
          await store.answer(offer.callId);
          c.state = 'talking';
          c.rec.agentId = offer.agentId;
          c.rec.agentAnsweredAt = clock.now();
          c.rec.ringsToAnswer = Math.floor((clock.now() - c.offeredAt!) / RING_MS) + 1;
          const roll = rng.uniform();
          if (roll < 0.06) {
            // Nobody speaks: the silent-call script releases the call after its two prompts.
            at(clock.now() + 12_000, async () => {
              const r = await store.endCall(offer.callId);
              wrap(r.agentId, r.wrapUpSec);
              await end(c, 'silent', 'system');
            });
          } else if (roll < 0.16) {
            at(clock.now() + 1_000 + rng.int(120_000), async () => {
              await store.abandon(offer.callId);
              await end(c, 'caller-hangup', 'caller');
            });
          } else {
            at(clock.now() + 5_000 + rng.int(240_000), async () => {
              const r = await store.endCall(offer.callId);
              wrap(r.agentId, r.wrapUpSec);
              // The caller rates the service after the agent hangs up: the record ends later.
              await end(c, 'completed', 'agent', 8_000);
            });
          }
        });
      }
    }
  };
  // Wrap-up ends by its deadline in Redis (expire, run by housekeeping every second as main.ts does).
  const wrap = (_agentId: string, _sec: number): void => undefined;

  const start = clock.now();
  for (const q of DAY_QUEUES) {
    for (let t = start + rng.exponential(o.meanGapSec) * 1000; t < start + o.arrivalsMs; t += rng.exponential(o.meanGapSec) * 1000) {
      const callId = `${q.id}-${Math.floor(t)}-${seq}`;
      const arrival = Math.floor(t);
      at(arrival, () => {
        const c: Call = {
          state: 'ivr',
          offerSeq: 0,
          rec: {
            callId, callerNumber: `1380013${String(rng.int(10_000)).padStart(4, '0')}`, calledNumber: '12345', flowId: 'main', queueId: q.id, agentId: undefined,
            startedAt: arrival, queuedAt: undefined, agentAnsweredAt: undefined, endedAt: arrival, waitedMs: undefined, ringsToAnswer: undefined,
            missedAgents: [], disposition: 'completed', endedBy: 'caller', surveyRating: undefined, recordingFile: undefined, transferredTo: undefined, whispered: false,
          },
        };
        calls.set(callId, c);
        // In the menus first (some hang up there: no queue, not counted against it).
        const menuMs = 2_000 + rng.int(40_000);
        if (rng.chance(0.05)) {
          at(clock.now() + menuMs, () => end(c, 'caller-hangup', 'caller'));
          return Promise.resolve();
        }
        at(clock.now() + menuMs, async () => {
          c.rec.queuedAt = clock.now();
          c.state = 'queued';
          await store.enqueue({ callId, queueId: q.id, callerNumber: c.rec.callerNumber, priority: 0, ownerInstance: INSTANCE });
          const patience = Math.round(rng.exponential(90) * 1000);
          const callback = rng.chance(0.2);
          at(clock.now() + patience, async () => {
            if (c.state !== 'queued' && c.state !== 'ringing') return;
            await store.abandon(callId);
            // Some leave the queue for a callback (not an abandon in the report), the rest hang up.
            await (callback ? end(c, 'callback', 'system') : end(c, 'caller-hangup', 'caller'));
          });
        });
        return Promise.resolve();
      });
    }
  }

  const hk = async (): Promise<void> => {
    await store.tick();
    await store.expire();
    if (agenda.length > 0) at(clock.now() + 1000, hk);
  };
  at(start + 1000, hk);
  for (;;) {
    await ringOffers();
    if (agenda.length === 0) break;
    agenda.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = agenda.shift()!;
    if (next.at > clock.now()) clock.advance(next.at - clock.now());
    await next.fn();
  }
  // Let the last wrap-ups end.
  clock.advance(60_000);
  await store.expire();
  return { calls: calls.size };
}
