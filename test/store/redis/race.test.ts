/**
 * The race test of issue 2: two ACD instances in separate processes share 1,000 calls and 100 agents with mixed
 * skills. No double offer, no lost call, every call ends answered or still in its queue, every agent consistent.
 * Then one instance is killed (SIGKILL) while it holds agents: after its lease (1 s here) the survivor's reaper
 * frees them, removes the dead instance's calls with a record of why, and keeps routing its own calls.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcdEvent } from '../../../src/acd/events.js';
import type { AgentProfile, CallRequest, SkillLevel } from '../../../src/acd/model.js';
import { SystemClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { queue } from '../../acd/fixtures.js';
import { TEST_REDIS_URL, testRedis, uniqueHotline } from '../../support/redis.js';

const LEASE_MS = 1000;
const WORKER = fileURLToPath(new URL('./race-worker.ts', import.meta.url));
const hotlineId = uniqueHotline('race');
let redis: Redis;
let store: RedisAcdStore;

const SKILLS = ['billing', 'tech', 'sales', 'en', 'rare'];
const QUEUES = [
  queue('billing', { requiredSkills: [{ skill: 'billing', minLevel: 2 }], overflow: { secondaryAfterSec: 0 } }),
  queue('tech', { requiredSkills: [{ skill: 'tech', minLevel: 1 }, { skill: 'en', minLevel: 1 }], policy: 'highest-skill', priority: 2 }),
  queue('sales', { requiredSkills: [{ skill: 'sales', minLevel: 1 }], policy: 'round-robin', overflow: { toQueue: 'billing', queueAfterSec: 0 } }),
  queue('general', { requiredSkills: [], policy: 'least-talk-time' }),
  // Nobody has this skill: its calls must still be waiting, in order, at the end.
  queue('rare', { requiredSkills: [{ skill: 'rare', minLevel: 1 }] }),
];

/** Deterministic mixed skills: every agent has 1-3 of billing/tech/sales/en at various levels, some secondary. */
function agents(n: number): AgentProfile[] {
  const out: AgentProfile[] = [];
  for (let i = 0; i < n; i++) {
    const skills = ['billing', 'tech', 'sales', 'en']
      .filter((_, k) => (i >> k) % 2 === 1 || (i + k) % 4 === 0)
      .map((skill, k) => ({ skill, level: (((i + k) % 5) + 1) as SkillLevel, primary: (i + k) % 3 !== 0 }));
    out.push({ id: `agent-${String(i).padStart(3, '0')}`, name: `Agent ${i}`, skills });
  }
  return out;
}

function calls(prefix: string, n: number, owner: string): CallRequest[] {
  const qs = ['billing', 'tech', 'sales', 'general', 'billing', 'tech', 'general', 'sales', 'general', 'tech'];
  return Array.from({ length: n }, (_, i) => ({
    callId: `${prefix}-${i}`,
    queueId: i % 97 === 5 ? 'rare' : qs[i % qs.length]!,
    callerNumber: `+86138${prefix}${i}`,
    priority: i % 11 === 0 ? 1 : 0,
    ownerInstance: owner,
  }));
}

interface Worker {
  proc: ChildProcess;
  offers: string[];
  messages: { type: string; [k: string]: unknown }[];
}

function startWorker(instance: string): Promise<Worker> {
  const proc = fork(WORKER, [hotlineId, instance, String(LEASE_MS), TEST_REDIS_URL], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const w: Worker = { proc, offers: [], messages: [] };
  return new Promise((resolve, reject) => {
    proc.on('message', (m: { type: string; offer?: { callId: string }; error?: string }) => {
      w.messages.push(m);
      if (m.type === 'offer') w.offers.push(m.offer!.callId);
      if (m.type === 'ready') resolve(w);
      if (m.type === 'fatal') reject(new Error(m.error));
    });
    proc.on('error', reject);
  });
}

function stopWorker(w: Worker): Promise<{ failures: string[] }> {
  return new Promise((resolve) => {
    w.proc.on('message', (m: { type: string; failures?: string[] }) => {
      if (m.type === 'stopped') resolve({ failures: m.failures ?? [] });
    });
    w.proc.send({ type: 'stop' });
  });
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function events(): Promise<AcdEvent[]> {
  const out: AcdEvent[] = [];
  let after = '0';
  for (;;) {
    const rows = await store.readEvents(after, 10_000);
    if (rows.length === 0) return out;
    for (const r of rows) out.push(r.event);
    after = rows[rows.length - 1]!.id;
  }
}

beforeAll(async () => {
  redis = await testRedis();
  store = new RedisAcdStore({ redis, hotlineId, clock: new SystemClock(), leaseMs: LEASE_MS });
  await store.configure({ skills: SKILLS, queues: QUEUES });
  for (const a of agents(100)) {
    await store.loginAgent(a);
    await store.setReady(a.id);
  }
});
afterAll(async () => {
  await store.destroy();
  await redis.quit();
});

describe('two ACD instances in separate processes', () => {
  it('share 1,000 calls and 100 agents without a double offer or a lost call, then survive one being killed', async () => {
    const [A, B] = await Promise.all([startWorker('inst-A'), startWorker('inst-B')]);
    try {
      // ---- phase 1: the race ----
      const batchA = calls('a', 500, 'inst-A');
      const batchB = calls('b', 500, 'inst-B');
      const rare = [...batchA, ...batchB].filter((c) => c.queueId === 'rare').map((c) => c.callId);
      A.proc.send({ type: 'enqueue', calls: batchA });
      B.proc.send({ type: 'enqueue', calls: batchB });
      await until('every routable call to end', async () => (await events()).filter((e) => e.type === 'ended').length >= 1000 - rare.length);
      await new Promise((r) => setTimeout(r, 300));

      const ev = await events();
      const offered = ev.filter((e) => e.type === 'offered');
      const offeredIds = offered.map((e) => e.callId);
      expect(new Set(offeredIds).size).toBe(offeredIds.length);
      expect(offeredIds.length).toBe(1000 - rare.length);
      expect(ev.filter((e) => e.type === 'answered')).toHaveLength(offeredIds.length);
      // Each worker received exactly the offers of its own calls, once.
      expect([...A.offers].sort()).toEqual(offered.filter((e) => e.ownerInstance === 'inst-A').map((e) => e.callId).sort());
      expect([...B.offers].sort()).toEqual(offered.filter((e) => e.ownerInstance === 'inst-B').map((e) => e.callId).sort());
      expect(A.offers.every((id) => id.startsWith('a-')) && B.offers.every((id) => id.startsWith('b-'))).toBe(true);
      // No agent offered a second call before its first one ended (the stream is in commit order).
      const busy = new Map<string, string>();
      for (const e of ev) {
        if (e.type === 'offered') {
          expect(busy.get(e.agentId), `agent ${e.agentId} offered ${e.callId} while on ${busy.get(e.agentId)}`).toBeUndefined();
          busy.set(e.agentId, e.callId);
        } else if (e.type === 'ended') busy.delete(e.agentId);
      }
      // Every call ended answered or is still in its queue; every agent ready and holding nothing.
      const snap = await store.snapshot();
      expect(snap.calls.map((c) => c.callId).sort()).toEqual([...rare].sort());
      expect(snap.calls.every((c) => c.state === 'waiting')).toBe(true);
      expect([...snap.queues.rare!].sort()).toEqual([...rare].sort());
      expect(snap.agents.filter((a) => a.state !== 'ready' || a.callId)).toEqual([]);

      // ---- phase 2: kill A while it holds agents ----
      A.proc.send({ type: 'mode', mode: 'hold' });
      A.proc.send({ type: 'enqueue', calls: calls('a2', 150, 'inst-A') });
      B.proc.send({ type: 'enqueue', calls: calls('b2', 150, 'inst-B') });
      await until('A to hold agents', async () => (await store.snapshot()).calls.filter((c) => c.ownerInstance === 'inst-A' && c.state === 'on-call').length >= 20);
      const held = (await store.snapshot()).calls.filter((c) => c.ownerInstance === 'inst-A' && c.agentId).map((c) => c.agentId!);
      A.proc.kill('SIGKILL');
      const killedAt = Date.now();
      await until('the dead instance to be reaped', async () => (await events()).some((e) => e.type === 'instance-dead' && e.instance === 'inst-A'), 15_000);
      console.log(`race: inst-A reaped ${Date.now() - killedAt} ms after SIGKILL (lease ${LEASE_MS} ms), holding ${held.length} agents`);
      const after = await store.snapshot();
      for (const id of held) {
        const a = after.agents.find((x) => x.id === id)!;
        const c = a.callId ? after.calls.find((x) => x.callId === a.callId) : undefined;
        expect(c?.ownerInstance ?? 'none', `agent ${id} still held for the dead instance`).not.toBe('inst-A');
      }
      expect(after.calls.filter((c) => c.ownerInstance === 'inst-A')).toEqual([]);
      // Survivor keeps routing: all of B's routable calls end.
      const b2Routable = calls('b2', 150, 'inst-B').filter((c) => c.queueId !== 'rare').length;
      await until('B to finish its calls', async () => (await events()).filter((e) => e.type === 'ended' && e.callId.startsWith('b2-')).length >= b2Routable);
      const ev2 = await events();
      const removed = ev2.filter((e) => e.type === 'removed-dead-instance');
      // Every call A still had has a record of why it left: its second batch (answered and held, or waiting) and
      // its first-batch calls still waiting in the unroutable queue.
      const aCalls = new Set([...calls('a2', 150, 'inst-A').map((c) => c.callId), ...rare.filter((id) => id.startsWith('a-'))]);
      expect(new Set(removed.map((e) => e.callId))).toEqual(aCalls);
      expect(removed.every((e) => e.type === 'removed-dead-instance' && e.instance === 'inst-A')).toBe(true);
      const final = await store.snapshot();
      expect(final.agents.filter((a) => a.state !== 'ready')).toEqual([]);
      const bStop = await stopWorker(B);
      expect(bStop.failures).toEqual([]);
    } finally {
      if (A.proc.exitCode === null && A.proc.signalCode === null) A.proc.kill('SIGKILL');
      if (B.proc.exitCode === null && B.proc.signalCode === null) B.proc.kill('SIGKILL');
    }
  });
});
