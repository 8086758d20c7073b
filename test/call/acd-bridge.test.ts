/**
 * AcdBridge on the virtual clock over the in-memory store: wrap-up survives the instance that started it (the
 * deadline is the store's; the bridge timer is a shortcut), and a kick during a pump is never lost.
 */
import { describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import type { Offer } from '../../src/acd/model.js';
import type { AcdStore } from '../../src/acd/store.js';
import { AcdBridge } from '../../src/call/acd-bridge.js';
import { flushMicrotasks, VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { agent, call, queue } from '../acd/fixtures.js';

const T0 = 1_700_000_000_000;

function floor(wrapUpSec: number): { clock: VirtualClock; store: MemoryAcdStore } {
  const clock = new VirtualClock(T0);
  const store = new MemoryAcdStore({ clock, leaseMs: 3_600_000 });
  store.configure({ skills: [], queues: [queue('q', { wrapUpSec })] });
  store.renewLease('i1');
  store.renewLease('i2');
  store.loginAgent(agent('a'));
  store.setReady('a');
  return { clock, store };
}

describe('AcdBridge wrap-up', () => {
  it('the timer is a shortcut: wrap-up ends on time while the instance runs', async () => {
    const { clock, store } = floor(30);
    const bridge = new AcdBridge(store, clock, silentLogger, { instanceId: 'i1', pollMs: 100 });
    bridge.start();
    const got: Offer[] = [];
    bridge.onOffer('c2', (o) => got.push(o));
    await bridge.enqueue(call('c1', 'q'));
    store.answer('c1');
    await bridge.leave('c1', 'agent', 30);
    await bridge.enqueue(call('c2', 'q'));
    await clock.advanceAsync(29_999);
    expect(store.agent('a')?.state).toBe('wrap-up');
    await clock.advanceAsync(1);
    expect(store.agent('a')).toMatchObject({ state: 'reserved', callId: 'c2' });
    await clock.advanceAsync(100);
    expect(got).toMatchObject([{ callId: 'c2', agentId: 'a' }]);
    bridge.stop();
  });

  it('an agent in wrap-up on an instance that stopped is ready after the deadline when another instance reaps', async () => {
    const { clock, store } = floor(30);
    const a = new AcdBridge(store, clock, silentLogger, { instanceId: 'i1', pollMs: 100 });
    a.start();
    await a.enqueue(call('c1', 'q'));
    store.answer('c1');
    await a.leave('c1', 'agent', 30);
    // Drain ends here: stop() drops this instance's timers, the wrap-up timer with them.
    a.stop();
    await clock.advanceAsync(60_000);
    expect(store.agent('a')).toMatchObject({ state: 'wrap-up', wrapUpUntil: T0 + 30_000 });
    // i2's housekeeping (tick + reap, once a second) ends it.
    store.renewLease('i2');
    expect(store.reap()).toMatchObject({ wrapUpEnded: ['a'] });
    expect(store.agent('a')?.state).toBe('ready');
  });
});

describe('AcdBridge offer pump', () => {
  it('a kick that arrives while the pump reads runs the pump again at once (no wait for the next poll)', async () => {
    const clock = new VirtualClock(T0);
    const mem = new MemoryAcdStore({ clock, leaseMs: 3_600_000 });
    mem.configure({ skills: [], queues: [queue('q')] });
    mem.renewLease('i1');
    mem.loginAgent(agent('a'));
    mem.setReady('a');
    // takeOffers reads the inbox at once but answers only when released: a slow Redis round trip.
    let holdNext = false;
    let release: (() => void) | undefined;
    const store = new Proxy(mem, {
      get(target, key, receiver) {
        if (key === 'takeOffers') {
          return (instance: string, max?: number): Offer[] | Promise<Offer[]> => {
            const got = target.takeOffers(instance, max);
            if (!holdNext) return got;
            holdNext = false;
            return new Promise<Offer[]>((res) => (release = () => res(got)));
          };
        }
        const v: unknown = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    }) as AcdStore;
    const bridge = new AcdBridge(store, clock, silentLogger, { instanceId: 'i1', pollMs: 60_000 });
    bridge.start();
    const got: Offer[] = [];
    bridge.onOffer('c1', (o) => got.push(o));
    holdNext = true;
    bridge.kick();
    await clock.advanceAsync(0);
    expect(release).toBeDefined(); // the pump's read of the (empty) inbox is in flight
    await bridge.enqueue(call('c1', 'q')); // the offer lands after that read, and kicks
    await clock.advanceAsync(0);
    release!();
    await flushMicrotasks();
    expect(got).toMatchObject([{ callId: 'c1', agentId: 'a' }]);
    expect(clock.now()).toBe(T0);
    bridge.stop();
  });
});
