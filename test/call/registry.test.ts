import { describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { CallRegistry, type LiveCall } from '../../src/call/registry.js';

function call(id: string): LiveCall & { finish(): void; endedBy: string[] } {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const endedBy: string[] = [];
  return {
    callId: id,
    done,
    finish,
    endedBy,
    end(_d, by) {
      endedBy.push(by);
      finish();
      return done;
    },
    hangupByOperator() {
      if (endedBy.length > 0) return null;
      endedBy.push('operator');
      return done;
    },
  };
}

describe('CallRegistry', () => {
  it("hangup: a supervisor's request reaches a live call once; unknown and ending calls say so", async () => {
    const r = new CallRegistry(new VirtualClock(), 10);
    r.admit();
    const c = call('c1');
    r.add(c);
    expect(r.hangup('nope')).toEqual({ status: 'unknown' });
    expect(r.hangup('c1').status).toBe('accepted');
    expect(r.hangup('c1')).toEqual({ status: 'ended' });
    expect(c.endedBy).toEqual(['operator']);
    c.finish();
    await flushMicrotasks();
    expect(r.hangup('c1')).toEqual({ status: 'unknown' });
  });

  it('sheds load with 503 above the limit, counting calls still being set up', async () => {
    const r = new CallRegistry(new VirtualClock(), 2);
    expect(r.admit()).toMatchObject({ ok: true });
    expect(r.admit()).toMatchObject({ ok: true });
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'overloaded', retryAfterSec: 5 });
    r.abandon();
    const c = call('c1');
    r.add(c);
    expect(r.size).toBe(1);
    c.finish();
    await flushMicrotasks();
    expect(r.size).toBe(0);
  });

  it('drain: refuses new calls, lets live calls finish within the limit, then ends the rest through their cleanup', async () => {
    const clock = new VirtualClock();
    const r = new CallRegistry(clock, 10);
    const quick = call('quick');
    const slow = call('slow');
    r.admit();
    r.add(quick);
    r.admit();
    r.add(slow);
    let result: { finished: number; forced: number } | undefined;
    void r.drain(30_000).then((x) => (result = x));
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'draining', retryAfterSec: 5 });
    await clock.advanceAsync(5000);
    quick.finish();
    await clock.advanceAsync(24_999);
    expect(result).toBeUndefined();
    expect(slow.endedBy).toEqual([]);
    await clock.advanceAsync(1);
    await flushMicrotasks();
    expect(slow.endedBy).toEqual(['shutdown']);
    expect(quick.endedBy).toEqual([]);
    expect(result).toEqual({ finished: 1, forced: 1 });
  });
});
