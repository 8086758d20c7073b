import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, then insertion order, only when advanced', () => {
    const c = new VirtualClock(1000);
    const fired: string[] = [];
    c.setTimeout(() => fired.push('b@20'), 20);
    c.setTimeout(() => fired.push('a@10'), 10);
    c.setTimeout(() => fired.push('c@20'), 20);
    expect(fired).toEqual([]);
    c.advance(15);
    expect(fired).toEqual(['a@10']);
    expect(c.now()).toBe(1015);
    c.advance(5);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
  });

  it('does not fire a cleared timer, and timers set while firing run if due', () => {
    const c = new VirtualClock();
    const fired: number[] = [];
    const h = c.setTimeout(() => fired.push(1), 5);
    c.setTimeout(() => c.setTimeout(() => fired.push(3), 1), 6);
    c.clearTimeout(h);
    c.advance(10);
    expect(fired).toEqual([3]);
    expect(c.pending()).toBe(0);
  });
});
