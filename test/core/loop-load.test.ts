import { describe, expect, it } from 'vitest';
import { EventLoopLoad, smooth } from '../../src/core/loop-load.js';

describe('EventLoopLoad: the event-loop utilisation admission control reads', () => {
  it('smooths: one saturated half second after a 0.7 loop reads 0.82 (below the 0.9 soft limit), a sustained one passes 0.9 within three readings', () => {
    expect(smooth(undefined, 0.5, 0.4)).toBe(0.5);
    expect(smooth(0.7, 1, 0.4)).toBeCloseTo(0.82, 10);
    let v = 0.7;
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((v = smooth(v, 1, 0.4)));
    expect(seen[1]).toBeLessThan(0.9);
    expect(seen[2]).toBeGreaterThan(0.9);
  });

  it('reads nothing before its first interval, then a utilisation between 0 and 1 of this very process', async () => {
    const load = new EventLoopLoad(50);
    load.start();
    expect(load.busy()).toBeUndefined();
    const until = Date.now() + 120;
    while (Date.now() < until) {
      // keep the loop busy
    }
    await new Promise((r) => setTimeout(r, 80));
    load.stop();
    const v = load.busy();
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThanOrEqual(1);
  });
});
