import { describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import type { PlanTransition } from '../../src/acd/peak-plan.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { AgentService } from '../../src/call/agent-service.js';
import { applyPlanEffects, type PlanEffectPorts } from '../../src/plan/effects.js';
import { queueDef } from '../call/harness.js';

const figures = { waiting: 16, peakWaiting: 16, conditionSince: 0, threshold: 16, requiredMs: 1 };
const up2: PlanTransition = { type: 'activated', scope: '*', level: 2, at: 1, activatedAt: 1, scopeLevel: 2, figures };
const down2: PlanTransition = { type: 'stood-down', scope: '*', level: 2, at: 2, activatedAt: 1, scopeLevel: 1, figures };

function world(): { store: MemoryAcdStore; ports: PlanEffectPorts; drafted: Set<string> } {
  const clock = new VirtualClock(1);
  const store = new MemoryAcdStore({ clock, leaseMs: Number.POSITIVE_INFINITY });
  store.configure({ skills: ['general'], queues: [queueDef('general', 0)] });
  store.renewLease('i1');
  const service = new AgentService(store, { profile: (id) => Promise.resolve({ id, name: id, skills: [{ skill: 'general', level: 3, primary: true }] }) });
  const drafted = new Set<string>();
  const ports: PlanEffectPorts = {
    service,
    agents: () => Promise.resolve(store.snapshot().agents),
    supervisors: () => Promise.resolve(['s1', 's2', 's3']),
    drafted: {
      add: (ids) => Promise.resolve(void ids.forEach((i) => drafted.add(i))),
      list: () => Promise.resolve([...drafted]),
      remove: (ids) => Promise.resolve(void ids.forEach((i) => drafted.delete(i))),
    },
    log: silentLogger,
  };
  return { store, ports, drafted };
}

describe('plan effects through the agent-state service', () => {
  it('level 2 makes logged-in not-ready supervisors ready (not logged-out ones, not agents); idempotent', async () => {
    const { store, ports, drafted } = world();
    store.loginAgent({ id: 's1', name: 's1', skills: [] });
    store.loginAgent({ id: 'a1', name: 'a1', skills: [] });
    store.setNotReady('a1', 'break');
    const extra = await applyPlanEffects(ports, up2, 2);
    expect(extra).toEqual({ agentsAskedBack: ['a1'], supervisorsMadeReady: ['s1'] });
    expect(store.agent('s1')).toMatchObject({ state: 'ready' });
    expect(store.agent('s2')).toBeNull();
    expect(store.agent('a1')).toMatchObject({ state: 'not-ready', reason: 'break' });
    expect([...drafted]).toEqual(['s1']);
    // Run again (an instance died before the row): nothing changes.
    expect(await applyPlanEffects(ports, up2, 2)).toEqual({ agentsAskedBack: ['a1'], supervisorsMadeReady: [] });
  });

  it('below level 2: a drafted supervisor still ready goes not-ready; one on a call goes not-ready after it; nothing while another scope holds level 2', async () => {
    const { store, ports, drafted } = world();
    store.loginAgent({ id: 's1', name: 's1', skills: [{ skill: 'general', level: 3, primary: true }] });
    store.loginAgent({ id: 's3', name: 's3', skills: [] });
    await applyPlanEffects(ports, up2, 2);
    expect([...drafted].sort()).toEqual(['s1', 's3']);
    // s1 takes a call.
    store.enqueue({ callId: 'c1', queueId: 'general', callerNumber: '1', priority: 0, ownerInstance: 'i1' });
    store.markRinging('c1');
    store.answer('c1');
    expect(await applyPlanEffects(ports, down2, 2)).toEqual({});
    expect([...drafted].sort()).toEqual(['s1', 's3']);
    expect(await applyPlanEffects(ports, down2, 1)).toEqual({ supervisorsReleased: ['s3'], supervisorsReleasedAfterCall: ['s1'] });
    expect(store.agent('s3')).toMatchObject({ state: 'not-ready', reason: 'other' });
    expect(store.agent('s1')).toMatchObject({ state: 'on-call', afterCall: 'other' });
    store.endCall('c1');
    expect(store.agent('s1')).toMatchObject({ state: 'not-ready', reason: 'other' });
    expect(drafted.size).toBe(0);
  });
});
