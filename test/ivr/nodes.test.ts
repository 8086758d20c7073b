import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../src/ivr/interpreter.js';
import { NODE_TYPES } from '../../src/ivr/nodes/index.js';
import type { CallState, Command, FlowEvent } from '../../src/ivr/spec.js';
import { runScriptedCall } from '../../src/ivr/testing/harness.js';
import { fixtureFlows } from './support.js';

describe('node types not used by the hotline flow', () => {
  it('branch on caller → play text-to-speech; collect validates length and pattern; branch on a variable; goto; survey', async () => {
    const flows = await fixtureFlows('good.yaml', 'all-nodes.yaml');
    const flow = flows.get('all-nodes')!;
    const call = await runScriptedCall(flow, { caller: '88880001', script: [{ press: '12' }, { press: '12345' }, { press: '5' }] });
    expect(call.channel.said()).toEqual(['tts:尊敬的88880001您好', 'enter-account', 'invalid-entry', 'enter-account', 'survey', 'survey-thanks', 'goodbye']);
    expect(call.result.state.vars.account).toBe('12345');
    expect(call.result.state.trail).toEqual(['vip', 'hello-vip', 'account', 'kind', 'again', 'rate']);
    expect(call.saved).toEqual([{ kind: 'survey', rating: 5, flowId: 'all-nodes' }]);
    expect(call.result.disposition).toBe('completed');
  });

  it('a caller not matching any case takes the default; a silent caller on collect gets the silent goodbye', async () => {
    const flow = (await fixtureFlows('good.yaml', 'all-nodes.yaml')).get('all-nodes')!;
    const call = await runScriptedCall(flow, { caller: '13800138000', script: [{ silent: true }, { silent: true }] });
    expect(call.channel.said()).toEqual(['enter-account', 'enter-account', 'silent-goodbye']);
    expect(call.result.disposition).toBe('silent');
  });

  it('transfer to another flow continues the call there, keeping its variables', async () => {
    const flows = await fixtureFlows('good.yaml', 'all-nodes.yaml');
    const call = await runScriptedCall(flows.get('all-nodes')!, {
      script: [{ press: '0000' }, { press: '7' }, { press: '7' }, { press: '7' }],
      flows: { byId: (id) => flows.get(id) },
    });
    expect(call.result.revisions.map((r) => r.flowId)).toEqual(['all-nodes', 'good']);
    expect(call.channel.said()).toEqual(['enter-account', 'hello', 'menu', 'invalid-option', 'menu', 'invalid-option', 'menu', 'goodbye']);
    expect(call.result.state.vars.account).toBe('0000');
    expect(call.channel.log.filter((e) => e.op === 'answer')).toHaveLength(1);
    expect(call.result.disposition).toBe('completed');
  });

  it('every node type has its own module, schema and description', () => {
    expect([...NODE_TYPES.keys()]).toEqual(['play', 'menu', 'collect', 'branch', 'set', 'queue', 'returning', 'callback', 'message', 'transfer', 'survey', 'hangup', 'goto']);
    for (const t of NODE_TYPES.values()) {
      expect(t.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['type']) });
      expect(t.description.length).toBeGreaterThan(10);
    }
  });
});

describe('the step function', () => {
  async function start(): Promise<{ flow: Awaited<ReturnType<typeof fixtureFlows>> extends Map<string, infer F> ? F : never; s: CallState; commands: Command[] }> {
    const flow = (await fixtureFlows('good.yaml')).get('good')!;
    const s0 = initialState(flow, { callId: 'c', caller: '1', called: '5550001' });
    const { state, commands } = step(flow, s0, { type: 'start' }, 0);
    return { flow, s: state, commands };
  }

  it("answers, then says the first prompt leading into the menu's question in one collect (a key during it is the menu's answer) and waits for it by ref", async () => {
    const { s, commands } = await start();
    expect(commands).toEqual([
      { type: 'answer' },
      {
        type: 'collect',
        ref: 1,
        items: [expect.objectContaining({ kind: 'prompt', id: 'hello', language: 'zh' }), expect.objectContaining({ kind: 'prompt', id: 'menu', language: 'zh' })],
        digits: { min: 1, max: 1, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 3000 },
      },
    ]);
    expect(s.awaiting).toBe(1);
    expect(s.node).toBe('menu');
    expect(s.trail).toEqual(['hello', 'menu']);
    expect(s.leadIn).toBeUndefined();
  });

  it('a play without barge-in before the menu is its own playback (the caller hears it all)', async () => {
    const good = (await fixtureFlows('good.yaml')).get('good')!;
    const flow = structuredClone(good);
    (flow.nodes.hello as { bargeIn?: boolean }).bargeIn = false;
    const first = step(flow, initialState(flow, { callId: 'c', caller: '1', called: '5550001' }), { type: 'start' }, 0);
    expect(first.commands.at(-1)).toMatchObject({ type: 'play', items: [expect.objectContaining({ id: 'hello' })] });
    const next = step(flow, first.state, { type: 'prompt-finished', ref: first.state.awaiting! }, 0);
    expect(next.commands).toEqual([expect.objectContaining({ type: 'collect', items: [expect.objectContaining({ id: 'menu' })] })]);
  });

  it('is pure: the input state is not changed and the same input gives the same output', async () => {
    const { flow, s } = await start();
    const copy = structuredClone(s);
    const a = step(flow, s, { type: 'prompt-finished', ref: 1 }, 0);
    const b = step(flow, s, { type: 'prompt-finished', ref: 1 }, 0);
    expect(s).toEqual(copy);
    expect(a).toEqual(b);
    expect(a.state.node).toBe('menu');
  });

  it('ignores stale answers (a ref it no longer waits for) and events the node has no use for', async () => {
    const { flow, s } = await start();
    const stale: FlowEvent[] = [{ type: 'prompt-finished', ref: 99 }, { type: 'digits', ref: 2, digits: '1' }, { type: 'timer', name: 'x' }, { type: 'queue', outcome: 'agent-ended' }];
    for (const e of stale) {
      const out = step(flow, s, e, 0);
      expect(out.commands).toEqual([]);
      expect(out.state).toBe(s);
    }
  });

  it('after the call ended nothing happens any more', async () => {
    const { flow, s } = await start();
    const ended = step(flow, s, { type: 'caller-hangup' }, 0).state;
    expect(ended.ended).toBe('caller-hangup');
    expect(step(flow, ended, { type: 'prompt-finished', ref: 1 }, 0).commands).toEqual([]);
  });

  it('caller silent (voice detection) counts as no input', async () => {
    const { flow, s } = await start();
    let st = step(flow, s, { type: 'prompt-finished', ref: 1 }, 0).state;
    st = step(flow, st, { type: 'caller-silent', ref: st.awaiting! }, 0).state;
    const out = step(flow, st, { type: 'caller-silent', ref: st.awaiting! }, 0);
    expect(out.commands).toEqual([{ type: 'play', ref: 3, items: [expect.objectContaining({ id: 'silent-goodbye' })] }]);
    const end = step(flow, out.state, { type: 'prompt-finished', ref: 3 }, 0);
    expect(end.commands).toEqual([{ type: 'hangup', disposition: 'silent' }]);
    expect(end.state.ended).toBe('silent');
  });
});

describe('the runner', () => {
  it('a failing channel operation releases the call with disposition error', async () => {
    const { VirtualClock } = await import('../../src/core/clock.js');
    const { silentLogger } = await import('../../src/core/logger.js');
    const { FlowRunner } = await import('../../src/ivr/runner.js');
    const { ScriptedChannel, ScriptedQueue } = await import('../../src/ivr/testing/scripted-channel.js');
    const flow = (await fixtureFlows('good.yaml')).get('good')!;
    const clock = new VirtualClock(0);
    const channel = new ScriptedChannel(clock);
    channel.play = () => Promise.reject(new Error('media server gone'));
    channel.playCollect = () => Promise.reject(new Error('media server gone'));
    const runner = new FlowRunner({ channel, queue: new ScriptedQueue(clock), wait: { expectedWaitSec: () => undefined }, sink: { save: () => undefined }, flows: { byId: () => undefined }, clock, logger: silentLogger });
    const r = await runner.run(flow);
    expect(r.disposition).toBe('error');
    expect(channel.disposition).toBe('error');
    expect(channel.listenerCount()).toBe(0);
  });
});
