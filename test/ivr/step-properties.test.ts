import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../src/ivr/interpreter.js';
import type { FlowEvent } from '../../src/ivr/spec.js';
import { hotlineFlow, shanghai } from './support.js';

type Gen = { kind: 'answer'; digits: string } | { kind: 'no-input' } | { kind: 'finished' } | { kind: 'status'; position: number; wait: number } | { kind: 'queue'; outcome: 'answered' | 'agent-ended' | 'timeout' | 'no-agents' | 'overflow' } | { kind: 'timer'; name: string } | { kind: 'hangup' } | { kind: 'stale' };

const gen: fc.Arbitrary<Gen> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('answer' as const), digits: fc.stringMatching(/^[0-9*#]{1,12}$/) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('no-input' as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('finished' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('status' as const), position: fc.integer({ min: 0, max: 50 }), wait: fc.integer({ min: 0, max: 3600 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('queue' as const), outcome: fc.constantFrom('answered', 'agent-ended', 'timeout', 'no-agents', 'overflow') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('timer' as const), name: fc.constantFrom('queue-announce', 'queue-max-wait', 'other') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hangup' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const) }) },
);

describe('the step function under any sequence of events', () => {
  it('never throws, stays on existing nodes, ends once with one hangup at most, and is inert after the end', async () => {
    const flow = await hotlineFlow();
    const times = [shanghai('2026-01-05', '10:00'), shanghai('2026-01-05', '12:30'), shanghai('2026-01-05', '20:00'), shanghai('2026-01-05', '17:10')];
    fc.assert(
      fc.property(fc.constantFrom(...times), fc.array(gen, { maxLength: 60 }), (now, events) => {
        let out = step(flow, initialState(flow, { callId: 'c', caller: '13800138000', called: '12345' }), { type: 'start' }, now);
        let s = out.state;
        let hangups = out.commands.filter((c) => c.type === 'hangup').length;
        for (const g of events) {
          const ref = s.awaiting ?? 0;
          const e: FlowEvent =
            g.kind === 'answer' ? { type: 'digits', ref, digits: g.digits }
            : g.kind === 'no-input' ? { type: 'no-input', ref }
            : g.kind === 'finished' ? { type: 'prompt-finished', ref }
            : g.kind === 'status' ? { type: 'queue-status', ref, position: g.position, expectedWaitSec: g.wait }
            : g.kind === 'queue' ? { type: 'queue', outcome: g.outcome }
            : g.kind === 'timer' ? { type: 'timer', name: g.name }
            : g.kind === 'hangup' ? { type: 'caller-hangup' }
            : { type: 'prompt-finished', ref: ref + 1000 };
          const wasEnded = s.ended !== undefined;
          out = step(flow, s, e, now);
          if (wasEnded) expect(out.commands).toEqual([]);
          s = out.state;
          expect(flow.nodes[s.node]).toBeDefined();
          if (s.awaiting !== undefined && s.awaiting >= 0) expect(s.awaiting).toBeLessThan(s.nextRef);
          hangups += out.commands.filter((c) => c.type === 'hangup').length;
          for (const c of out.commands) if (c.type === 'hangup') expect(s.ended).toBe(c.disposition);
        }
        expect(hangups).toBeLessThanOrEqual(1);
        expect(s.ended === undefined || s.awaiting === undefined).toBe(true);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});
