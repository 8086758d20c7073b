import { describe, expect, it } from 'vitest';
import type { AcdEvent } from '../../src/acd/events.js';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import { acdStoreContract, startClock } from './contract.js';
import { agent, call, queue } from './fixtures.js';

acdStoreContract('MemoryAcdStore', (leaseMs) => {
  const clock = startClock();
  const events: AcdEvent[] = [];
  const store = new MemoryAcdStore({ clock, leaseMs, onEvent: (e) => events.push(e) });
  return Promise.resolve({ store, clock, events: () => Promise.resolve(events.slice()), close: () => Promise.resolve() });
});

describe('MemoryAcdStore specifics', () => {
  it('emits a call event before the agent state changes it causes, all time-stamped', () => {
    const clock = startClock();
    const events: AcdEvent[] = [];
    const s = new MemoryAcdStore({ clock, onEvent: (e) => events.push(e) });
    s.renewLease('i1');
    s.configure({ skills: [], queues: [queue('q')] });
    s.loginAgent(agent('a'));
    s.setReady('a');
    s.enqueue(call('c', 'q'));
    expect(events.map((e) => (e.type === 'agent-state' ? `${e.to}` : e.type))).toEqual(['not-ready', 'ready', 'enqueued', 'offered', 'reserved']);
    expect(events.every((e) => e.at === clock.now())).toBe(true);
  });

  it('never-expiring leases for a single-process simulation; a long run keeps indexes consistent', () => {
    const clock = startClock();
    const s = new MemoryAcdStore({ clock, leaseMs: Infinity, inbox: false });
    s.renewLease('sim');
    s.configure({ skills: ['x'], queues: [queue('q', { requiredSkills: [{ skill: 'x', minLevel: 1 }] })] });
    for (let i = 0; i < 50; i++) {
      s.loginAgent(agent(`a${i}`, 'x:1'));
      s.setReady(`a${i}`);
    }
    const talking: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      clock.advance(1000 * 3600);
      const r = s.enqueue(call(`c${i}`, 'q', { ownerInstance: 'sim' }));
      if (r.status === 'offered') {
        s.answer(r.offer.callId);
        talking.push(r.offer.callId);
      }
      if (talking.length > 40) s.endCall(talking.shift()!);
    }
    const snap = s.snapshot();
    expect(snap.agents.filter((a) => a.state === 'on-call')).toHaveLength(talking.length);
    expect(s.takeOffers('sim')).toEqual([]);
  });
});
