import type { Disposition as IvrDisposition } from '../ivr/spec.js';

/**
 * How a call ended: the IVR's dispositions (src/ivr/spec.ts), and one no flow can choose: a supervisor hung the
 * call up from the API (CallSession.hangupByOperator).
 */
export type Disposition = IvrDisposition | 'ended-by-operator';

export type EndedBy = 'caller' | 'agent' | 'system' | 'shutdown' | 'error' | 'operator';

/** What a call leaves behind, written once when it ends (PostgreSQL call records). Times are epoch ms. */
export interface CallRecord {
  callId: string;
  callerNumber: string;
  calledNumber: string;
  flowId: string | undefined;
  queueId: string | undefined;
  agentId: string | undefined;
  startedAt: number;
  queuedAt: number | undefined;
  agentAnsweredAt: number | undefined;
  endedAt: number;
  /** Time in queue until an agent answered (or until the caller left). */
  waitedMs: number | undefined;
  /** Rings the answering seat rang before it answered (the KPI "average rings", target 2). */
  ringsToAnswer: number | undefined;
  /** Agents offered the call who did not answer in time (redirect on no answer), in order. */
  missedAgents: string[];
  disposition: Disposition;
  endedBy: EndedBy;
  surveyRating: number | undefined;
  recordingFile: string | undefined;
  transferredTo: string | undefined;
  /** Whether the late-answer whisper played to the agent. */
  whispered: boolean;
}
