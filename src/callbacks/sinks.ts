import type { CallRecordSink } from '../call/ports.js';
import type { CallRecord } from '../call/record.js';
import type { Logger } from '../core/logger.js';
import type { CallDataSink } from '../ivr/channel.js';
import type { Saved } from '../ivr/spec.js';
import { abandonedCallbackRequest, ivrCallbackRequest, type AbandonedRule, type CallbackService } from './service.js';

/**
 * The IVR callback node's save becomes a task. The runner does not await it (a caller never waits on PostgreSQL);
 * a failure is logged with the call id.
 */
export function ivrCallbackSink(service: Pick<CallbackService, 'request'>, log: Logger): CallDataSink {
  return {
    save: async (callId: string, data: Saved) => {
      if (data.kind !== 'callback') return;
      const req = ivrCallbackRequest(callId, data, undefined);
      if (!req) return;
      try {
        await service.request(req);
      } catch (err) {
        log.error({ err, callId }, 'callback request not stored');
      }
    },
  };
}

/** Writes each call record, then gives a caller who abandoned in queue long enough a callback task (AbandonedRule). */
export function abandonedCallbackSink(inner: CallRecordSink, service: Pick<CallbackService, 'request'>, rule: AbandonedRule, log: Logger): CallRecordSink {
  return {
    write: async (record: CallRecord) => {
      await inner.write(record);
      const req = abandonedCallbackRequest(rule, record);
      if (!req) return;
      try {
        await service.request(req);
      } catch (err) {
        log.error({ err, callId: record.callId }, 'callback for the abandoned call not stored');
      }
    },
  };
}
