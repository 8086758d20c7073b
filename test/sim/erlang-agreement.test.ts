import { describe, expect, it } from 'vitest';
import { erlangAMetrics, erlangCMetrics } from '../../src/erlang/index.js';
import { simulate } from '../../src/sim/engine.js';
import { buildResult } from '../../src/sim/report.js';
import { singleQueueScenario } from '../../src/sim/single-queue.js';

/**
 * The simulator (driving the real MemoryAcdStore rules) against the Erlang engine on the one case where theory
 * is exact: one queue, Poisson arrivals, exponential talk times, a fixed staff (M/M/n = Erlang C) and, with
 * exponential patience, M/M/n+M (Erlang A).
 *
 * Tolerance, chosen honestly: waits of successive callers are correlated, so the error is estimated by batch
 * means (20 batches of ~4,000 calls; ci95 is the t-based 95% half-width). A simulated figure must lie within
 * TWO half-widths (~4 standard errors) of the formula. With fixed seeds the test is deterministic; with other
 * seeds it would fail by chance about once in 10^4 runs. Over seeds 1..6 the observed |error| was at most
 * 1.2 half-widths for every figure below.
 * Power: the same run must be clearly OUTSIDE that tolerance of the formula for one agent fewer, so an
 * off-by-one agent, a lost call or a wrong wait clock in the simulator would fail the test.
 * 1 h of warm-up is discarded (the queue starts empty); runs are 80,000 calls each, under 3 s on a loaded machine.
 */
const cases = [
  { name: 'Erlang C, 8 Erlangs on 11 agents (73% occupancy)', callsPerHour: 160, aht: 180, agents: 11, hours: 500, seed: 4 },
  { name: 'Erlang A, 20 Erlangs on 22 agents, patience 120 s', callsPerHour: 400, aht: 180, agents: 22, hours: 200, seed: 5, patience: 120 },
] as const;

describe('single queue: simulation agrees with Erlang C / Erlang A within statistical error', () => {
  for (const c of cases) {
    it(c.name, () => {
      const patience = 'patience' in c ? c.patience : undefined;
      const sc = singleQueueScenario({
        callsPerHour: c.callsPerHour,
        ahtSeconds: c.aht,
        agents: c.agents,
        hours: c.hours,
        targetTimeSeconds: 20,
        warmupHours: 1,
        ...(patience !== undefined ? { patienceSeconds: patience } : {}),
      });
      const r = buildResult(simulate(sc, { seed: c.seed }));
      const traffic = (c.callsPerHour * c.aht) / 3600;
      const formula = (n: number) =>
        patience !== undefined
          ? erlangAMetrics({ trafficErlangs: traffic, ahtSeconds: c.aht, agents: n, patienceSeconds: patience, targetTimeSeconds: 20 })
          : { ...erlangCMetrics({ trafficErlangs: traffic, ahtSeconds: c.aht, agents: n, targetTimeSeconds: 20 }), abandonRate: 0 };
      const e = formula(c.agents);
      const fewer = formula(c.agents - 1);

      // The report's own `erlang` field is the same prediction.
      expect(r.erlang!.serviceLevel).toBeCloseTo(e.serviceLevel, 12);
      expect(r.erlang!.asaSeconds).toBeCloseTo(e.asaSeconds!, 12);
      expect(r.erlang!.basis).toBe('single-queue');
      expect(r.erlang!.caveats).toEqual([]);

      // Enough calls for the intervals to mean something, and every call accounted for.
      expect(r.calls).toBeGreaterThan(75_000);
      expect(r.answered + r.abandoned).toBe(r.calls);
      expect(r.unfinished).toBe(0);

      const slTol = 2 * r.ci95.serviceLevel!;
      const asaTol = 2 * r.ci95.asaSeconds!;
      expect(slTol).toBeLessThan(0.04);
      expect(Math.abs(r.serviceLevel - e.serviceLevel)).toBeLessThan(slTol);
      expect(Math.abs(r.asaSeconds - e.asaSeconds!)).toBeLessThan(asaTol);
      expect(Math.abs(r.serviceLevel - fewer.serviceLevel)).toBeGreaterThan(slTol);
      expect(Math.abs(r.asaSeconds - fewer.asaSeconds!)).toBeGreaterThan(asaTol);

      if (patience !== undefined) {
        const abTol = 2 * r.ci95.abandonRate!;
        expect(Math.abs(r.abandonRate - e.abandonRate)).toBeLessThan(abTol);
        expect(Math.abs(r.abandonRate - fewer.abandonRate)).toBeGreaterThan(abTol);
      } else {
        expect(r.abandoned).toBe(0);
      }
      // Occupancy = carried load ÷ agents; its error is that of the call count and mean talk (~0.5% here).
      expect(Math.abs(r.occupancy - e.occupancy)).toBeLessThan(0.012);
    });
  }
});
