import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lateWhisperFiles } from '../../src/call/media-channel.js';
import { silentLogger } from '../../src/core/logger.js';
import { RedisCallCommands } from '../../src/store/redis/call-commands.js';
import { uniqueHotline } from '../support/redis.js';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { STORE_KINDS, STUCK, closeHarness, run, sharedRedis, shippedFlowsWithE2e, world, type LiveTestCall, type SeatScript, type World, type WorldOptions } from './harness.js';

// The call session tested the way production runs it: HotlineCalls → the e2e flow (menu, press 1 → queue general,
// survey after the agent) → the flow's queue node → the CallSession. The flow owns the waiting caller (music,
// announcements, maximum wait); the session owns ringing, the answer timer, whisper, bridge, silent script,
// transfer and the one cleanup path.
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('call-session-'));
});

afterAll(async () => {
  await remove?.();
  await closeHarness();
});

/** Menu prompt (1 s) + the caller pressing 1 (0.5 s): the call reaches the queue and the first seat rings. */
const TO_QUEUE_MS = 1500;

describe.each(STORE_KINDS)('call session on the %s store', (kind) => {
  const make = (agents: string[], scripts: Record<string, SeatScript>, opts?: WorldOptions): Promise<World> => world(kind, flows, agents, scripts, opts);
  const events = (c: LiveTestCall, prefix: string): string[] => c.leg.events.filter((e) => e.startsWith(prefix));

  describe('answer timer and redirect on no answer', () => {
    it('a seat that does not answer within 3 rings is cancelled at 15 s, its agent is not-ready(missed), the next agent gets the call', async () => {
      const w = await make(['a', 'b'], { a: 'never', b: { answerAfterMs: 2000 } });
      const c = w.call();
      await run(w, TO_QUEUE_MS);
      expect(w.seats.rung).toEqual(['a']);
      // The seat's leg is asked for on the caller's media server (the two are bridged there).
      expect(w.seats.mediaNear).toEqual([c.leg.id]);
      const rangAt = w.seats.rungAt[0]!;
      await run(w, rangAt + 14_999 - w.clock.now());
      expect(w.seats.cancelled).toEqual([]);
      await run(w, 1);
      expect(w.seats.cancelled).toEqual(['a']);
      expect(await w.state('a')).toBe('not-ready(missed)');
      await run(w, 2000);
      expect(w.seats.rung).toEqual(['a', 'b']);
      expect(await w.state('b')).toBe('on-call');
      const rec = c.session().snapshot();
      expect(rec.agentId).toBe('b');
      expect(rec.missedAgents).toEqual(['a']);
      expect(rec.ringsToAnswer).toBe(1);
      expect(c.session().ended).toBe(false); // still connected
      await w.stop();
    });

    it('rings-to-answer counts the ring in progress: answering 11 s into ringing is the third ring', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 11_000 } });
      const c = w.call({ policy: { lateWhisper: () => false } });
      await run(w, TO_QUEUE_MS + 12_000);
      expect(c.session().snapshot().ringsToAnswer).toBe(3);
      expect(await w.state('a')).toBe('on-call');
      await w.stop();
    });

    it('a seat that rejects the INVITE is treated as a miss too (no loop on the same agent)', async () => {
      const w = await make(['a', 'b'], { a: 'reject', b: { answerAfterMs: 1000 } });
      w.call();
      await run(w, TO_QUEUE_MS + 3000);
      expect(await w.state('a')).toBe('not-ready(missed)');
      expect(await w.state('b')).toBe('on-call');
      await w.stop();
    });
  });

  describe('a seat leg that fails for our reasons is not the agent\'s miss', () => {
    it('the seat answers but our media endpoint times out: the call goes to the next agent at once, the agent stays ready', async () => {
      const w = await make(['a', 'b'], { a: { ourFailureAfterMs: 2000 }, b: { answerAfterMs: 1000 } });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 2000);
      expect(w.seats.rung).toEqual(['a', 'b']);
      expect(await w.state('a')).toBe('ready');
      await run(w, 1000);
      expect(await w.state('b')).toBe('on-call');
      expect(c.session().snapshot().missedAgents).toEqual([]);
      await w.stop();
    });

    it('with one agent the offer is given back at the head of the queue and offered to the same agent again', async () => {
      const w = await make(['a'], { a: { ourFailureAfterMs: 2000 } });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 1000);
      expect(w.seats.rung).toEqual(['a']);
      w.seats.scripts.set('a', { answerAfterMs: 1000 }); // the next ring will come up
      await run(w, 1000); // the first ring's media set-up fails
      expect(await w.state('a')).not.toBe('not-ready(missed)');
      await run(w, 2000);
      expect(w.seats.rung).toEqual(['a', 'a']);
      expect(await w.state('a')).toBe('on-call');
      expect(c.session().snapshot().missedAgents).toEqual([]);
      await w.stop();
    });

    it('a give-back is no RONA: the events say offer-returned, the agent never passes through not-ready(missed)', async () => {
      const w = await make(['a', 'b'], { a: { ourFailureAfterMs: 2000 }, b: { answerAfterMs: 1000 } }, { events: true });
      w.call();
      await run(w, TO_QUEUE_MS + 3000);
      expect(await w.state('b')).toBe('on-call');
      const ev = await w.acdEvents();
      expect(ev.filter((e) => e.type === 'rona')).toEqual([]);
      expect(ev.filter((e) => e.type === 'offer-returned')).toEqual([expect.objectContaining({ callId: 'c1', agentId: 'a', queueId: 'general' })]);
      expect(ev.filter((e) => e.type === 'agent-state' && e.agentId === 'a').map((e) => e.type === 'agent-state' && e.to)).toEqual(['not-ready', 'ready', 'reserved', 'ringing', 'ready']);
      await w.stop();
    });

    it('the arrival goes to the ACD events when the call is accepted, before the IVR and before it queues', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } }, { events: true });
      w.call();
      await run(w, 100); // still in the menu prompt
      const calls = async () => (await w.acdEvents()).filter((e) => e.type !== 'agent-state');
      expect((await calls()).map((e) => e.type)).toEqual(['arrived']);
      expect((await calls())[0]).toMatchObject({ type: 'arrived', callId: 'c1', callerNumber: '13800000000', calledNumber: '7100', ownerInstance: 'i1' });
      await run(w, TO_QUEUE_MS + 2000);
      const types = (await calls()).map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['arrived', 'enqueued', 'offered']);
      await w.stop();
    });

    it('an agent whose "not ready after this call" request is pending keeps it after a give-back', async () => {
      const w = await make(['a'], { a: { ourFailureAfterMs: 2000 } });
      w.call();
      await run(w, TO_QUEUE_MS);
      await w.store.requestAfterCall('a', 'break');
      await run(w, 2000);
      expect(await w.state('a')).toBe('not-ready(break)');
      await w.stop();
    });
  });

  describe('live calls steered by a supervisor', () => {
    it('hang-up by operator while waiting: the one cleanup path, the call leaves the ACD, record ended-by-operator', async () => {
      const w = await make(['a'], {}, { notReady: ['a'], events: true });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 1000);
      expect((await w.store.call(c.callId))?.state).toBe('waiting');
      expect(w.registry.hangup(c.callId).status).toBe('accepted');
      expect(w.registry.hangup(c.callId)).toEqual({ status: 'ended' });
      await run(w, 100);
      await c.done;
      expect(await w.store.call(c.callId)).toBeNull();
      expect(c.signal.hangups).toBe(1);
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]).toMatchObject({ disposition: 'ended-by-operator', endedBy: 'operator', queueId: 'general' });
      // Not the caller's abandon: the event says who ended it, so live KPIs need not count it.
      expect((await w.acdEvents()).filter((e) => e.type === 'abandoned')).toEqual([expect.objectContaining({ callId: c.callId, stage: 'waiting', by: 'operator' })]);
      await w.stop();
    });

    it('hang-up asked on another instance: relayed over Redis to the registry carrying the call, which ends it once', async () => {
      const w = await make(['a'], {}, { notReady: ['a'] });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 1000);
      const redis = await sharedRedis();
      const hotlineId = uniqueHotline('relay');
      const owner = new RedisCallCommands({ redis, hotlineId, instanceId: 'i1', handler: { hangup: (id) => w.registry.hangup(id).status }, log: silentLogger });
      const api = new RedisCallCommands({ redis, hotlineId, instanceId: 'api', log: silentLogger });
      await owner.start();
      await api.start();
      try {
        expect(await api.hangup(c.callId, 'i1')).toBe('accepted');
        expect(await api.hangup(c.callId, 'i1')).toBe('ended');
        await run(w, 100);
        await c.done;
        expect(await api.hangup(c.callId, 'i1')).toBe('ended');
      } finally {
        await owner.stop();
        await api.stop();
      }
      expect(await w.store.call(c.callId)).toBeNull();
      expect(w.records.records.map((r) => [r.disposition, r.endedBy])).toEqual([['ended-by-operator', 'operator']]);
      await w.stop();
    });

    it('hang-up by operator while talking: the agent goes to wrap-up, the record keeps the answer', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 3000);
      expect(await w.state('a')).toBe('on-call');
      expect(w.registry.hangup(c.callId).status).toBe('accepted');
      await run(w, 100);
      await c.done;
      expect(await w.state('a')).toBe('wrap-up');
      expect(w.records.records[0]).toMatchObject({ disposition: 'ended-by-operator', endedBy: 'operator', agentId: 'a' });
      expect(w.records.records[0]!.agentAnsweredAt).toBeDefined();
      await w.stop();
    });

    it('a waiting call moved to another queue is served there: the session follows the offer and the record names the new queue', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } }, { notReady: ['a'] });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 1000);
      expect(await w.store.moveCall(c.callId, 'complaints')).toEqual({ status: 'queued', position: 1, length: 1 });
      await w.store.setReady('a');
      await run(w, 3000);
      expect(await w.state('a')).toBe('on-call');
      expect(c.session().snapshot().queueId).toBe('complaints');
      c.hangUp();
      await run(w, 100);
      await c.done;
      expect(w.records.records[0]).toMatchObject({ queueId: 'complaints', agentId: 'a' });
      await w.stop();
    });
  });

  describe('one owner of the waiting caller: the flow', () => {
    it('music on hold comes from the flow once; the session starts none of its own and stops it before the bridge', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 4000 } });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 6000);
      expect(events(c, 'music:')).toEqual(['music:hold-music']);
      const music = c.leg.events.indexOf('music:hold-music');
      const bridge = c.leg.events.indexOf('bridge:seat-a');
      expect(bridge).toBeGreaterThan(music);
      expect(c.leg.events.slice(music, bridge)).toContain('stop');
      // An answer within the window: no whisper.
      expect(w.seats.answered.get('a')!.leg.events.filter((e) => e.startsWith('play:'))).toEqual([]);
      expect(c.session().snapshot().whispered).toBe(false);
      await w.stop();
    });

    it("the queue's maximum wait is the flow's: after 600 s without an agent the caller hears goodbye and leaves the ACD", async () => {
      const w = await make(['a'], {}, { notReady: ['a'] });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 599_000);
      expect(await w.store.call(c.callId)).not.toBeNull();
      await run(w, 2000);
      expect(c.leg.events).toContain('play:goodbye');
      await run(w, 2000);
      await c.done;
      expect(await w.store.call(c.callId)).toBeNull();
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]!.queueId).toBe('general');
      expect(w.seats.rung).toEqual([]);
      await w.stop();
      expect(w.clock.pending()).toBe(0);
    });
  });

  describe('late answer whisper', () => {
    it('after more than three rings of waiting the agent hears the whisper before the bridge', async () => {
      const w = await make(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
      const c = w.call();
      await run(w, TO_QUEUE_MS + 25_000);
      const seat = w.seats.answered.get('b')!;
      expect(seat.leg.events[0]).toBe('play:whisper-waited+number:18');
      expect(c.session().snapshot().whispered).toBe(true);
      expect(c.leg.events.indexOf('bridge:seat-b')).toBeGreaterThan(0);
      await w.stop();
    });

    it('with the shipped prompts the whisper says the seconds waited: 来电人已等待 十八秒 请先向来电人致歉', async () => {
      const w = await make(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
      const dir = resolve(import.meta.dirname, '../../ivr-flows/prompts');
      w.deps.prompts = { ...w.deps.prompts, lateWhisper: lateWhisperFiles(dir) };
      const c = w.call();
      await run(w, TO_QUEUE_MS + 25_000);
      const plays = w.seats.answered.get('b')!.leg.events.filter((e) => e.startsWith('play:'));
      // Queued, a rang 15 s, b answered 3 s later: 18 s.
      const files = ['late-answer', 'num/num-10', 'num/num-8', 'num/num-second', 'late-answer-apologise'].map((f) => `${dir}/zh/${f}.wav`);
      expect(plays).toEqual([`play:${files.join('+')}`]);
      for (const f of files) expect(existsSync(f), f).toBe(true);
      expect(c.leg.events).toContain('bridge:seat-b');
      await w.stop();
    });

    it('an agent who hangs up during the whisper is never bridged; the agent goes to wrap-up and the caller to the survey', async () => {
      const w = await make(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
      const c = w.call({ presses: ['1', '3'] });
      await run(w, TO_QUEUE_MS + 15_000 + 3000 + 500); // b answered, the whisper is playing
      w.seats.answered.get('b')!.agentBye();
      await run(w, 0);
      expect(c.leg.events.some((e) => e.startsWith('bridge:'))).toBe(false);
      expect(await w.state('b')).toBe('wrap-up');
      await run(w, 10_000);
      await c.done;
      expect(events(c, 'collect:survey').length).toBe(1);
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]).toMatchObject({ agentId: 'b', surveyRating: 3, missedAgents: ['a'] });
      await w.stop();
    });
  });

  describe('silent calls on the agent leg', () => {
    it('a caller who never speaks hears hello, hello, goodbye and is released after about 13 s with disposition silent', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call({ policy: { silentAuto: () => true } });
      await run(w, TO_QUEUE_MS + 1000);
      expect(await w.state('a')).toBe('on-call');
      const connectedAt = w.clock.now();
      await run(w, 9_000);
      expect(c.session().ended).toBe(false);
      await run(w, 4_000);
      await c.done;
      const rec = w.records.records;
      expect(rec).toHaveLength(1);
      expect(rec[0]!.disposition).toBe('silent');
      // hello (1 s) + 5 s + hello (1 s) + 5 s + goodbye (1 s): 13 s of virtual time after connect.
      expect(rec[0]!.endedAt - connectedAt).toBe(13_000);
      expect(c.leg.events.filter((e) => e.startsWith('play:hello') || e.startsWith('play:goodbye-cannot') || e.startsWith('listen:'))).toEqual([
        'play:hello-connected',
        ...Array<string>(5).fill('listen:1000'),
        'play:hello-connected',
        ...Array<string>(5).fill('listen:1000'),
        'play:goodbye-cannot-hear',
      ]);
      expect(await w.state('a')).toBe('wrap-up');
      expect(c.signal.hangups).toBe(1);
      expect(w.seats.answered.get('a')!.hangups).toBe(1);
      await run(w, 30_000); // the general queue's wrap-up
      expect(await w.state('a')).toBe('ready');
      await w.stop();
      expect(w.clock.pending()).toBe(0);
    });

    it('a caller who speaks after the first hello stays connected', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call({ policy: { silentAuto: () => true } });
      c.leg.voiceAt = w.clock.now() + TO_QUEUE_MS + 1000 + 5_000;
      await run(w, 30_000);
      expect(c.session().ended).toBe(false);
      expect(await w.state('a')).toBe('on-call');
      await w.stop();
    });

    it('with the automatic script off, the agent starts it with the key', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call();
      await run(w, 20_000);
      expect(c.session().ended).toBe(false);
      w.seats.answered.get('a')!.leg.press('9');
      await run(w, 13_000);
      await c.done;
      expect(w.records.records.map((r) => r.disposition)).toEqual(['silent']);
      await w.stop();
    });
  });

  describe('after the agent, transfer', () => {
    it('an agent who hangs up during the silent-call script stops it: the survey gets the caller leg, no silent release', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call({ presses: ['1', '3'], policy: { silentAuto: () => true } });
      await run(w, TO_QUEUE_MS + 1000 + 2500); // connected, the first listen is running
      w.seats.answered.get('a')!.agentBye();
      await run(w, 20_000);
      await c.done;
      expect(c.leg.events).not.toContain('play:goodbye-cannot-hear');
      expect(events(c, 'collect:survey').length).toBe(1);
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]).toMatchObject({ surveyRating: 3, disposition: 'completed' });
      await w.stop();
    });

    it('agent hangs up → the caller is asked for a rating, the digit is stored once in the record', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call({ presses: ['1', '3'] });
      await run(w, 5000);
      w.seats.answered.get('a')!.agentBye();
      await run(w, 0);
      expect(await w.state('a')).toBe('wrap-up');
      await run(w, 10_000);
      await c.done;
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]).toMatchObject({ surveyRating: 3, disposition: 'completed', agentId: 'a', ringsToAnswer: 1 });
      await w.stop();
    });

    it('a REFER to a queue tells the caller, frees the agent and waits in that queue with the music of the flow', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call();
      await run(w, 5000);
      w.seats.answered.get('a')!.refer('q:complaints');
      await run(w, 2000);
      expect(c.leg.events).toContain('play:transferring');
      expect(await w.state('a')).toBe('wrap-up');
      expect(c.session().snapshot().transferredTo).toBe('q:complaints');
      expect((await w.store.call(c.callId))?.queueId).toBe('complaints');
      expect(events(c, 'music:')).toEqual(['music:hold-music', 'music:hold-music']);
      await w.stop();
    });
  });

  describe('the caller hangs up at every stage', () => {
    type Stage = { name: string; at: number; agents: Record<string, SeatScript>; disposition: string; silent?: boolean };
    const stages: Stage[] = [
      { name: 'in the menu', at: 500, agents: { a: { answerAfterMs: 1000 } }, disposition: 'caller-hangup' },
      { name: 'while queued (no agent ready)', at: 3000, agents: {}, disposition: 'abandoned' },
      { name: 'while the seat rings', at: 5000, agents: { a: 'never' }, disposition: 'abandoned' },
      { name: 'during the whisper', at: TO_QUEUE_MS + 15_000 + 3000 + 500, agents: { a: 'never', b: { answerAfterMs: 3000 } }, disposition: 'completed' },
      { name: 'while connected', at: 8000, agents: { a: { answerAfterMs: 1000 } }, disposition: 'completed' },
      { name: 'during the silent script', at: TO_QUEUE_MS + 1000 + 2500, agents: { a: { answerAfterMs: 1000 } }, disposition: 'completed', silent: true },
    ];
    for (const s of stages) {
      it(`${s.name}: no agent stays stuck, no endpoint or timer is left and the record is written once (${s.disposition})`, async () => {
        const ids = Object.keys(s.agents);
        const w = await make(ids.length ? ids : ['a'], s.agents, { notReady: ids.length ? [] : ['a'] });
        const c = w.call({ policy: { silentAuto: () => s.silent === true } });
        await run(w, s.at);
        c.hangUp();
        await run(w, 60_000);
        await c.done;
        expect(w.records.records).toHaveLength(1);
        expect(w.records.records[0]!.disposition).toBe(s.disposition);
        expect(w.records.records[0]!.endedBy).toBe('caller');
        for (const a of ids) expect(STUCK).not.toContain(await w.state(a));
        expect(await w.store.call(c.callId)).toBeNull();
        for (const seat of w.seats.answered.values()) expect(seat.hangups).toBe(1);
        for (const leg of w.seats.legs) expect(leg.released).toBe(true);
        expect(c.leg.released).toBe(true);
        await w.stop();
        expect(w.clock.pending()).toBe(0);
        // A second trigger changes nothing.
        await c.session().end('error', 'error');
        expect(w.records.records).toHaveLength(1);
      });
    }

    it('the media server is lost while connected: the record says error (not a caller hang-up), the agent is freed, the legs released', async () => {
      const w = await make(['a'], { a: { answerAfterMs: 1000 } });
      const c = w.call();
      await run(w, 8000);
      expect(await w.state('a')).toBe('on-call');
      // MediaPool ends every leg of the lost server (FsmrfLeg.serverLost): the caller's first, then the seat's.
      c.leg.hangUp('media server lost: event socket closed');
      for (const leg of w.seats.legs) leg.hangUp('media server lost: event socket closed');
      await run(w, 60_000);
      await c.done;
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]).toMatchObject({ disposition: 'error', endedBy: 'error', agentId: 'a' });
      expect(STUCK).not.toContain(await w.state('a'));
      expect(await w.store.call(c.callId)).toBeNull();
      for (const leg of w.seats.legs) expect(leg.released).toBe(true);
      expect(c.leg.released).toBe(true);
      await w.stop();
    });

    it('a ringing seat is cancelled and its agent is ready again when the caller abandons', async () => {
      const w = await make(['a'], { a: 'never' });
      const c = w.call();
      await run(w, 5000);
      c.hangUp();
      await run(w, 0);
      expect(w.seats.cancelled).toEqual(['a']);
      expect(await w.state('a')).toBe('ready');
      expect(await w.store.call(c.callId)).toBeNull();
      await w.stop();
    });
  });
});
