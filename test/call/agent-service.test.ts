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
