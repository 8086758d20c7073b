import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueDefinition } from '../../../src/acd/model.js';
import { QueueRepository } from '../../../src/store/pg/queues.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { createTestDb, type TestDb } from '../../support/pg.js';

let t: TestDb;
let queues: QueueRepository;
beforeAll(async () => {
  t = await createTestDb('queues');
  queues = new QueueRepository(t.db);
});
afterAll(async () => {
  await t.drop();
});

const billing: QueueDefinition = {
  id: 'billing',
  name: '账单查询',
  requiredSkills: [{ skill: 'billing', minLevel: 2 }],
  priority: 5,
  policy: 'longest-idle',
  overflow: { secondaryAfterSec: 30, toQueue: 'general', queueAfterSec: 90 },
  serviceLevel: { fraction: 0.8, seconds: 20 },
  wrapUpSec: 2.5,
  answerRings: 3,
  stickyAgentSec: 20,
  maxWaitSec: 300,
};
const general: QueueDefinition = {
  id: 'general',
  name: 'General',
  requiredSkills: [{ skill: 'general', minLevel: 1 }, { skill: 'mandarin', minLevel: 3 }],
  priority: 0,
  policy: 'round-robin',
  overflow: {},
  serviceLevel: { fraction: 0.85, seconds: 15 },
  wrapUpSec: 0,
  answerRings: 3,
  stickyAgentSec: 0,
  maxWaitSec: 0,
};

describe('QueueRepository', () => {
  it('round-trips QueueDefinition[] and creates the required skills', async () => {
    await queues.upsertAll([billing, general]);
    expect(await queues.list()).toEqual([billing, general]);
    const skills = await t.pool.query<{ id: string }>('SELECT id FROM skills ORDER BY id');
    expect(skills.rows.map((r) => r.id)).toEqual(['billing', 'general', 'mandarin']);
  });

  it('updates changed queues and deactivates queues no longer in the file', async () => {
    const changed = { ...general, policy: 'highest-skill' as const, requiredSkills: [{ skill: 'general', minLevel: 2 as const }] };
    await queues.upsertAll([changed]);
    expect(await queues.list()).toEqual([changed]);
    const all = await t.pool.query('SELECT id, active FROM queues ORDER BY id');
    expect(all.rows).toEqual([{ id: 'billing', active: false }, { id: 'general', active: true }]);
  });

  it('refuses an overflow to an unknown queue and a bad service level, changing nothing', async () => {
    await expect(queues.upsertAll([{ ...billing, overflow: { toQueue: 'nowhere' } }])).rejects.toThrow(InvalidInputError);
    await expect(queues.upsertAll([{ ...general, serviceLevel: { fraction: 80, seconds: 20 } }])).rejects.toThrow(/serviceLevel.fraction/);
    await expect(queues.upsertAll([{ ...general, requiredSkills: [{ skill: 'x', minLevel: 6 as never }] }])).rejects.toThrow(/minLevel/);
    expect((await queues.list()).map((q) => q.id)).toEqual(['general']);
  });
});
