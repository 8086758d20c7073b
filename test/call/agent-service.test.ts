import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { AgentService } from '../../src/call/agent-service.js';
import { isFeatureCode, parseFeatureCode } from '../../src/call/feature-codes.js';
import { MemoryAgentStates } from './harness.js';

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

describe('AgentService', () => {
  function svc(): { s: AgentService; st: MemoryAgentStates; clock: VirtualClock } {
    const clock = new VirtualClock();
    const st = new MemoryAgentStates();
    return { s: new AgentService(st, clock, silentLogger), st, clock };
  }

  it('feature codes move an idle agent between ready, not-ready(reason) and logged-out', async () => {
    const { s, st } = svc();
    st.states.set('a', { state: 'logged-out' });
    await s.featureCode('a', '*1');
    expect(st.state('a')).toBe('ready');
    await s.featureCode('a', '*22');
    expect(st.state('a')).toBe('not-ready(lunch)');
    await s.featureCode('a', '*0');
    expect(st.state('a')).toBe('logged-out');
    await expect(s.featureCode('a', '*7')).rejects.toMatchObject({ code: 'FEATURE_CODE_UNKNOWN' });
  });

  it('an agent on a call cannot log out or go not-ready from under the call', async () => {
    const { s, st } = svc();
    st.states.set('a', { state: 'on-call' });
    await expect(s.logout('a')).rejects.toMatchObject({ code: 'AGENT_STATE_REJECTED' });
    await expect(s.notReady('a', 'break')).rejects.toMatchObject({ code: 'AGENT_STATE_REJECTED' });
    expect(st.state('a')).toBe('on-call');
  });

  it('wrap-up ends in ready after its seconds, unless the agent chose another state first', async () => {
    const { s, st, clock } = svc();
    st.states.set('a', { state: 'on-call' });
    st.states.set('b', { state: 'on-call' });
    await s.callEnded('a', 'c1', 10);
    await s.callEnded('b', 'c2', 10);
    expect(st.state('a')).toBe('wrap-up');
    await s.notReady('b', 'break');
    await clock.advanceAsync(9_999);
    expect(st.state('a')).toBe('wrap-up');
    await clock.advanceAsync(1);
    expect(st.state('a')).toBe('ready');
    expect(st.state('b')).toBe('not-ready(break)');
    expect(clock.pending()).toBe(0);
  });

  it('a missed offer makes the agent not-ready(missed) only from reserved or ringing', async () => {
    const { s, st } = svc();
    st.states.set('a', { state: 'ringing' });
    expect(await s.missed('a', 'c1')).toBe(true);
    expect(st.state('a')).toBe('not-ready(missed)');
    expect(await s.missed('a', 'c1')).toBe(false);
  });
});
