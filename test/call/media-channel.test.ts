import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { MediaCallChannel, defaultPromptFiles, lateWhisperFiles, numberFiles } from '../../src/call/media-channel.js';
import { CallSession } from '../../src/call/session.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import type { PlayItem } from '../../src/ivr/spec.js';
import { FakeSignal, ScriptedLeg, run, shippedFlowsWithE2e, world } from './harness.js';

const PROMPTS = resolve(import.meta.dirname, '../../ivr-flows/prompts');
/** A leg event with the prompt directory taken off the file paths, so the expectations read as prompt ids. */
const short = (event: string, dir = PROMPTS): string => event.replaceAll(`${dir}/`, '').replaceAll('.wav', '');

async function channel(promptDir?: string) {
  const w = await world('memory', new FlowRegistry(), [], {});
  const leg = new ScriptedLeg('caller-n', w.clock);
  const signal = new FakeSignal();
  const session = new CallSession(w.deps, { leg, signal }, { callId: 'c1', callerNumber: '13800000000', calledNumber: '7100' });
  const ch = new MediaCallChannel(session, leg, signal, defaultPromptFiles(promptDir), silentLogger, '13800000000', '7100');
  return { w, leg, ch };
}

const prompt = (id: string, language: 'zh' | 'en' = 'zh'): PlayItem => ({ kind: 'prompt', id, language, file: `${PROMPTS}/${language}/${id}.wav`, text: id });

describe('MediaCallChannel: number items are said from the number pieces', () => {
  it('"position" then 15 plays the position prompt and 十五 (two pieces)', async () => {
    const { w, leg, ch } = await channel(PROMPTS);
    const done = ch.play([prompt('position'), { kind: 'number', value: 15, language: 'zh' }]);
    await run(w, 3000);
    expect(await done).toBe('finished');
    expect(leg.events.map((e) => short(e))).toEqual(['play:zh/position+zh/num/num-10+zh/num/num-5']);
    await w.stop();
  });

  it('English numbers use the English pieces: 105 is one hundred five', async () => {
    const { w, leg, ch } = await channel(PROMPTS);
    const done = ch.play([prompt('position', 'en'), { kind: 'number', value: 105, language: 'en' }]);
    await run(w, 5000);
    await done;
    expect(leg.events.map((e) => short(e))).toEqual(['play:en/position+en/num/num-1+en/num/num-100+en/num/num-5']);
    await w.stop();
  });

  it('a number beyond what the pieces can say is capped, a fraction rounded, never an error mid-call', () => {
    const n = numberFiles(PROMPTS);
    expect(n.number(2.4, 'zh').map((f) => relative(PROMPTS, f))).toEqual(['zh/num/num-2.wav']);
    expect(n.number(250_000, 'en').map((f) => relative(PROMPTS, f))).toEqual(
      ['num-90', 'num-9', 'num-1000', 'num-9', 'num-100', 'num-90', 'num-9'].map((id) => `en/num/${id}.wav`),
    );
    expect(n.number(-3, 'zh').map((f) => relative(PROMPTS, f))).toEqual(['zh/num/num-0.wav']);
    expect(n.number(7, 'fr')).toEqual([]);
    expect(n.duration(125, 'zh').map((f) => relative(PROMPTS, f))).toEqual(
      ['num-liang', 'num-minute', 'num-5', 'num-second'].map((id) => `zh/num/${id}.wav`),
    );
  });

  it('without a prompt directory numbers are skipped (the old behaviour), prompts still play', async () => {
    const { w, leg, ch } = await channel();
    const done = ch.play([prompt('position'), { kind: 'number', value: 3, language: 'zh' }]);
    await run(w, 2000);
    await done;
    expect(leg.events.map((e) => short(e))).toEqual(['play:zh/position']);
    await w.stop();
  });

  it('the late-answer whisper says the wait as minutes and seconds between the standard words', () => {
    const whisper = lateWhisperFiles(PROMPTS);
    expect(whisper(18).map((f) => relative(PROMPTS, f))).toEqual(['zh/late-answer.wav', 'zh/num/num-10.wav', 'zh/num/num-8.wav', 'zh/num/num-second.wav', 'zh/late-answer-apologise.wav']);
    expect(lateWhisperFiles(PROMPTS, 'en')(60).map((f) => relative(PROMPTS, f))).toEqual(['en/late-answer.wav', 'en/num/num-1.wav', 'en/num/num-minute.wav', 'en/late-answer-apologise.wav']);
  });
});

// The e2e flow (press 1 → queue general) through HotlineCalls with the shipped prompts: the queue node's first
// announcement reaches the caller's leg as these exact files.
describe('HotlineCalls: the queue announcement with numbers', () => {
  let dir: string;
  let flows: FlowRegistry;
  let remove: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ dir, flows, remove } = await shippedFlowsWithE2e('hotline-numbers-'));
  });

  afterAll(async () => {
    await remove?.();
  });

  it('position 1 and an expected wait of 150 s: please hold, 您前面的等待人数是 一, 预计等待分钟数是 三', async () => {
    // The one agent is logged in but not ready: the call waits at the head of the queue.
    const w = await world('memory', flows, ['a'], { a: { answerAfterMs: 1000 } }, { notReady: ['a'] });
    const promptDir = join(dir, 'prompts');
    const { leg, signal, done } = w.call({ callId: 'call-q', presses: ['1'], files: defaultPromptFiles(promptDir), wait: { expectedWaitSec: () => 150 } });
    await run(w, 12_000);
    const plays = leg.events.filter((e) => e.startsWith('play:')).map((e) => short(e, promptDir));
    expect(plays[0]).toBe('play:' + ['zh/please-hold', 'zh/position', 'zh/num/num-1', 'zh/expected-wait', 'zh/num/num-3'].join('+'));
    signal.remoteBye();
    leg.hangUp();
    await run(w, 1000);
    await done;
    await w.stop();
  });
});
