import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lateWhisperFiles } from '../../src/call/media-channel.js';
import type { QueueResult } from '../../src/call/session.js';
import { SETTINGS, STUCK, run, world } from './harness.js';

describe('call session: answer timer and redirect on no answer', () => {
  it('a seat that does not answer within 3 rings is cancelled at 15 s, its agent is not-ready(missed), the next agent gets the call', async () => {
    const w = world(['a', 'b'], { a: 'never', b: { answerAfterMs: 2000 } });
    let result: QueueResult | undefined;
    void w.session.serveQueue(SETTINGS).then((r) => (result = r));
    await run(w, 14_999);
    expect(w.seats.rung).toEqual(['a']);
    expect(w.seats.cancelled).toEqual([]);
    await run(w, 1);
    expect(w.seats.cancelled).toEqual(['a']);
    expect(w.state('a')).toBe('not-ready(missed)');
    expect(w.store.call('c1')?.agentId).toBe('b');
    await run(w, 2000);
    expect(w.seats.rung).toEqual(['a', 'b']);
    expect(w.state('b')).toBe('on-call');
    const rec = w.session.snapshot();
    expect(rec.agentId).toBe('b');
    expect(rec.missedAgents).toEqual(['a']);
    expect(rec.ringsToAnswer).toBe(1);
    expect(result).toBeUndefined(); // still connected
  });

  it('rings-to-answer counts the ring in progress: answering 11 s into ringing is the third ring', async () => {
    const w = world(['a'], { a: { answerAfterMs: 11_000 } });
    void w.session.serveQueue({ ...SETTINGS, lateWhisper: false });
    await run(w, 12_000);
    expect(w.session.snapshot().ringsToAnswer).toBe(3);
    expect(w.state('a')).toBe('on-call');
  });

  it('a seat that rejects the INVITE is treated as a miss too (no loop on the same agent)', async () => {
    const w = world(['a', 'b'], { a: 'reject', b: { answerAfterMs: 1000 } });
    void w.session.serveQueue(SETTINGS);
    await run(w, 3000);
    expect(w.state('a')).toBe('not-ready(missed)');
    expect(w.state('b')).toBe('on-call');
  });
});

describe('call session: late answer whisper', () => {
  it('after more than three rings of waiting the agent hears the whisper before the bridge', async () => {
    const w = world(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
    void w.session.serveQueue(SETTINGS);
    await run(w, 25_000);
    const seat = w.seats.answered.get('b')!;
    expect(seat.leg.events[0]).toBe('play:whisper-waited+number:18');
    expect(w.session.snapshot().whispered).toBe(true);
    const bridgeAt = w.callerLeg.events.indexOf('bridge:seat-b');
    expect(bridgeAt).toBeGreaterThan(0);
  });

  it('with the shipped prompts the whisper says the seconds waited: 来电人已等待 十八秒 请先向来电人致歉', async () => {
    const w = world(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
    const dir = resolve(import.meta.dirname, '../../ivr-flows/prompts');
    w.deps.prompts = { ...w.deps.prompts, lateWhisper: lateWhisperFiles(dir) };
    void w.session.serveQueue(SETTINGS);
    await run(w, 25_000);
    const plays = w.seats.answered.get('b')!.leg.events.filter((e) => e.startsWith('play:'));
    // Queued at 0, a rang 15 s, b answered 3 s later: 18 s.
    const files = ['late-answer', 'num/num-10', 'num/num-8', 'num/num-second', 'late-answer-apologise'].map((f) => `${dir}/zh/${f}.wav`);
    expect(plays).toEqual([`play:${files.join('+')}`]);
    for (const f of files) expect(existsSync(f), f).toBe(true);
    expect(w.callerLeg.events).toContain('bridge:seat-b');
    w.stop();
  });

  it('an agent who hangs up during the whisper is never bridged; the agent is released and the caller goes on', async () => {
    const w = world(['a', 'b'], { a: 'never', b: { answerAfterMs: 3000 } });
    const result = w.session.serveQueue(SETTINGS);
    await run(w, 15_000 + 3000 + 500); // b answered, the whisper is playing
    w.seats.answered.get('b')!.agentBye();
    await run(w, 0);
    expect(await result).toEqual({ outcome: 'agent-ended', agentId: 'b' });
    expect(w.callerLeg.events.some((e) => e.startsWith('bridge:'))).toBe(false);
    expect(w.state('b')).toBe('wrap-up');
  });

  it('an answer within the window gets no whisper, and caller music stops before the bridge', async () => {
    const w = world(['a'], { a: { answerAfterMs: 4000 } });
    void w.session.serveQueue(SETTINGS);
    await run(w, 6000);
    expect(w.seats.answered.get('a')!.leg.events.filter((e) => e.startsWith('play:'))).toEqual([]);
    expect(w.callerLeg.events).toEqual(['music:moh.wav', 'stop', 'bridge:seat-a']);
    expect(w.session.snapshot().whispered).toBe(false);
  });
});

describe('call session: silent calls on the agent leg', () => {
  it('a caller who never speaks hears hello, hello, goodbye and is released after about 10 s with disposition silent', async () => {
    const w = world(['a'], { a: { answerAfterMs: 1000 } });
    void w.session.serveQueue({ ...SETTINGS, silentCall: { auto: true, silenceSec: 5, agentKey: '9' } });
    await run(w, 1000);
    const connectedAt = w.clock.now();
    await run(w, 9_000);
    expect(w.session.ended).toBe(false);
    await run(w, 4_000);
    expect(w.session.ended).toBe(true);
    const rec = w.records.records;
    expect(rec).toHaveLength(1);
    expect(rec[0]!.disposition).toBe('silent');
    // hello (1 s) + 5 s + hello (1 s) + 5 s + goodbye (1 s): 13 s of virtual time after connect.
    expect(rec[0]!.endedAt - connectedAt).toBe(13_000);
    expect(w.callerLeg.events.filter((e) => e.startsWith('play:') || e.startsWith('listen:'))).toEqual([
      'play:hello-connected',
      ...Array<string>(5).fill('listen:1000'),
      'play:hello-connected',
      ...Array<string>(5).fill('listen:1000'),
      'play:goodbye-cannot-hear',
    ]);
    expect(w.state('a')).toBe('wrap-up');
    expect(w.callerSignal.hangups).toBe(1);
    expect(w.seats.answered.get('a')!.hangups).toBe(1);
    await run(w, 10_000);
    expect(w.state('a')).toBe('ready');
  });

  it('a caller who speaks after the first hello stays connected', async () => {
    const w = world(['a'], { a: { answerAfterMs: 1000 } });
    w.callerLeg.voiceAt = 1_000_000 + 5_000;
    void w.session.serveQueue({ ...SETTINGS, silentCall: { auto: true, silenceSec: 5, agentKey: '9' } });
    await run(w, 30_000);
    expect(w.session.ended).toBe(false);
    expect(w.state('a')).toBe('on-call');
  });

  it('with the automatic script off, the agent starts it with the key', async () => {
    const w = world(['a'], { a: { answerAfterMs: 1000 } });
    void w.session.serveQueue(SETTINGS);
    await run(w, 20_000);
    expect(w.session.ended).toBe(false);
    w.seats.answered.get('a')!.leg.press('9');
    await run(w, 13_000);
    expect(w.records.records.map((r) => r.disposition)).toEqual(['silent']);
  });
});

describe('call session: after the agent, transfer', () => {
  it('an agent who hangs up during the silent-call script stops it: the survey gets the caller leg, no silent release', async () => {
    const w = world(['a'], { a: { answerAfterMs: 1000 } });
    w.callerLeg.digits = '3';
    const result = w.session.serveQueue({ ...SETTINGS, silentCall: { auto: true, silenceSec: 5, agentKey: '9' } });
    await run(w, 1000 + 2500); // connected, the first hello is playing
    w.seats.answered.get('a')!.agentBye();
    await run(w, 0);
    expect(await result).toEqual({ outcome: 'agent-ended', agentId: 'a' });
    const listensBefore = w.callerLeg.events.filter((e) => e.startsWith('listen:')).length;
    const rating = w.session.survey({ question: ['survey'], thanks: ['thanks'], validDigits: '123', timeoutMs: 5000 });
    await run(w, 20_000);
    expect(await rating).toBe(3);
    expect(w.callerLeg.events.filter((e) => e.startsWith('listen:')).length).toBe(listensBefore);
    expect(w.callerLeg.events).not.toContain('play:goodbye-cannot-hear');
    expect(w.session.ended).toBe(false);
  });

  it('agent hangs up → the caller is asked for a rating, the digit is stored once in the record', async () => {
    const w = world(['a'], { a: { answerAfterMs: 1000 } });
    w.callerLeg.digits = '5';
    const result = w.session.serveQueue(SETTINGS);
    await run(w, 5000);
    w.seats.answered.get('a')!.agentBye();
    await run(w, 0);
    expect(await result).toEqual({ outcome: 'agent-ended', agentId: 'a' });
    expect(w.state('a')).toBe('wrap-up');
    const rating = w.session.survey({ question: ['survey'], thanks: ['thanks'], validDigits: '12345', timeoutMs: 5000 });
    await run(w, 5000);
    expect(await rating).toBe(5);
    await w.session.hangup('completed');
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ surveyRating: 5, disposition: 'completed', agentId: 'a', ringsToAnswer: 1 });
  });

  it('a REFER to a queue tells the caller, frees the agent and hands the target back', async () => {
    const w = world(['a'], { a: { answerAfterMs: 1000 } });
    const result = w.session.serveQueue(SETTINGS);
    await run(w, 5000);
    w.seats.answered.get('a')!.refer('q:complaints');
    await run(w, 2000);
    expect(await result).toEqual({ outcome: 'transferred', target: { kind: 'queue', queueId: 'complaints' } });
    expect(w.callerLeg.events).toContain('play:transferring');
    expect(w.state('a')).toBe('wrap-up');
    expect(w.session.snapshot().transferredTo).toBe('q:complaints');
  });

  it('maxWaitSec ends the wait with timeout and leaves the queue', async () => {
    const w = world(['a'], {}, { notReady: ['a'] });
    const result = w.session.serveQueue({ ...SETTINGS, maxWaitSec: 60 });
    await run(w, 60_000);
    expect(await result).toEqual({ outcome: 'timeout' });
    expect(w.store.call('c1')).toBeNull();
  });
});

describe('call session: the caller hangs up at every stage', () => {
  type Stage = { name: string; at: number; agents: Record<string, 'never' | { answerAfterMs: number }>; disposition: string };
  const stages: Stage[] = [
    { name: 'before the queue', at: -1, agents: { a: { answerAfterMs: 1000 } }, disposition: 'caller-hangup' },
    { name: 'while queued (no agent ready)', at: 3000, agents: {}, disposition: 'abandoned' },
    { name: 'while the seat rings', at: 5000, agents: { a: 'never' }, disposition: 'abandoned' },
    { name: 'during the whisper', at: 15_000 + 3000 + 500, agents: { a: 'never', b: { answerAfterMs: 3000 } }, disposition: 'completed' },
    { name: 'while connected', at: 8000, agents: { a: { answerAfterMs: 1000 } }, disposition: 'completed' },
    { name: 'during the silent script', at: 4000, agents: { a: { answerAfterMs: 1000 } }, disposition: 'completed' },
  ];
  for (const s of stages) {
    it(`${s.name}: no agent stays stuck and the record is written once (${s.disposition})`, async () => {
      const ids = Object.keys(s.agents);
      const w = world(ids.length ? ids : ['a'], s.agents, { notReady: ids.length ? [] : ['a'] });
      if (s.at < 0) {
        w.callerLeg.hangUp();
        await run(w, 0);
        const r = await w.session.serveQueue(SETTINGS);
        expect(r).toEqual({ outcome: 'ended' });
      } else {
        void w.session.serveQueue({ ...SETTINGS, silentCall: { auto: s.name.includes('silent'), silenceSec: 5, agentKey: '9' } });
        await run(w, s.at);
        w.callerSignal.remoteBye();
        w.callerLeg.hangUp();
      }
      await run(w, 60_000);
      await w.session.done;
      expect(w.records.records).toHaveLength(1);
      expect(w.records.records[0]!.disposition).toBe(s.disposition);
      expect(w.records.records[0]!.endedBy).toBe('caller');
      for (const a of ids) expect(STUCK).not.toContain(w.store.agent(a)!.state);
      expect(w.store.call('c1')).toBeNull();
      for (const seat of w.seats.answered.values()) expect(seat.hangups).toBe(1);
      w.stop();
      expect(w.clock.pending()).toBe(0);
      // A second trigger changes nothing.
      await w.session.end('error', 'error');
      expect(w.records.records).toHaveLength(1);
    });
  }

  it('a ringing seat is cancelled and its agent is ready again when the caller abandons', async () => {
    const w = world(['a'], { a: 'never' });
    void w.session.serveQueue(SETTINGS);
    await run(w, 5000);
    w.callerSignal.remoteBye();
    await run(w, 0);
    expect(w.seats.cancelled).toEqual(['a']);
    expect(w.state('a')).toBe('ready');
    expect(w.store.call('c1')).toBeNull();
  });
});
