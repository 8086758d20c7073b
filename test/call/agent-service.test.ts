import { describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import { VirtualClock } from '../../src/core/clock.js';
import { AgentService } from '../../src/call/agent-service.js';
import { isFeatureCode, parseFeatureCode } from '../../src/call/feature-codes.js';
import { queueDef } from './harness.js';

describe('feature codes', () => {
  it.each([
    ['*1', { action: 'ready' }],
    ['*0', { action: 'logout' }],
    ['*2', { action: 'not-ready', reason: 'other' }],
    ['*21', { action: 'not-ready', reason: 'break' }],
    ['*22', { action: 'not-ready', reason: 'lunch' }],
    ['*23', { action: 'not-ready', reason: 'training' }],
    ['*24', { action: 'not-ready', reason: 'meeting' }],
    ['*25', { action: 'not-ready', reason: 'leave' }],
    ['*29', { action: 'not-ready', reason: 'other' }],
  ])('%s', (code, action) => {
    expect(isFeatureCode(code)).toBe(true);
    expect(parseFeatureCode(code)).toEqual(action);
  });

  it.each(['*26', '*11', '*3', '1', '**1', '*', '12345'])('%s is not a code the service knows', (code) => {
    expect(parseFeatureCode(code)).toBeUndefined();
  });
});

describe('AgentService over the ACD store', () => {
  function svc(): { s: AgentService; store: MemoryAcdStore } {
    const clock = new VirtualClock();
    const store = new MemoryAcdStore({ clock, leaseMs: Number.POSITIVE_INFINITY });
    store.configure({ skills: [], queues: [queueDef('general')] });
    const profiles = { profile: (id: string) => Promise.resolve(id === 'ghost' ? undefined : { id, name: id, skills: [] }) };
    return { s: new AgentService(store, profiles), store };
  }
  const st = (store: MemoryAcdStore, id: string): string => {
    const a = store.agent(id);
    return a ? `${a.state}${a.reason ? `(${a.reason})` : ''}` : 'none';
  };

  it('feature codes log a seat in and move it between ready, not-ready(reason) and logged-out', async () => {
    const { s, store } = svc();
    await s.featureCode('a', '*1');
    expect(st(store, 'a')).toBe('ready');
    await s.featureCode('a', '*22');
    expect(st(store, 'a')).toBe('not-ready(lunch)');
    await s.featureCode('a', '*0');
    expect(st(store, 'a')).toBe('logged-out');
    await expect(s.featureCode('a', '*7')).rejects.toMatchObject({ code: 'FEATURE_CODE_UNKNOWN' });
    await expect(s.ready('ghost')).rejects.toMatchObject({ code: 'AGENT_STATE_REJECTED' });
  });

  it('an agent on a call cannot log out or go not-ready from under the call (the store refuses)', async () => {
    const { s, store } = svc();
    store.renewLease('i1');
    await s.ready('a');
    store.enqueue({ callId: 'c1', queueId: 'general', callerNumber: '1', priority: 0, ownerInstance: 'i1' });
    store.markRinging('c1');
    store.answer('c1');
    await expect(s.logout('a')).rejects.toMatchObject({ code: 'AGENT_BAD_TRANSITION' });
    await expect(s.featureCode('a', '*21')).rejects.toMatchObject({ code: 'AGENT_BAD_TRANSITION' });
    expect(st(store, 'a')).toBe('on-call');
  });
});

describe('AgentService: seat registration and profile edits reach the ACD', () => {
  function svc(skills: { skill: string; level: 1 | 2 | 3 | 4 | 5; primary: boolean }[] = []) {
    const clock = new VirtualClock(1_000_000);
    const store = new MemoryAcdStore({ clock, leaseMs: Number.POSITIVE_INFINITY });
    store.configure({ skills: ['vat'], queues: [queueDef('general'), { ...queueDef('tax'), requiredSkills: [{ skill: 'vat', minLevel: 2 }] }] });
    store.renewLease('i1');
    const seats = new Map<string, number>();
    const profile = { skills };
    const s = new AgentService(
      store,
      { profile: (id: string) => Promise.resolve({ id, name: id, skills: profile.skills }) },
      { liveUntil: (id) => Promise.resolve(seats.get(id) ?? 0) },
    );
    return { s, store, clock, seats, profile };
  }

  it('a seat that un-registers gets no offers and says so; registering again makes it offerable and it takes the waiting call', async () => {
    const { s, store, clock, seats } = svc();
    seats.set('a', clock.now() + 60_000);
    await s.ready('a');
    expect(store.agent('a')).toMatchObject({ state: 'ready', reachable: true });
    seats.delete('a'); // REGISTER with Expires: 0 (the registrar's onUnregistered)
    await s.seatChanged('a');
    expect(store.agent('a')).toMatchObject({ state: 'ready', reachable: false });
    expect(store.enqueue({ callId: 'c1', queueId: 'general', callerNumber: '1', priority: 0, ownerInstance: 'i1' }).status).toBe('queued');
    seats.set('a', clock.now() + 60_000); // the softphone comes back (onRegistered logs in: already in, seat refreshed)
    await s.login('a');
    expect(store.agent('a')).toMatchObject({ state: 'reserved', callId: 'c1', reachable: true });
  });

  it('an agent logging in without a registered seat is not reachable; a logged-out agent is left alone', async () => {
    const { s, store } = svc();
    await s.ready('b');
    expect(store.agent('b')).toMatchObject({ state: 'ready', reachable: false });
    await s.seatChanged('nobody');
    expect(store.agent('nobody')).toBeNull();
  });

  it('profileChanged: a logged-in agent given a skill serves the queue at once', async () => {
    const { s, store, clock, seats, profile } = svc();
    seats.set('t', clock.now() + 60_000);
    await s.ready('t');
    store.enqueue({ callId: 'c1', queueId: 'tax', callerNumber: '1', priority: 0, ownerInstance: 'i1' });
    expect(store.agent('t')?.state).toBe('ready');
    profile.skills = [{ skill: 'vat', level: 3, primary: true }];
    await s.profileChanged('t');
    expect(store.agent('t')).toMatchObject({ state: 'reserved', callId: 'c1' });
    await s.profileChanged('never-logged-in');
  });
});
