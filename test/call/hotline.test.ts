import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { HotlineCalls } from '../../src/call/hotline.js';
import { CallRegistry } from '../../src/call/registry.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import type { Flow } from '../../src/ivr/spec.js';
import { FakeSignal, ScriptedLeg, run, shippedFlowsWithE2e, world } from './harness.js';

// The shipped prompts and queues plus the e2e flow (press 1 for the general queue, survey after the agent), run
// through HotlineCalls: the IVR runner on MediaCallChannel, its queue node through the session, on virtual time.
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('hotline-call-'));
});

afterAll(async () => {
  await remove?.();
});

function setup(silentAuto = false) {
  const w = world(['a'], { a: { answerAfterMs: 1000 } });
  const registry = new CallRegistry(w.clock, 10);
  const hotline = new HotlineCalls({
    session: { ...w.deps },
    log: silentLogger,
    registry,
    store: w.store,
    flows,
    files: { prompt: (f) => basename(f, '.wav'), number: (n) => [`#${n}`] },
    policy: { silentAuto: () => silentAuto, silentSec: 5, silentAgentKey: '*', lateWhisper: () => true, record: () => false },
    wait: { expectedWaitSec: () => undefined },
  });
  const leg = new ScriptedLeg('caller-x', w.clock);
  const signal = new FakeSignal();
  const flow = flows.forNumber('7100') as Flow;
  registry.admit();
  return { w, hotline, leg, signal, flow, registry };
}

describe('HotlineCalls: the IVR flow over the media channel and the session', () => {
  it('menu 1 → queue → agent answers and hangs up → survey digit in the one call record', async () => {
    const { w, hotline, leg, signal, flow, registry } = setup();
    expect(flow.id).toBe('e2e');
    leg.presses = ['1', '2'];
    const done = hotline.handle({ callId: 'call-42', callerNumber: '13800000042', calledNumber: '7100', flow, leg, signal });
    expect(registry.size).toBe(1);
    await run(w, 5000); // menu prompt (1 s) + press (0.5 s) + ring 1 s
    expect(w.state('a')).toBe('on-call');
    expect(leg.events).toContain('bridge:seat-a');
    w.seats.answered.get('a')!.agentBye();
    await run(w, 30_000);
    await done;
    expect(w.records.records).toHaveLength(1);
    expect(w.records.records[0]).toMatchObject({ callId: 'call-42', flowId: 'e2e', queueId: 'general', agentId: 'a', surveyRating: 2, disposition: 'completed', ringsToAnswer: 1 });
    // The flow's prompts reached the leg as files: menu, music on hold, survey, goodbye.
    expect(leg.events[0]).toBe('collect:please-hold');
    expect(leg.events).toContain('music:hold-music');
    expect(leg.events.some((e) => e.startsWith('collect:survey'))).toBe(true);
    expect(leg.events).toContain('play:goodbye');
    expect(signal.hangups).toBe(1);
    expect(['wrap-up', 'ready']).toContain(w.state('a'));
    expect(registry.size).toBe(0);
    w.stop();
  });

  it('the caller hangs up in the menu: one record, caller-hangup, nobody rung', async () => {
    const { w, hotline, leg, signal, flow } = setup();
    const done = hotline.handle({ callId: 'call-43', callerNumber: '13800000043', calledNumber: '7100', flow, leg, signal });
    await run(w, 500);
    signal.remoteBye();
    leg.hangUp();
    await run(w, 1000);
    await done;
    expect(w.records.records.map((r) => [r.callId, r.disposition, r.endedBy])).toEqual([['call-43', 'caller-hangup', 'caller']]);
    expect(w.seats.rung).toEqual([]);
    w.stop();
  });
});
