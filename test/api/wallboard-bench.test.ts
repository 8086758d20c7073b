import { describe, expect, it } from 'vitest';
import { runWallboardBench } from '../../src/bench/wallboard-stream.js';

describe('acd bench wallboard (small run)', () => {
  it('measures lifecycles with and without clients, and the clients really receive the stream', async () => {
    const r = await runWallboardBench({ seconds: 2, clients: 5, rounds: 1, concurrency: 8, agents: 60, waiting: 10 });
    expect(r.rounds).toHaveLength(1);
    expect(r.baselineLifecyclesPerSec).toBeGreaterThan(0);
    expect(r.withClientsLifecyclesPerSec).toBeGreaterThan(0);
    // About one kpis event a second per client (the stream's pace), none lost to the bench's own plumbing.
    expect(r.eventsPerClientPerSec).toBeGreaterThan(0.25);
    expect(r.eventsPerClientPerSec).toBeLessThan(3);
    expect(r.frameBytes).toBeGreaterThan(1_000);
    expect(Number.isFinite(r.costPercent)).toBe(true);
  });
});
