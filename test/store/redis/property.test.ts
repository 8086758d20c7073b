/**
 * Property test on real Redis with CONCURRENCY: two store instances on separate connections (two app instances)
 * fire random batches of operations at the same moment: arrivals, hang-ups at any stage, agent state changes,
 * lease renewals, clock jumps past the lease, instance deaths and reaps. After every batch the safety invariants
 * must hold: no agent on two calls, no call offered twice, no call lost without a record, no agent reserved for a
 * call whose instance holds no live lease (checked after a reap). Unlike the differential test, the interleaving
 * here is decided by Redis, as in production.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { testRedis, uniqueHotline } from '../../support/redis.js';
import { AGENTS, applyOp, INSTANCES, opArb, SETUP, violations, type Op } from './ops-model.js';

const LEASE_MS = 15_000;
let r1: Redis;
let r2: Redis;
beforeAll(async () => {
  [r1, r2] = await Promise.all([testRedis(), testRedis()]);
});
afterAll(async () => {
  await Promise.all([r1.quit(), r2.quit()]);
});

const batchArb = fc.array(fc.tuple(fc.boolean(), opArb), { minLength: 1, maxLength: 4 });

describe('two store instances racing on one Redis (fast-check)', () => {
  it('keep the safety invariants after every concurrent batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 3, maxLength: 25 }), async (batches) => {
        const clock = new VirtualClock(1_700_000_000_000);
        const hotlineId = uniqueHotline('prop');
        const a = new RedisAcdStore({ redis: r1, hotlineId, clock, leaseMs: LEASE_MS });
        const b = new RedisAcdStore({ redis: r2, hotlineId, clock, leaseMs: LEASE_MS });
        const world = { killed: new Set<string>() };
        const enqueued = new Set<string>();
        try {
          await a.configure(SETUP);
          for (const inst of INSTANCES) await a.renewLease(inst);
          for (const ag of AGENTS) {
            await b.loginAgent(ag);
            await a.setReady(ag.id);
          }
          for (const [i, batch] of batches.entries()) {
            const results = await Promise.all(batch.map(([useA, o]) => applyOp(useA ? a : b, clock, world, o)));
            batch.forEach(([, o], k) => {
              if (o.op === 'enqueue' && (results[k] as { status?: string } | null)?.status) enqueued.add(`c${o.c}`);
            });
            const ops: Op[] = batch.map(([, o]) => o);
            const afterReap = ops.some((o) => o.op === 'reap') && !ops.some((o) => o.op === 'advance');
            const snap = await b.snapshot();
            const events = (await a.readEvents('0', 100_000)).map((r) => r.event);
            expect(violations(snap, events, clock.now(), afterReap, enqueued), `after batch ${i} ${JSON.stringify(ops)}`).toEqual([]);
          }
        } finally {
          await a.destroy();
        }
      }),
      { numRuns: 30 },
    );
  });
});
