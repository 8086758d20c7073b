import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import { AcdQueueLoad } from '../../src/call/queue-load.js';
import { erlangWaitEstimator } from '../../src/ivr/wait.js';
import { expectedWaitAtPosition } from '../../src/erlang/index.js';
import { agent, queue } from '../acd/fixtures.js';

function setup() {
  const clock = new VirtualClock(1_000_000);
  const store = new MemoryAcdStore({ clock });
  const queues = [queue('general', { requiredSkills: [{ skill: 'general', minLevel: 2 }] }), queue('other', { requiredSkills: [{ skill: 'other', minLevel: 1 }] })];
  store.configure({ skills: ['general', 'other'], queues });
  const profiles = [
    agent('a1', 'general:3'), // ready: counts
    agent('a2', 'general:5'), // on a break: does not count
    agent('a3', 'general:3s'), // secondary only: does not count
    agent('a4', 'general:1'), // below the minimum level: does not count
    agent('a5', 'general:2', 'other:1'), // ready: counts for both
  ];
  for (const p of profiles) store.loginAgent(p);
  for (const id of ['a1', 'a3', 'a4', 'a5']) store.setReady(id);
  store.setNotReady('a2', 'break');
  let lookups = 0;
  const load = new AcdQueueLoad({
    store,
    queues: () => queues,
    skillsOf: (id) => {
      lookups++;
      return Promise.resolve(profiles.find((p) => p.id === id)?.skills);
    },
    clock,
  });
  return { clock, store, load, lookups: () => lookups };
}

describe('AcdQueueLoad: agents staffing a queue for the expected-wait announcement', () => {
  it('counts logged-in, not-on-break agents holding the queue skill as primary at the minimum level', async () => {
    const { load } = setup();
    expect(await load.agentsServing('general')).toBe(2);
    expect(await load.agentsServing('other')).toBe(1);
    expect(await load.agentsServing('no-such-queue')).toBe(0);
  });

  it('does not count a seat without a live registration (it takes no calls)', async () => {
    const { load, store, clock } = setup();
    store.setRegistration('a1', 0);
    clock.advance(5_000);
    expect(await load.agentsServing('general')).toBe(1);
  });

  it('looks at the ACD once per cache period, then sees changes', async () => {
    const { load, store, clock } = setup();
    expect(await load.agentsServing('general')).toBe(2);
    store.setNotReady('a1', 'lunch');
    expect(await load.agentsServing('general')).toBe(2);
    clock.advance(5_000);
    expect(await load.agentsServing('general')).toBe(1);
  });

  it('caches skills per agent', async () => {
    const { load, lookups } = setup();
    await load.agentsServing('general');
    const first = lookups();
    await load.agentsServing('general');
    await load.agentsServing('other');
    expect(lookups()).toBe(first);
  });

  it('feeds the Erlang wait estimator: position 3 with 2 agents, default AHT', async () => {
    const { load } = setup();
    const wait = await erlangWaitEstimator(load).expectedWaitSec('general', 3);
    expect(wait).toBeCloseTo(expectedWaitAtPosition({ position: 3, agents: 2, ahtSeconds: 180 }), 9);
    expect(await erlangWaitEstimator(load).expectedWaitSec('no-such-queue', 1)).toBeUndefined();
  });
});
