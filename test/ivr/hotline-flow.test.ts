import { describe, expect, it } from 'vitest';
import { runScriptedCall } from '../../src/ivr/testing/harness.js';
import { hotlineFlow, shanghai } from './support.js';

const WINTER_OPEN = shanghai('2026-01-05', '10:00');

describe('the shipped hotline flow, walked with a scripted caller', () => {
  it('caller presses nothing twice → the short silent-1 re-prompt after 5 s, then the goodbye after 5 s more, disposition silent', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ silent: true }, { silent: true }] });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'silent-1', 'silent-goodbye']);
    expect(call.result.disposition).toBe('silent');
    expect(call.channel.disposition).toBe('silent');
    // Each prompt item takes 2 s in the double: greeting 0–2 and menu 2–4 (one playback: the greeting leads into the
    // menu's question), 5 s silence, the short re-prompt 9–11, 5 s, goodbye at 16.
    const sayings = call.channel.log.filter((e) => e.op === 'collect' || e.op === 'play').map((e) => e.at - WINTER_OPEN);
    expect(sayings).toEqual([0, 9000, 16000]);
    expect(call.channel.log.find((e) => e.op === 'collect')!.say).toEqual(['greeting', 'main-menu']);
    expect(call.channel.log.at(-1)).toMatchObject({ op: 'hangup', detail: 'silent', at: WINTER_OPEN + 18000 });
  });

  it('caller presses 9 (invalid) → the no-match prompt and the menu again, then 1 reaches the enquiry queue', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '9' }, { press: '1' }],
      queue: { position: 1, answerAfterMs: 10_000, talkMs: 60_000 },
      hangupAfterMs: 200_000,
    });
    expect(call.channel.said().slice(0, 4)).toEqual(['greeting', 'main-menu', 'invalid-option', 'main-menu']);
    expect(call.queue.requests[0]).toMatchObject({ queueId: 'general', priority: 0 });
    expect(call.result.state.trail).toContain('enquiry');
  });

  it('call at 12:30 in winter → lunch-break prompt → callback offered and booked on the caller number', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: shanghai('2026-01-05', '12:30'), script: [{ press: '1' }, { press: '1' }] });
    expect(call.channel.said()).toEqual(['lunch-break', 'callback-confirm', 'callback-thanks']);
    expect(call.saved).toEqual([{ kind: 'callback', number: '13800138000', reason: 'after-hours', flowId: 'hotline' }]);
    expect(call.result.disposition).toBe('callback');
  });

  it('after hours → leave a message: recorded to a file of at most 120 s, disposition message', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: shanghai('2026-01-05', '20:00'), script: [{ press: '2' }, { speak: 300 }] });
    expect(call.channel.said()).toEqual(['after-hours', 'leave-message', 'message-thanks']);
    expect(call.saved).toEqual([{ kind: 'message', file: 'messages/call-1.wav', durationSec: 120, flowId: 'hotline' }]);
    expect(call.result.disposition).toBe('message');
  });

  it('after hours, keys that are no option three times → goodbye, disposition after-hours', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: shanghai('2026-01-10', '10:00'), script: [{ press: '5' }, { press: '5' }, { press: '5' }] });
    expect(call.channel.said()).toEqual(['after-hours', 'invalid-option', 'after-hours', 'invalid-option', 'after-hours', 'goodbye']);
    expect(call.result.disposition).toBe('after-hours');
  });

  it('on a holiday → after-hours; the caller gives another number for the callback', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: shanghai('2026-10-02', '10:00'),
      script: [{ press: '1' }, { press: '2' }, { press: '12' }, { press: '13912345678' }],
    });
    expect(call.channel.said()).toEqual(['after-hours', 'callback-confirm', 'callback-number', 'invalid-entry', 'callback-number', 'callback-thanks']);
    expect(call.saved).toEqual([{ kind: 'callback', number: '13912345678', reason: 'after-hours', flowId: 'hotline' }]);
  });

  it('queue: please hold, position and expected wait announced, agent answers, then the survey and the goodbye', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '1' }, { press: '1' }],
      queue: { position: 2, answerAfterMs: 45_000, talkMs: 180_000 },
      wait: { expectedWaitSec: (q, k) => (q === 'general' ? k * 30 : undefined) },
    });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'please-hold', 'position', '#2', 'expected-wait', '#1', 'position', '#2', 'expected-wait', '#1', 'survey', 'survey-thanks', 'goodbye']);
    expect(call.channel.log.find((e) => e.op === 'music')?.say).toEqual(['hold-music']);
    expect(call.saved).toEqual([{ kind: 'survey', rating: 1, flowId: 'hotline' }]);
    expect(call.result.disposition).toBe('completed');
    expect(call.queue.cancelled).toBe(0);
  });

  it('a long expected wait → the callback offer; pressing 1 leaves the queue for a callback', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '2' }, { press: '1' }, { press: '1' }],
      queue: { position: 6 },
      wait: { expectedWaitSec: (_q, k) => k * 60 },
    });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'please-hold', 'position', '#6', 'expected-wait', '#6', 'callback-offer', 'callback-confirm', 'callback-thanks']);
    expect(call.queue.requests[0]).toMatchObject({ queueId: 'complaints', priority: 1 });
    expect(call.queue.cancelled).toBe(1);
    expect(call.saved).toEqual([{ kind: 'callback', number: '13800138000', reason: 'long-wait', flowId: 'hotline' }]);
  });

  it('a caller who lets the offer pass keeps waiting; hanging up in queue is abandoned and leaves the queue', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '1' }, { silent: true }],
      queue: { position: 4 },
      hangupAfterMs: 100_000,
    });
    expect(call.channel.said().filter((s) => s === 'callback-offer')).toHaveLength(1);
    expect(call.channel.said().filter((s) => s === 'position').length).toBeGreaterThanOrEqual(2);
    expect(call.result.disposition).toBe('abandoned');
    expect(call.queue.cancelled).toBe(1);
    expect(call.channel.listenerCount()).toBe(0);
    expect(call.clock.pending()).toBe(0);
  });

  it('nobody logged in → the no-agents menu → message', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }, { press: '2' }, { speak: 20 }], queue: { outcome: 'no-agents', outcomeAfterMs: 1000 } });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'please-hold', 'position', '#1', 'expected-wait', '#1', 'no-agents', 'leave-message', 'message-thanks']);
    expect(call.result.disposition).toBe('message');
  });

  it('the maximum wait of the queue ends the wait', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }], queue: { position: 1 }, wait: { expectedWaitSec: () => undefined } });
    // general has maxWaitSec 600: the caller is taken out of the queue and offered callback or message.
    expect(call.result.state.trail).toContain('no-agents');
    expect(call.queue.cancelled).toBe(1);
    const leftAt = call.channel.log.find((e) => e.say?.[0] === 'no-agents')!.at;
    // Greeting 0–2 s, menu 2–4 s, key pressed at 5 s: queued at 5 s.
    expect(leftAt - WINTER_OPEN).toBe(5000 + 600_000);
  });

  it('specialist desk after 17:00 → desk closed → callback tomorrow', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: shanghai('2026-01-05', '17:10'), script: [{ press: '3' }, { press: '1' }, { press: '1' }] });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'desk-closed', 'callback-confirm', 'callback-thanks']);
    expect(call.saved).toEqual([{ kind: 'callback', number: '13800138000', reason: 'desk-closed', flowId: 'hotline' }]);
  });

  it('specialists with nobody logged in → transfer ("please don\'t hang up"), disposition transferred', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '3' }], queue: { outcome: 'no-agents' } });
    expect(call.channel.said().slice(-1)).toEqual(['transfer']);
    expect(call.channel.log.find((e) => e.op === 'transfer')?.detail).toBe('057188886666');
    expect(call.result.disposition).toBe('transferred');
  });

  it('a failed transfer says the standard apology and offers the callback', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '3' }, { press: '1' }], queue: { outcome: 'no-agents' }, transferOk: false });
    expect(call.channel.said().slice(-4)).toEqual(['transfer', 'transfer-failed', 'callback-confirm', 'callback-thanks']);
    expect(call.result.disposition).toBe('callback');
  });

  it('0 switches the prompts to English (set node) and the menu is said again in English', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '0' }, { silent: true }, { silent: true }] });
    const collects = call.channel.log.filter((e) => e.op === 'collect' && e.say);
    expect(collects.map((e) => e.say)).toEqual([['greeting', 'main-menu'], ['main-menu'], ['silent-1']]);
    expect(call.channel.languages).toEqual(new Set(['zh', 'en']));
    expect(call.result.state.vars.language).toBe('en');
    expect(call.result.disposition).toBe('silent');
  });

  it('the survey is not skipped after the agent hangs up, and a caller who rates nothing still gets the goodbye', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }, { silent: true }, { silent: true }], queue: { position: 1, answerAfterMs: 1000, talkMs: 30_000 } });
    expect(call.channel.said().slice(-3)).toEqual(['survey', 'survey', 'goodbye']);
    expect(call.saved).toEqual([]);
    expect(call.result.disposition).toBe('completed');
  });

  it('a caller hanging up during a prompt ends the call with caller-hangup and no hangup of ours', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, hangupAfterMs: 1000 });
    expect(call.result.disposition).toBe('caller-hangup');
    expect(call.channel.log.some((e) => e.op === 'hangup')).toBe(false);
  });
});

describe('hang-ups around the agent call', () => {
  it('a caller hanging up while talking to the agent was served: completed, the survey is not reached', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }], queue: { position: 1, answerAfterMs: 5_000, talkMs: 600_000 }, hangupAfterMs: 60_000 });
    expect(call.result.disposition).toBe('completed');
    expect(call.channel.said()).not.toContain('survey');
    expect(call.queue.cancelled).toBe(0);
  });
});
