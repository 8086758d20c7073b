import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimError } from '../../src/sim/errors.js';
import { parseScenario } from '../../src/sim/scenario-file.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function issuesOf(name: string): { path: string; message: string; line?: number; column?: number }[] {
  try {
    parseScenario(fixture(name), name);
  } catch (e) {
    expect(e).toBeInstanceOf(SimError);
    expect((e as SimError).code).toBe('SCENARIO_INVALID');
    return [...(e as SimError).issues];
  }
  throw new Error(`${name} was accepted`);
}

describe('scenario files', () => {
  it('the documented example parses into the ACD\'s own queue definitions, times in seconds', () => {
    const sc = parseScenario(readFileSync(new URL('../../src/sim/examples/two-skills.yaml', import.meta.url), 'utf8'));
    expect(sc.horizonSec).toBe(8 * 3600);
    expect(sc.warmupSec).toBe(1800);
    expect(sc.queues.map((q) => q.def.id)).toEqual(['billing', 'tech']);
    const billing = sc.queues[0]!;
    expect(billing.def.overflow).toEqual({ secondaryAfterSec: 30 });
    expect(billing.arrivals).toEqual([
      { fromSec: 0, callsPerHour: 240 },
      { fromSec: 7200, callsPerHour: 420 },
      { fromSec: 14400, callsPerHour: 300 },
    ]);
    expect(billing.handle).toEqual({ distribution: 'lognormal', meanSec: 170, sdSec: 120 });
    expect(billing.vip).toEqual({ share: 0.05, priority: 10 });
    expect(sc.queues[1]!.vip).toBeUndefined();
    expect(sc.queues[1]!.def.requiredSkills).toEqual([{ skill: 'tech', minLevel: 2 }]);
    expect(sc.queues[1]!.def.overflow).toEqual({ toQueue: 'billing', queueAfterSec: 60 });
    const [g1, g2] = sc.agents;
    expect(g1!.breaks[0]).toEqual({ afterSec: 9000, durationSec: 900, spreadSec: 5400, reason: 'break' });
    expect(g1!.breaks[1]!.reason).toBe('lunch');
    expect(g1!.shifts).toEqual([{ startSec: 0, endSec: 8.5 * 3600 }]);
    // No shift given: the whole run and its drain.
    expect(g2!.shifts).toEqual([{ startSec: 0, endSec: 9 * 3600 }]);
    expect(g2!.skills).toEqual([{ skill: 'tech', level: 4, primary: true }, { skill: 'billing', level: 2, primary: false }]);
  });

  it('defaults: a minimal file is a runnable scenario', () => {
    const sc = parseScenario(fixture('valid-minimal.yaml'));
    expect(sc.queues[0]!.def).toMatchObject({ policy: 'longest-idle', answerRings: 3, wrapUpSec: 0, serviceLevel: { fraction: 0.8, seconds: 20 } });
    expect(sc.queues[0]!.handle).toEqual({ distribution: 'exponential', meanSec: 120 });
    expect(sc.queues[0]!.patienceSec).toBeNull();
    expect(sc.agents[0]).toMatchObject({ count: 5, ronaProbability: 0, answerAfterSec: 0, skills: [{ skill: 'help', level: 1, primary: true }] });
    expect(sc.ringCadenceSec).toBe(5);
  });

  // One broken fixture per rule, with the exact place and wording a user sees.
  const broken: [file: string, expected: { path: string; message: string | RegExp; line: number; column: number }[]][] = [
    ['yaml-syntax.yaml', [{ path: '', message: /^YAML: /, line: 7, column: 1 }]],
    ['unknown-skill.yaml', [{ path: 'queues[0].skills[0]', message: 'unknown skill biling (add it to skills)', line: 7, column: 14 }]],
    [
      'unknown-key.yaml',
      [
        { path: 'queues[0].handleTime', message: 'is required', line: 6, column: 5 },
        { path: 'queues[0].handletime', message: 'unknown key (did you mean handleTime?)', line: 9, column: 5 },
      ],
    ],
    ['lognormal-without-sd.yaml', [{ path: 'queues[0].handleTime.sdSec', message: 'a lognormal handle time needs sdSec', line: 9, column: 17 }]],
    ['bad-time.yaml', [{ path: 'agents[0].shifts[0].end', message: 'must be a time as "H:MM" or a number of hours', line: 15, column: 31 }]],
    ['shift-backwards.yaml', [{ path: 'agents[0].shifts[0].end', message: 'a shift must end after it starts', line: 15, column: 31 }]],
    ['overflow-unknown-queue.yaml', [{ path: 'queues[0].overflow.toQueue', message: 'unknown queue sales', line: 8, column: 26 }]],
    ['answer-too-slow.yaml', [{ path: 'agents[0].answerAfterSec', message: /^must be below the shortest no-answer time \(15 s/, line: 16, column: 21 }]],
    [
      'several-problems.yaml',
      [
        { path: 'queues[0].callsPerHour', message: /expected number to be >=0/, line: 8, column: 19 },
        { path: 'queues[0].handleTime.meanSec', message: /expected number to be >0/, line: 9, column: 28 },
        { path: 'agents[0].count', message: /expected number to be >=1/, line: 12, column: 12 },
      ],
    ],
  ];
  for (const [file, expected] of broken) {
    it(`refuses ${file} with located messages`, () => {
      const got = issuesOf(file).slice().sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
      expect(got).toHaveLength(expected.length);
      expected.forEach((x, i) => {
        expect(got[i]).toMatchObject({ path: x.path, line: x.line, column: x.column });
        if (typeof x.message === 'string') expect(got[i]!.message).toBe(x.message);
        else expect(got[i]!.message).toMatch(x.message);
      });
    });
  }

  it('the error message lists every issue as file:line:col', () => {
    expect(() => parseScenario(fixture('several-problems.yaml'), 'several-problems.yaml')).toThrow(/several-problems\.yaml:12:12: agents\[0\]\.count: /);
  });
});
