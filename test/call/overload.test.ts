import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { OverloadGuard } from '../../src/call/overload.js';
import { CallRegistry } from '../../src/call/registry.js';

describe('OverloadGuard: shed load before FreeSWITCH saturates', () => {
  it('refuses while the media server reports less idle CPU than the floor, and not before its first heartbeat', () => {
    const g = new OverloadGuard(new VirtualClock(), { minIdleCpu: 10, backoffMs: 5000 });
    expect(g.reason(undefined)).toBeUndefined();
    expect(g.reason(55.3)).toBeUndefined();
    expect(g.reason(10)).toBeUndefined();
    expect(g.reason(9.9)).toBe('media-cpu');
    expect(g.reason(Number.NaN)).toBeUndefined();
  });

  it('refuses as media-down while no media server is in service, whatever else it knows', () => {
    const g = new OverloadGuard(new VirtualClock(), { minIdleCpu: 10, backoffMs: 5000 });
    expect(g.reason(undefined, 0)).toBe('media-down');
    expect(g.reason(90, 0)).toBe('media-down');
    expect(g.reason(90, 1)).toBeUndefined();
    expect(g.reason(5, 2)).toBe('media-cpu');
  });

  it('refuses for the back-off after a media set-up failure, then takes calls again', () => {
    const clock = new VirtualClock();
    const g = new OverloadGuard(clock, { minIdleCpu: 0, backoffMs: 5000 });
    g.noteSetupFailure();
    expect(g.reason(80)).toBe('media-backoff');
    clock.advance(4999);
    expect(g.reason(80)).toBe('media-backoff');
    g.noteSetupFailure(); // a second failure extends the back-off from now
    clock.advance(4999);
    expect(g.reason(80)).toBe('media-backoff');
    clock.advance(1);
    expect(g.reason(80)).toBeUndefined();
  });

  it('makes the call registry answer 503 with the reason, without counting the refused call', () => {
    const clock = new VirtualClock();
    const g = new OverloadGuard(clock, { minIdleCpu: 10, backoffMs: 1000 });
    let idle: number | undefined = 50;
    const r = new CallRegistry(clock, 100, () => g.reason(idle));
    expect(r.admit()).toEqual({ ok: true });
    r.abandon();
    idle = 3;
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'media-cpu' });
    idle = 50;
    g.noteSetupFailure();
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'media-backoff' });
    expect(r.size).toBe(0);
    clock.advance(1000);
    expect(r.admit()).toEqual({ ok: true });
  });
});
