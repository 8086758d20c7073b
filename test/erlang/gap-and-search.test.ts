import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erlangAMetrics, requiredAgents, staffingGap } from '../../src/erlang/index.js';

describe('Erlang A staffing search', () => {
  it('galloping + bisection finds the same count as a plain scan from 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 150, noNaN: true }),
        fc.double({ min: 30, max: 600, noNaN: true }),
        fc.double({ min: 5, max: 900, noNaN: true }),
        // Targets from 1 %: below that, deeply understaffed service levels are ~1e-17, i.e. rounding noise.
        fc.double({ min: 0.01, max: 0.97, noNaN: true }),
        fc.option(fc.double({ min: 2, max: 60, noNaN: true }), { nil: undefined }),
        (a, aht, patience, sl, asa) => {
          const input = { trafficErlangs: a, ahtSeconds: aht, patienceSeconds: patience, serviceLevel: sl, targetTimeSeconds: 20, asaSeconds: asa };
          let scan = 1;
          for (;;) {
            const m = erlangAMetrics({ ...input, agents: scan });
            if (m.serviceLevel >= sl && (asa === undefined || m.asaSeconds! <= asa)) break;
            scan++;
          }
          expect(requiredAgents(input)).toBe(scan);
        },
      ),
      { numRuns: 80, seed: 5 },
    );
  });
});

describe('staffingGap', () => {
  it('reports the shortfall and the service the live agents give', () => {
    const gap = staffingGap({ trafficErlangs: 10, ahtSeconds: 180, liveAgents: 12 });
    expect(gap).toMatchObject({ requiredAgents: 14, liveAgents: 12, shortBy: 2 });
    expect(gap.live!.serviceLevel).toBeLessThan(0.8);
    const spare = staffingGap({ trafficErlangs: 10, ahtSeconds: 180, liveAgents: 20, patienceSeconds: 60 });
    expect(spare.shortBy).toBeLessThan(0);
    expect(spare.live!.model).toBe('erlang-a');
    expect(staffingGap({ trafficErlangs: 10, ahtSeconds: 180, liveAgents: 0 }).live).toBeNull();
    expect(() => staffingGap({ trafficErlangs: 10, ahtSeconds: 180, liveAgents: -1 })).toThrow(/liveAgents/);
  });
});
