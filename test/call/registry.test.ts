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
  };
}

describe('CallRegistry', () => {
  it('sheds load with 503 above the limit, counting calls still being set up', async () => {
    const r = new CallRegistry(new VirtualClock(), 2);
    expect(r.admit()).toEqual({ ok: true });
    expect(r.admit()).toEqual({ ok: true });
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'overloaded' });
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
    expect(r.admit()).toEqual({ ok: false, status: 503, reason: 'draining' });
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
