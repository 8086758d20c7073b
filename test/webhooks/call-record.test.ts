import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { CallRecordRepository } from '../../src/store/pg/call-records.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { createTestDb, type TestDb } from '../support/pg.js';
import { Receiver } from './support.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('webhooks_records');
});
afterAll(async () => {
  await t.drop();
});

describe('call.record: every call record as a webhook', () => {
  it('is queued by the record insert itself, once, only for subscriptions that want it, and delivered', async () => {
    const r = await new Receiver(() => 200).start();
    try {
      const repo = new WebhookRepository(t.db);
      await repo.create({ url: r.url, events: ['call.record'] });
      await repo.create({ url: 'http://127.0.0.1:9/other', events: ['call.answered'] });
      const records = new CallRecordRepository(t.db);
      const T0 = Date.parse('2026-12-07T11:00:00Z');
      const rec = { callId: 'c-ab', callerNumber: '13800138000', arrivalAt: T0, enqueueAt: T0 + 5_000, abandonAt: T0 + 40_000, whoHungUp: 'caller' as const, disposition: 'abandoned' as const };
      expect(await records.write(rec)).toBe(true);
      // Written again (a spool replay): nothing inserted, nothing queued.
      expect(await records.write(rec)).toBe(false);
      expect(await repo.counts()).toEqual({ pending: 1, delivered: 0, dead: 0 });

      // Due at once whatever the clock says.
      const d = new WebhookDispatcher({ repo, clock: new VirtualClock(0), logger: silentLogger, instanceId: 'i1' });
      expect(await d.pump()).toBe(1);
      await d.idle();
      expect(r.got).toHaveLength(1);
      expect(r.got[0]!.headers['x-hotline-event']).toBe('call.record');
      const body = JSON.parse(r.got[0]!.body) as { id: string; type: string; data: Record<string, unknown> };
      expect(body).toMatchObject({ id: 'record:c-ab', type: 'call.record', data: { call_id: 'c-ab', caller_number: '13800138000', disposition: 'abandoned', who_hung_up: 'caller' } });
    } finally {
      await r.close();
    }
  });
});
