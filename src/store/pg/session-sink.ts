import type { CallRecord, Disposition, HangupParty } from './call-records.js';
import type { DurableRecorder } from './recorder.js';
import type { CallRecord as SessionCallRecord } from '../../call/record.js';

/**
 * The call session's record (src/call/record.ts) is the input here: main.ts passes `sessionCallRecordSink(recorder)`
 * where the session wants a CallRecordSink. Only its type is imported, so this store does not load the session.
 */

function disposition(r: SessionCallRecord): Disposition {
  switch (r.disposition) {
    case 'completed':
      return r.agentAnsweredAt !== undefined && r.agentId !== undefined ? 'answered' : 'ivr-completed';
    case 'caller-hangup':
      // Hanging up while queued is abandoning; hanging up in the menus is not counted against the queue.
      return r.queuedAt !== undefined && r.agentAnsweredAt === undefined ? 'abandoned' : r.agentAnsweredAt !== undefined && r.agentId !== undefined ? 'answered' : 'ivr-hangup';
    case 'callback':
      return 'callback-requested';
    case 'message':
      return 'voicemail';
    case 'error':
      return 'failed';
    case 'ended-by-operator':
      // An answered call stays answered (the KPIs count it); failure_reason says who ended it.
      return r.agentAnsweredAt !== undefined && r.agentId !== undefined ? 'answered' : 'ended-by-operator';
    case 'silent':
    case 'abandoned':
    case 'transferred':
    case 'after-hours':
    case 'no-match':
    case 'no-agents':
      return r.disposition;
  }
}

/** Translate the session's record into the store's, keeping every fact it carries. */
export function fromSessionRecord(r: SessionCallRecord, instanceId?: string): CallRecord {
  const d = disposition(r);
  const whoHungUp: HangupParty = r.endedBy === 'caller' || r.endedBy === 'agent' ? r.endedBy : 'system';
  const out: CallRecord = {
    callId: r.callId,
    callerNumber: r.callerNumber,
    hotlineNumber: r.calledNumber,
    arrivalAt: r.startedAt,
    hangupAt: r.endedAt,
    disposition: d,
    whoHungUp,
    missedAgents: r.missedAgents,
    offers: r.missedAgents.length + (r.agentAnsweredAt !== undefined ? 1 : 0),
    lateWhisper: r.whispered,
  };
  if (instanceId !== undefined) out.instanceId = instanceId;
  if (r.flowId !== undefined) out.flowId = r.flowId;
  if (r.queueId !== undefined) out.queueId = r.queueId;
  if (r.agentId !== undefined) out.agentId = r.agentId;
  if (r.agentId !== undefined && r.agentAnsweredAt !== undefined) out.firstAgentId = r.agentId;
  if (r.queuedAt !== undefined) {
    out.enqueueAt = r.queuedAt;
    out.ivrExitAt = r.queuedAt;
  }
  if (r.agentAnsweredAt !== undefined) out.answerAt = r.agentAnsweredAt;
  if (d === 'abandoned') out.abandonAt = r.endedAt;
  if (r.ringsToAnswer !== undefined) out.ringsToAnswer = r.ringsToAnswer;
  if (r.surveyRating !== undefined) out.surveyRating = r.surveyRating;
  if (r.recordingFile !== undefined) out.recordingPath = r.recordingFile;
  if (r.transferredTo !== undefined) out.transferTarget = r.transferredTo;
  if (r.endedBy === 'shutdown' || r.endedBy === 'error') out.failureReason = r.endedBy;
  if (r.endedBy === 'operator') out.failureReason = 'ended-by-operator';
  return out;
}

/** A CallRecordSink for the call session, writing through the outage-proof recorder. */
export function sessionCallRecordSink(recorder: DurableRecorder, instanceId?: string): { write(record: SessionCallRecord): Promise<void> } {
  return {
    write: async (record: SessionCallRecord): Promise<void> => {
      await recorder.writeCallRecord(fromSessionRecord(record, instanceId));
    },
  };
}
