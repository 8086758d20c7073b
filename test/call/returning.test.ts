import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Saved } from '../../src/ivr/spec.js';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import { queue } from '../acd/fixtures.js';
import { STORE_KINDS, closeHarness, run, shippedFlowsWithE2e, world, type StoreKind, type World } from './harness.js';

// A returning caller end to end: HotlineCalls runs the flow's returning node, whose look-up reads the ACD store's
// last-agent record (Redis in production), and the queue node's hold reaches the real matching rules.
const RETURNING_FLOW = `
version: 1
id: ret
numbers: ["7200"]
language: zh
languages: [zh]
silence: { timeoutSec: 5, repeats: 1, goodbye: silent-goodbye }
start: returning
nodes:
  returning:
    type: returning
    withinDays: 7
    prompt: returning-offer
    noInputPrompt: silent-1
    holdSec: 60
    sameAgent: enquiry
    nextAgent: enquiry
    callback: callback
    next: enquiry
  enquiry: { type: queue, queue: general, music: hold-music, afterCall: goodbye, onTimeout: goodbye, onNoAgents: goodbye }
  callback: { type: callback, reason: returning-caller, next: booked }
  booked: { type: hangup, prompt: callback-thanks, disposition: callback }
  goodbye: { type: hangup, prompt: goodbye, disposition: completed }
`;

let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('returning-call-', { 'ret.yaml': RETURNING_FLOW }));
});

afterAll(async () => {
  await remove?.();
  await closeHarness();
});

/** Agents a then b ready (a idle longest); a serves the caller once (a new caller: no offer), then goes on a break. */
async function servedByA(kind: StoreKind): Promise<World> {
  const w = await world(kind, flows, ['a', 'b'], { a: { answerAfterMs: 1000 }, b: { answerAfterMs: 1000 } });
  const first = w.call({ callId: 'first', calledNumber: '7200', presses: [] });
  await run(w, 3000);
  expect(await w.state('a')).toBe('on-call');
  expect(first.leg.events.some((e) => e.includes('returning-offer'))).toBe(false);
  w.seats.answered.get('a')!.agentBye();
  await run(w, 15_000);
  await first.done;
  expect(await w.store.lastServed('13800000000')).toMatchObject({ agentId: 'a', active: true });
  await w.store.setNotReady('a', 'break');
  return w;
}

describe.each(STORE_KINDS)('returning callers through HotlineCalls on the %s store', (kind) => {
  it('1: held for agent a only; b stays ready and unrung until a is back, then a answers', async () => {
    const w = await servedByA(kind);
    const c = w.call({ callId: 'again', calledNumber: '7200', presses: ['1'] });
    await run(w, 30_000);
    expect(c.leg.events.some((e) => e.startsWith('collect:returning-offer'))).toBe(true);
    expect(w.seats.rung).toEqual(['a']);
    expect(await w.state('b')).toBe('ready');
    expect(await w.store.call('again')).toMatchObject({ state: 'waiting', stickyAgent: 'a' });
    await w.store.setReady('a');
    await run(w, 5000);
    expect(w.seats.rung).toEqual(['a', 'a']);
    expect(await w.state('a')).toBe('on-call');
    c.hangUp();
    await run(w, 2000);
    await c.done;
    expect(c.leg.events.some((e) => e.includes('returning-fallback'))).toBe(false);
    await w.stop();
  });

  it('1 and a stays away: nobody else until the 60 s hold ends, then "still busy" is said and b answers', async () => {
    const w = await servedByA(kind);
    const c = w.call({ callId: 'again', calledNumber: '7200', presses: ['1'] });
    await run(w, 55_000);
    expect(w.seats.rung).toEqual(['a']);
    await run(w, 10_000);
    expect(w.seats.rung).toEqual(['a', 'b']);
    expect(await w.state('b')).toBe('on-call');
    expect(c.leg.events.some((e) => e.startsWith('play:returning-fallback'))).toBe(true);
    c.hangUp();
    await run(w, 2000);
    await c.done;
    await w.stop();
  });

  it('2: the next agent at once, even in a queue whose sticky rule would hold the caller for a (the control shows it would)', async () => {
    const w = await servedByA(kind);
    await w.store.configure({ skills: [], queues: [queue('general', { wrapUpSec: 10, stickyAgentSec: 300 }), queue('complaints', { wrapUpSec: 10 })] });
    // Control: the e2e flow has no returning node, so the queue's sticky rule holds this caller for a.
    const control = w.call({ callId: 'control', presses: ['1', '2'] });
    await run(w, 10_000);
    expect(await w.store.call('control')).toMatchObject({ state: 'waiting', stickyAgent: 'a' });
    expect(w.seats.rung).toEqual(['a']);
    control.hangUp();
    await run(w, 2000);
    await control.done;
    const c = w.call({ callId: 'again', calledNumber: '7200', presses: ['2'] });
    await run(w, 25_000);
    expect(w.seats.rung).toEqual(['a', 'b']);
    expect(await w.state('b')).toBe('on-call');
    c.hangUp();
    await run(w, 2000);
    await c.done;
    await w.stop();
  });

  it('3: a callback request on the caller\'s number naming a as the agent to call back; nobody is rung', async () => {
    const w = await servedByA(kind);
    const saved: Saved[] = [];
    const c = w.call({ callId: 'again', calledNumber: '7200', presses: ['3', '1'], data: { save: (_id, d) => void saved.push(d) } });
    await run(w, 30_000);
    await c.done;
    expect(saved).toEqual([{ kind: 'callback', number: '13800000000', reason: 'returning-caller', flowId: 'ret', preferredAgentId: 'a' }]);
    expect(w.seats.rung).toEqual(['a']);
    expect(w.records.records.at(-1)).toMatchObject({ callId: 'again', disposition: 'callback' });
    await w.stop();
  });

  it('another number is a new caller: no offer, any agent at once', async () => {
    const w = await servedByA(kind);
    const c = w.call({ callId: 'new', calledNumber: '7200', callerNumber: '13911112222', presses: [] });
    await run(w, 5000);
    expect(c.leg.events.some((e) => e.includes('returning-offer'))).toBe(false);
    expect(w.seats.rung).toEqual(['a', 'b']);
    c.hangUp();
    await run(w, 2000);
    await c.done;
    await w.stop();
  });
});
