import { describe, expect, it } from 'vitest';
import { runScriptedCall } from '../../src/ivr/testing/harness.js';
import type { Flow } from '../../src/ivr/spec.js';
import { fixtureFlows, hotlineFlow, shanghai } from './support.js';

const WINTER_OPEN = shanghai('2026-01-05', '10:00');

async function bargeFlow(): Promise<Flow> {
  const flow = (await fixtureFlows('barge-in.yaml')).get('barge-in');
  if (!flow) throw new Error('barge-in fixture invalid');
  return flow;
}

describe('barge-in: digits typed during a prompt are kept (scripted channel, virtual clock)', () => {
  it('the shipped hotline: 1 pressed 1 s into the greeting stops it and reaches the enquiry queue without the menu', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ typeAhead: '1', atMs: 1000 }],
      queue: { position: 1, answerAfterMs: 10_000, talkMs: 5_000 },
      hangupAfterMs: 60_000,
    });
    expect(call.queue.requests[0]).toMatchObject({ queueId: 'general' });
    // A new caller passes the returning-caller node without a word (nobody served this number).
    expect(call.result.state.trail.slice(0, 5)).toEqual(['open-now', 'greeting', 'menu', 'returning-enquiry', 'enquiry']);
    // The greeting was cut at the key (1 s), and the menu question was never asked.
    expect(call.channel.said()[0]).toBe('greeting');
    expect(call.channel.said()).not.toContain('main-menu');
    expect(call.channel.log.find((e) => e.detail === 'barge-in')).toMatchObject({ digits: '1', at: WINTER_OPEN + 1000 });
    expect(call.channel.log.some((e) => e.detail === 'lost')).toBe(false);
  });

  it('the shipped hotline: 2 during the greeting reaches the complaints queue; a wrong key gets the no-match prompt', async () => {
    const flow = await hotlineFlow();
    const two = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ typeAhead: '2', atMs: 500 }], queue: { outcome: 'no-agents', outcomeAfterMs: 1000 }, limitMs: 120_000 });
    expect(two.queue.requests[0]).toMatchObject({ queueId: 'complaints' });
    const nine = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ typeAhead: '9', atMs: 500 }, { press: '1' }], queue: { outcome: 'no-agents', outcomeAfterMs: 1000 }, limitMs: 120_000 });
    expect(nine.channel.said().slice(0, 3)).toEqual(['greeting', 'invalid-option', 'main-menu']);
    expect(nine.queue.requests[0]).toMatchObject({ queueId: 'general' });
  });

  it('a key during a play that leads to a menu counts; the menu is not asked', async () => {
    const call = await runScriptedCall(await bargeFlow(), { caller: '1000', script: [{ typeAhead: '2', atMs: 300 }] });
    expect(call.channel.said()).toEqual(['hello', 'goodbye']);
    expect(call.result.disposition).toBe('completed');
  });

  it('digits typed across two plays reach the collect behind them: the second play is skipped, the entry is checked', async () => {
    const call = await runScriptedCall(await bargeFlow(), {
      caller: '2000',
      script: [{ typeAhead: '12345', atMs: 1500 }],
      queue: { outcome: 'no-agents', outcomeAfterMs: 0 },
    });
    expect(call.result.state.vars.account).toBe('12345');
    expect(call.channel.said()[0]).toBe('hello');
    expect(call.channel.said()).not.toContain('transfer');
    expect(call.channel.said()).not.toContain('enter-account');
    expect(call.result.state.trail).toEqual(['route', 'hello-account', 'hold-on', 'account', 'q', 'bye']);
  });

  it('bargeIn: false on the menu: the key pressed during the play before it is dropped and the menu is asked', async () => {
    const call = await runScriptedCall(await bargeFlow(), { caller: '3000', script: [{ typeAhead: '2', atMs: 300 }, { press: '2' }] });
    expect(call.channel.said()).toEqual(['hello', 'menu', 'goodbye']);
    expect(call.channel.log.find((e) => e.detail === 'lost')).toMatchObject({ digits: '2' });
  });

  it('bargeIn: false on the menu: a key during its own prompt is dropped too, the prompt plays to the end', async () => {
    const call = await runScriptedCall(await bargeFlow(), { caller: '3000', script: [{ press: '2' }, { typeAhead: '1', atMs: 300 }, { silent: true }, { silent: true }] });
    // hello (the press goes to nothing: a play asks no question), then the menu's own prompt with the typed-ahead 1 dropped.
    expect(call.channel.log.filter((e) => e.detail === 'lost').map((e) => e.digits)).toEqual(['1']);
    expect(call.result.disposition).not.toBe('error');
  });

  it('bargeIn: false on the play: it plays whole and the key is lost (the menu then asks)', async () => {
    const call = await runScriptedCall(await bargeFlow(), { caller: '4000', script: [{ typeAhead: '2', atMs: 300 }, { silent: true }, { silent: true }] });
    expect(call.channel.log.find((e) => e.detail === 'lost')).toMatchObject({ op: 'play', digits: '2' });
    expect(call.channel.said().slice(0, 2)).toEqual(['hello', 'menu']);
    expect(call.result.disposition).toBe('silent');
  });
});
