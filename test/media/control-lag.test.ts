import { describe, expect, it } from 'vitest';
import { ControlLag } from '../../src/media/control-lag.js';

/** One ping: sent at `at`, run by the server `run` ms later (its clock `offset` ahead), read here `read` ms after that. */
function ping(lag: ControlLag, at: number, run: number, read = 0, offset = 5_000_000): void {
  lag.sent(at);
  lag.answered(at + run + read, at + run + offset);
}

describe("ControlLag: FreeSWITCH's own delay, from its clock", () => {
  it('reads the excess over the best answer seen; time spent reading the answer here does not count', () => {
    const lag = new ControlLag();
    expect(lag.reading(0)).toBeUndefined();
    ping(lag, 1000, 2);
    expect(lag.reading(1002)).toBe(0);
    ping(lag, 1500, 302, 700);
    expect(lag.reading(2502)).toBe(300);
    ping(lag, 3000, 2, 900);
    expect(lag.reading(3902)).toBe(0);
  });

  it('a quicker answer lowers the baseline: a delay already there at the first answer shows once a quicker one comes', () => {
    const lag = new ControlLag();
    ping(lag, 0, 400);
    expect(lag.reading(400)).toBe(0);
    ping(lag, 1000, 10);
    ping(lag, 2000, 410);
    expect(lag.reading(2410)).toBe(400);
  });

  it('allows 50 ppm of clock drift: a server clock slower by that much reads no delay over an hour', () => {
    const lag = new ControlLag();
    ping(lag, 0, 5);
    const hour = 3_600_000;
    // The server's clock falls behind 40 ppm: its readings come out later and later relative to ours.
    lag.sent(hour);
    lag.answered(hour + 5, hour + 5 + 5_000_000 + 0.00004 * hour);
    expect(lag.reading(hour + 5)).toBe(0);
  });

  it('a delay longer than the round trip (this clock stepped back) restarts the baseline instead of reading a false lag', () => {
    const lag = new ControlLag();
    ping(lag, 10_000, 2);
    // Our clock stepped back 10 s: what we send "at" 0 the server runs at once, its clock 10 s further than before.
    lag.sent(0);
    lag.answered(2, 10_000 + 5_000_000);
    expect(lag.reading(2)).toBe(0);
    ping(lag, 1000, 250, 0, 5_010_000);
    expect(lag.reading(1250)).toBe(250);
  });

  it('a ping out counts with its age; a failed one teaches nothing; no clock reading falls back to the round trip; reset forgets', () => {
    const lag = new ControlLag();
    ping(lag, 0, 3);
    lag.sent(1000);
    expect(lag.waiting).toBe(true);
    expect(lag.reading(1800)).toBe(800);
    lag.failed();
    expect(lag.waiting).toBe(false);
    expect(lag.reading(1900)).toBe(0);
    lag.sent(2000);
    lag.answered(2140, undefined);
    expect(lag.reading(2140)).toBe(140);
    lag.reset();
    expect(lag.reading(3000)).toBeUndefined();
  });
});
