import { describe, expect, it } from 'vitest';
import { betterCandidate, serveEntries, skillMatch, stageAllows, stickyBlocks } from '../../src/acd/eligibility.js';
import { AGENT_STATES } from '../../src/acd/model.js';
import { queueScore } from '../../src/acd/ordering.js';
import { readyScore } from '../../src/acd/policy.js';
import { AFTER_CALL_WAITS, afterCallTarget, AGENT_TRANSITIONS, assertAgentRequest, canTransition, transition, validateAfterCall } from '../../src/acd/states.js';
import { agent, queue } from './fixtures.js';

describe('agent state machine', () => {
  it.each([
    ['logged-out', 'not-ready', true],
    ['logged-out', 'ready', false],
    ['ready', 'reserved', true],
    ['ready', 'on-call', false],
    ['reserved', 'ringing', true],
    ['ringing', 'on-call', true],
    ['on-call', 'wrap-up', true],
    ['on-call', 'not-ready', false],
    ['wrap-up', 'ready', true],
    ['wrap-up', 'reserved', false],
  ] as const)('%s -> %s allowed: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
  });

  it('covers every state and stamps transitions', () => {
    expect(Object.keys(AGENT_TRANSITIONS).sort()).toEqual([...AGENT_STATES].sort());
    expect(transition('a', { state: 'ready', since: 1 }, 'not-ready', 7, 'lunch')).toEqual({ state: 'not-ready', reason: 'lunch', since: 7 });
    expect(() => transition('a', { state: 'ready', since: 1 }, 'on-call', 7)).toThrow(expect.objectContaining({ code: 'AGENT_BAD_TRANSITION', details: { agentId: 'a', from: 'ready', to: 'on-call' } }));
  });

  it('refuses agent requests while a call is held', () => {
    expect(() => assertAgentRequest('a', 'reserved', 'not-ready')).toThrow(expect.objectContaining({ code: 'AGENT_BAD_TRANSITION' }));
    expect(() => assertAgentRequest('a', 'wrap-up', 'not-ready')).not.toThrow();
  });
});

describe('not ready after this call', () => {
  it('waits on a held call or wrap-up and leads to not-ready(reason) or logged-out', () => {
    expect([...AFTER_CALL_WAITS].sort()).toEqual(['on-call', 'reserved', 'ringing', 'wrap-up']);
    expect(afterCallTarget('lunch')).toEqual({ to: 'not-ready', reason: 'lunch' });
    expect(afterCallTarget('logout')).toEqual({ to: 'logged-out' });
    expect(() => validateAfterCall('break')).not.toThrow();
    expect(() => validateAfterCall('logout')).not.toThrow();
    expect(() => validateAfterCall('nap' as never)).toThrow(expect.objectContaining({ code: 'BAD_DEFINITION' }));
    // Where a request is applied the agent is ready, in wrap-up or not-ready(missed): both targets are legal moves.
    for (const from of ['ready', 'wrap-up', 'not-ready'] as const) {
      expect(canTransition(from, 'not-ready')).toBe(true);
      expect(canTransition(from, 'logged-out')).toBe(true);
    }
  });
});

describe('eligibility', () => {
  const req = [{ skill: 'en', minLevel: 3 as const }, { skill: 'vat', minLevel: 1 as const }];
  it('distinguishes primary, secondary and ineligible', () => {
    expect(skillMatch(agent('a', 'en:3', 'vat:1').skills, req)).toBe('primary');
    expect(skillMatch(agent('a', 'en:4', 'vat:2s').skills, req)).toBe('secondary');
    expect(skillMatch(agent('a', 'en:2', 'vat:5').skills, req)).toBeUndefined();
    expect(skillMatch(agent('a', 'en:5').skills, req)).toBeUndefined();
    expect(skillMatch([], [])).toBe('primary');
  });

  it('builds serve entries: primary, secondary only with a secondary overflow, overflow-queue via the target', () => {
    const qs = new Map([
      ['tax', queue('tax', { requiredSkills: req, priority: 1, overflow: { secondaryAfterSec: 20, toQueue: 'gen', queueAfterSec: 60 } })],
      ['gen', queue('gen', { requiredSkills: [{ skill: 'gen', minLevel: 1 }], priority: 2 })],
      ['strict', queue('strict', { requiredSkills: req })],
    ]);
    expect(serveEntries(agent('a', 'en:4', 'vat:2s').skills, qs)).toEqual([{ queueId: 'tax', via: 'secondary', skillScore: 6 }]);
    expect(serveEntries(agent('a', 'gen:2').skills, qs)).toEqual([
      { queueId: 'gen', via: 'primary', skillScore: 2 },
      { queueId: 'tax', via: 'overflow-queue', skillScore: 2 },
    ]);
    expect(serveEntries(agent('a', 'en:3', 'vat:1').skills, qs).map((e) => e.queueId)).toEqual(['tax', 'strict']);
  });

  it('opens stages with waiting time and holds sticky calls', () => {
    const q = queue('q', { overflow: { secondaryAfterSec: 20, queueAfterSec: 60, toQueue: 'x' }, stickyAgentSec: 10 });
    expect(stageAllows('secondary', 19_999, q)).toBe(false);
    expect(stageAllows('secondary', 20_000, q)).toBe(true);
    expect(stageAllows('overflow-queue', 60_000, q)).toBe(true);
    expect(stageAllows('secondary', 1e9, queue('q'))).toBe(false);
    expect(stickyBlocks('a', 'b', 9_999, q.stickyAgentSec * 1000)).toBe(true);
    expect(stickyBlocks('a', 'a', 0, q.stickyAgentSec * 1000)).toBe(false);
    expect(stickyBlocks('a', 'b', 10_000, q.stickyAgentSec * 1000)).toBe(false);
    expect(stickyBlocks(undefined, 'b', 0, 10_000)).toBe(false);
  });

  it('prefers queue priority, then call priority, then the longest wait', () => {
    expect(betterCandidate({ queuePriority: 2, callPriority: 0, arrivedAt: 9 }, { queuePriority: 1, callPriority: 9, arrivedAt: 0 })).toBe(true);
    expect(betterCandidate({ queuePriority: 1, callPriority: 1, arrivedAt: 9 }, { queuePriority: 1, callPriority: 0, arrivedAt: 0 })).toBe(true);
    expect(betterCandidate({ queuePriority: 1, callPriority: 0, arrivedAt: 5 }, { queuePriority: 1, callPriority: 0, arrivedAt: 5 })).toBe(false);
  });
});

describe('ordering and policies as single numbers', () => {
  it('queue score: priority first, then arrival; requeued calls at the head of their band', () => {
    const vip = queueScore(5, 100);
    const early = queueScore(0, 1);
    const late = queueScore(0, 2);
    const requeued = queueScore(0, -1);
    expect([late, requeued, vip, early].sort((a, b) => a - b)).toEqual([vip, requeued, early, late]);
    expect(Number.isSafeInteger(queueScore(0, 2 ** 38))).toBe(true);
  });

  it('policies order agents as documented', () => {
    const base = { readySince: 1_700_000_000_000, talkMs: 0, skillScore: 3, rr: 0 };
    expect(readyScore('longest-idle', base)).toBeLessThan(readyScore('longest-idle', { ...base, readySince: base.readySince + 1 }));
    expect(readyScore('highest-skill', { ...base, skillScore: 5, readySince: base.readySince + 1e9 })).toBeLessThan(readyScore('highest-skill', base));
    expect(readyScore('least-talk-time', { ...base, talkMs: 5 })).toBeLessThan(readyScore('least-talk-time', { ...base, talkMs: 6 }));
    expect(readyScore('round-robin', { ...base, rr: 1 })).toBeLessThan(readyScore('round-robin', { ...base, rr: 2 }));
  });
});
