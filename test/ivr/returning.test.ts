import { describe, expect, it } from 'vitest';
import type { ReturningCallers } from '../../src/ivr/channel.js';
import type { LastServedInfo } from '../../src/ivr/spec.js';
import { runScriptedCall } from '../../src/ivr/testing/harness.js';
import { hotlineFlow, shanghai } from './support.js';

const WINTER_OPEN = shanghai('2026-01-05', '10:00');
const DAY = 86_400_000;
const CALLER = '13800138000';

/** Agent a7 served CALLER `agoMs` before the call; what the ACD's Redis record would say. */
function servedBy(agoMs: number, active = true): ReturningCallers & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lastServed: (n) => {
      asked.push(n);
      const last: LastServedInfo = { agentId: 'a7', at: WINTER_OPEN - agoMs, active };
      return Promise.resolve(n === CALLER ? last : null);
    },
  };
}

describe('returning callers in the shipped hotline flow (scripted channel, virtual clock)', () => {
  it('served 2 days ago by an agent still logged in → the offer; 1 waits in the general queue held for that agent for 120 s', async () => {
    const flow = await hotlineFlow();
    const returning = servedBy(2 * DAY);
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '1' }, { press: '1' }, { press: '1' }],
      queue: { position: 1, answerAfterMs: 20_000, talkMs: 60_000 },
      returning,
    });
    expect(returning.asked).toEqual([CALLER]);
    expect(call.channel.said().slice(0, 4)).toEqual(['greeting', 'main-menu', 'returning-offer', 'please-hold']);
    expect(call.queue.requests).toHaveLength(1);
    expect(call.queue.requests[0]).toMatchObject({ queueId: 'general', hold: { agentId: 'a7', sec: 120 } });
    // Answered within the hold: the fallback is never said, and no timer is left behind.
    expect(call.channel.said()).not.toContain('returning-fallback');
    expect(call.result.state.returning).toEqual({ agentId: 'a7', choice: 'same', holdSec: 120, fallbackPrompt: 'returning-fallback' });
    expect(call.result.disposition).toBe('completed');
    expect(call.clock.pending()).toBe(0);
  });

  it('1 and the agent does not come within 120 s → "still busy, the next agent" is said at 120 s, with the position', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '1' }, { press: '1' }],
      queue: { position: 1, answerAfterMs: 150_000, talkMs: 10_000 },
      wait: { expectedWaitSec: () => undefined },
      returning: servedBy(DAY),
    });
    const fallback = call.channel.log.find((e) => e.say?.[0] === 'returning-fallback');
    const enqueued = call.channel.log.find((e) => e.op === 'music')!.at;
    expect(fallback?.at).toBe(enqueued + 120_000);
    expect(fallback?.say).toEqual(['returning-fallback', 'position', '#1']);
    expect(call.channel.said().filter((s) => s === 'returning-fallback')).toHaveLength(1);
    expect(call.result.disposition).toBe('completed');
  });

  it('2 → the general queue with no hold at all (not even the queue\'s sticky rule)', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '1' }, { press: '2' }, { press: '1' }],
      queue: { position: 1, answerAfterMs: 5_000, talkMs: 60_000 },
      returning: servedBy(DAY),
    });
    expect(call.queue.requests[0]).toMatchObject({ queueId: 'general', hold: 'none' });
    expect(call.channel.said()).not.toContain('returning-fallback');
    expect(call.result.disposition).toBe('completed');
  });

  it('3 → a callback on the caller\'s number naming agent a7 as the one to call back, then goodbye', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }, { press: '3' }, { press: '1' }], returning: servedBy(6 * DAY) });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'returning-offer', 'callback-confirm', 'callback-thanks']);
    expect(call.saved).toEqual([{ kind: 'callback', number: CALLER, reason: 'returning-caller', flowId: 'hotline', preferredAgentId: 'a7' }]);
    expect(call.queue.requests).toEqual([]);
    expect(call.result.disposition).toBe('callback');
  });

  it('a caller nobody served, served 8 days ago, by an agent now logged out, or a failed look-up → straight to the queue, no offer', async () => {
    const flow = await hotlineFlow();
    const failing: ReturningCallers = { lastServed: () => Promise.reject(new Error('redis down')) };
    const cases: [string, ReturningCallers | undefined, string, boolean][] = [
      ['served 1 day ago (the control: offered)', servedBy(DAY), CALLER, true],
      ['no look-up wired', undefined, CALLER, false],
      ['another number', servedBy(DAY), '13900000000', false],
      ['served 8 days ago', servedBy(8 * DAY), CALLER, false],
      ['agent logged out', servedBy(DAY, false), CALLER, false],
      ['look-up failed', failing, CALLER, false],
    ];
    for (const [what, returning, caller, offered] of cases) {
      const call = await runScriptedCall(flow, {
        at: WINTER_OPEN,
        caller,
        script: [{ press: '1' }, { press: '2' }, { press: '1' }],
        queue: { position: 1, answerAfterMs: 5_000, talkMs: 10_000 },
        ...(returning ? { returning } : {}),
      });
      expect(call.channel.said().slice(0, 3), what).toEqual(['greeting', 'main-menu', offered ? 'returning-offer' : 'please-hold']);
      expect(call.result.state.trail.slice(2, 5), what).toEqual(['menu', 'returning-enquiry', 'enquiry']);
      if (offered) expect(call.queue.requests[0], what).toMatchObject({ hold: 'none' });
      else expect(call.queue.requests[0], what).not.toHaveProperty('hold');
    }
  });

  it('a returning caller who says nothing → the standard silent script: 5 s, silent-1, 5 s, goodbye, disposition silent', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }, { silent: true }, { silent: true }], returning: servedBy(DAY) });
    expect(call.channel.said()).toEqual(['greeting', 'main-menu', 'returning-offer', 'silent-1', 'silent-goodbye']);
    const at = (id: string): number | undefined => call.channel.log.find((e) => e.say?.[0] === id)?.at;
    // Each prompt item takes 2 s in the double: the offer ends 2 s after it starts, then 5 s of nothing → silent-1;
    // it ends 2 s later, 5 s more → the goodbye: 14 s from the offer to the goodbye, as after any menu.
    const offer = at('returning-offer')!;
    expect([at('silent-1')! - offer, at('silent-goodbye')! - offer]).toEqual([7000, 14_000]);
    expect(call.result.disposition).toBe('silent');
    expect(call.queue.requests).toEqual([]);
  });

  it('wrong keys: the no-match prompt twice, then the caller goes on to the queue like anyone else', async () => {
    const flow = await hotlineFlow();
    const call = await runScriptedCall(flow, {
      at: WINTER_OPEN,
      script: [{ press: '1' }, { press: '7' }, { press: '8' }, { press: '9' }, { press: '1' }],
      queue: { position: 1, answerAfterMs: 5_000, talkMs: 10_000 },
      returning: servedBy(DAY),
    });
    expect(call.channel.said().slice(0, 8)).toEqual(['greeting', 'main-menu', 'returning-offer', 'invalid-option', 'returning-offer', 'invalid-option', 'returning-offer', 'please-hold']);
    expect(call.queue.requests[0]).not.toHaveProperty('hold');
  });

  it('withinHours: served 5 h ago is a returning caller for withinHours 6, not for withinHours 4', async () => {
    const base = await hotlineFlow();
    const node = base.nodes['returning-enquiry']!;
    for (const [hours, offered] of [[6, true], [4, false]] as const) {
      const flow = { ...base, nodes: { ...base.nodes, 'returning-enquiry': { ...node, withinDays: undefined, withinHours: hours } } };
      const call = await runScriptedCall(flow, { at: WINTER_OPEN, script: [{ press: '1' }, { press: '2' }, { press: '1' }], queue: { position: 1, answerAfterMs: 5_000, talkMs: 10_000 }, returning: servedBy(5 * 3_600_000) });
      expect(call.channel.said().includes('returning-offer')).toBe(offered);
    }
  });
});
