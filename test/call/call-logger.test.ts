import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { HotlineCalls } from '../../src/call/hotline.js';
import { CallRegistry } from '../../src/call/registry.js';
import type { FlowRegistry } from '../../src/ivr/registry.js';
import type { Flow } from '../../src/ivr/spec.js';
import { FakeSignal, ScriptedLeg, closeHarness, run, shippedFlowsWithE2e, world } from './harness.js';

// Issue 9 item 28: every log line of a call carries our call id, the SIP Call-ID and the caller and called numbers.
let flows: FlowRegistry;
let remove: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ flows, remove } = await shippedFlowsWithE2e('call-logger-'));
});
afterAll(async () => {
  await remove?.();
  await closeHarness();
});

interface Line {
  bindings: Record<string, unknown>;
  msg: string | undefined;
}

function capturing(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const rec = (_obj: unknown, msg?: string) => void lines.push({ bindings, msg });
  return { info: rec, warn: rec, error: rec, debug: rec, child: (b) => capturing(lines, { ...bindings, ...b }) };
}

describe("the call's logger", () => {
  it('binds callId, sipCallId, caller and called on every line of the call', async () => {
    const w = await world('memory', flows, ['a'], { a: { answerAfterMs: 1000 } });
    const registry = new CallRegistry(w.clock, 10);
    const lines: Line[] = [];
    const hotline = new HotlineCalls({
      session: { ...w.deps },
      log: capturing(lines),
      registry,
      store: w.store,
      flows,
      files: { prompt: (f) => basename(f, '.wav'), number: (n) => [`#${n}`] },
      policy: { silentAuto: () => false, silentSec: 5, silentAgentKey: '*', lateWhisper: () => true, record: () => false, releaseMedia: () => false },
      wait: { expectedWaitSec: () => undefined },
    });
    const leg = new ScriptedLeg('caller-x', w.clock);
    const signal = new FakeSignal();
    registry.admit();
    leg.presses = ['1'];
    const done = hotline.handle({
      callId: 'call-77',
      sipCallId: '3848276298220188511@192.0.2.7',
      callerNumber: '13800000077',
      calledNumber: '7100',
      flow: flows.forNumber('7100') as Flow,
      leg,
      signal,
    });
    await run(w, 5000);
    signal.remoteBye();
    leg.hangUp();
    await run(w, 5000);
    await done;
    await w.stop();
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l.bindings, l.msg).toMatchObject({ callId: 'call-77', sipCallId: '3848276298220188511@192.0.2.7', caller: '13800000077', called: '7100' });
    }
  });
});
