import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_RULE } from '../../src/acd/peak-plan.js';
import { SimError } from '../../src/sim/errors.js';
import { parseScenario } from '../../src/sim/scenario-file.js';

const minimal = readFileSync(new URL('./fixtures/valid-minimal.yaml', import.meta.url), 'utf8');

function issues(text: string): string[] {
  try {
    parseScenario(text, 's.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SimError);
    return (e as SimError).issues.map((i) => `${i.line ?? ''}:${i.path}: ${i.message}`);
  }
  throw new Error('accepted');
}

describe('scenario files: peak plan, callbacks, supervisors', () => {
  it('a bare plan: section is the standard\'s rule; minutes become the engine\'s milliseconds; per-queue rules merge over it', () => {
    const sc = parseScenario(`${minimal}\nplan: {}\n`);
    expect(sc.plan).toEqual({ rules: { hotline: DEFAULT_PLAN_RULE, queues: {} }, breakReturnSec: 120, resumeBreaksEverySec: 60 });
    const custom = parseScenario(`${minimal}\nplan: { level1: 10, sustainMinutes: 20, queues: { help: { level2: 30 } }, breakReturnMinutes: 0.5 }\n`);
    expect(custom.plan!.rules.hotline).toEqual({ ...DEFAULT_PLAN_RULE, level1: 10, clear1: 7, sustainMs: 1_200_000 });
    expect(custom.plan!.rules.queues.help).toEqual({ ...DEFAULT_PLAN_RULE, level1: 10, clear1: 7, sustainMs: 1_200_000, level2: 30, clear2: 22 });
    expect(custom.plan!.breakReturnSec).toBe(30);
    expect(sc.callbacks).toBeUndefined();
  });

  it('a plan rule the engine refuses, or one for an unknown queue, is a located issue', () => {
    expect(issues(`${minimal}\nplan: { level1: 20 }\n`)).toEqual(['15:plan: level2: must be above level1 (20)', '15:plan: clear1: must not be above clear2 (12)']);
    expect(issues(`${minimal}\nplan: { queues: { nope: { level1: 3 } } }\n`)).toEqual(['15:plan.queues.nope: unknown queue nope']);
  });

  it('callbacks: defaults, an offer needs its wait, a supervisor group is flagged', () => {
    const sc = parseScenario(`${minimal}\n    supervisor: true\ncallbacks: { deadlineHours: 4, handleTime: { distribution: constant, meanSec: 90 } }\n`);
    expect(sc.callbacks).toEqual({ afterAbandonSec: 60, abandonShare: 0.3, offerAfterSec: null, offerAcceptShare: 0, deadlineSec: 14_400, maxAgents: 5, handle: { distribution: 'constant', meanSec: 90 } });
    expect(sc.agents[0]!.supervisor).toBe(true);
    expect(issues(`${minimal}\ncallbacks: { offerAcceptShare: 0.5 }\n`)).toEqual(['15:callbacks.offerAcceptShare: offerAcceptShare needs offerAfterSec']);
  });

  it('the peak-day example parses with its plan, supervisors and callbacks', () => {
    const sc = parseScenario(readFileSync(new URL('../../src/sim/examples/peak-day.yaml', import.meta.url), 'utf8'));
    expect(sc.plan!.rules.hotline).toEqual(DEFAULT_PLAN_RULE);
    expect(sc.agents.filter((g) => g.supervisor).map((g) => g.name)).toEqual(['supervisors']);
    expect(sc.callbacks!.offerAfterSec).toBe(300);
  });
});
