import type { AcdStore, TrackedCall } from '../acd/store.js';
import type { QueueDefinition } from '../acd/model.js';
import type { Logger } from '../core/logger.js';
import type { CallDataSink, FlowLookup, ReturningCallers, WaitEstimator } from '../ivr/channel.js';
import { FlowRunner } from '../ivr/runner.js';
import type { EnqueueRequest, Flow, Saved } from '../ivr/spec.js';
import type { MediaLeg } from '../media/leg.js';
import { SessionQueuePort } from './ivr-queue.js';
import { MediaCallChannel, type PromptFiles } from './media-channel.js';
import type { AnsweredSeat, DialogSignal } from './ports.js';
import type { CallRegistry } from './registry.js';
import { CallSession, type QueueSettings, type SessionDeps } from './session.js';

/** Per-queue telephony switches (configuration): which queues run which part of the standard. */
export interface QueuePolicy {
  silentAuto(queueId: string): boolean;
  silentSec: number;
  silentAgentKey: string;
  lateWhisper(queueId: string): boolean;
  record(queueId: string): boolean;
  /** Release the caller's media to the seat for the talk; only where neither record nor silentAuto says otherwise. */
  releaseMedia(queueId: string): boolean;
}

export interface InboundCall {
  callId: string;
  callerNumber: string;
  calledNumber: string;
  /** The SIP Call-ID of the caller's leg, so one search follows the call across drachtio-server, FreeSWITCH and us. */
  sipCallId?: string;
  flow: Flow;
  leg: MediaLeg;
  signal: DialogSignal;
}

export interface HotlineDeps {
  session: Omit<SessionDeps, 'log'>;
  log: Logger;
  registry: CallRegistry;
  /**
   * Queue positions; the arrival appended to the ACD's event stream (webhook `call.arrived`); the call tracked from
   * its answer to its record, so that if this instance dies the reaper still writes its record and hangs it up.
   */
  store: Pick<AcdStore, 'position' | 'recordArrival' | 'trackCall' | 'untrackCall'>;
  flows: FlowLookup;
  files: PromptFiles;
  policy: QueuePolicy;
  wait: WaitEstimator;
  /** Callback requests and messages (survey ratings go into the call record). */
  data?: CallDataSink;
  /** Who served a caller last, for the flows' `returning` nodes (the ACD store's Redis record). */
  returning?: ReturningCallers;
}

/**
 * Runs one answered hotline call: a CallSession (the owner, with the one cleanup path), the IVR flow on a
 * MediaCallChannel, and the flow's queue nodes through the session. Whatever ends first — the flow, the caller,
 * an error, shutdown — the session's end() runs exactly once.
 */
export class HotlineCalls {
  constructor(private readonly deps: HotlineDeps) {}

  async handle(call: InboundCall): Promise<void> {
    const { deps } = this;
    const log = deps.log.child({ callId: call.callId, sipCallId: call.sipCallId, caller: call.callerNumber, called: call.calledNumber });
    const tracking = this.tracking(call, log);
    const session = new CallSession(
      { ...deps.session, log, seatAnswered: tracking.seatAnswered },
      { leg: call.leg, signal: call.signal },
      { callId: call.callId, callerNumber: call.callerNumber, calledNumber: call.calledNumber, flowId: call.flow.id },
    );
    deps.registry.add(session);
    session.callerLeg.onAttached((leg) => tracking.callerLegChanged(leg));
    // Fire and forget: the caller hears the IVR whatever Redis does; a lost arrival costs one webhook, logged here.
    Promise.resolve()
      .then(() => deps.store.recordArrival({ callId: call.callId, callerNumber: call.callerNumber, calledNumber: call.calledNumber, ownerInstance: deps.session.instanceId, flowId: call.flow.id }))
      .catch((err: unknown) => log.warn({ err }, 'call arrival not appended to the ACD event stream (no call.arrived webhook for it)'));
    // The session's caller leg, not call.leg: with media release the caller's leg changes during the call.
    const channel = new MediaCallChannel(session, session.callerLeg, call.signal, deps.files, log, call.callerNumber, call.calledNumber);
    const queue = new SessionQueuePort(
      session,
      (req, queueId) => this.settings(call.flow, req, queueId),
      async (callId) => (await deps.store.position(callId))?.position ?? 0,
      log,
      (req) => channel.startMusic(req.music),
    );
    const sink: CallDataSink = {
      save: async (callId: string, data: Saved) => {
        if (data.kind === 'survey') session.saveSurvey(data.rating);
        await deps.data?.save(callId, data);
      },
    };
    const runner = new FlowRunner({ channel, queue, wait: deps.wait, sink, flows: deps.flows, clock: deps.session.clock, logger: log, ...(deps.returning ? { returning: deps.returning } : {}) });
    try {
      const result = await runner.run(call.flow);
      await session.end(result.disposition, session.ended ? 'caller' : 'system');
    } catch (err) {
      log.error({ err }, 'call failed');
      await session.end('error', 'error');
    } finally {
      channel.dispose();
    }
    // The record is written (or spooled): nothing is left for a reaper to do.
    await session.done;
    await tracking.untrack();
  }

  /**
   * The call's tracking entry in the ACD store (AcdStore.trackCall): written at the answer with the caller's dialog,
   * rewritten when a seat answers (its dialog added) and when the caller's media comes back on a new FreeSWITCH
   * channel (after media release), removed once the record is written. Never in the call's way:
   * a failed write is logged, and costs only the record and the BYE should this instance die during the call.
   */
  private tracking(
    call: InboundCall,
    log: Logger,
  ): { seatAnswered: (seat: AnsweredSeat) => void; callerLegChanged: (leg: MediaLeg) => void; untrack: () => Promise<void> } {
    const { store, session } = this.deps;
    // A party's dialog and its FreeSWITCH channel's: both are ended by the reaper should this instance die.
    const refs = (signal: DialogSignal, leg: MediaLeg | undefined) => [signal.ref, leg?.ref].filter((r) => r !== undefined);
    let caller = refs(call.signal, call.leg);
    let seat: Array<Readonly<Record<string, string>>> = [];
    const entry: TrackedCall = {
      callId: call.callId,
      ownerInstance: session.instanceId,
      callerNumber: call.callerNumber,
      calledNumber: call.calledNumber,
      flowId: call.flow.id,
      at: session.clock.now(),
      ...(caller.length > 0 ? { dialogs: caller } : {}),
    };
    // One connection keeps these in order; each waits for the one before, so an untrack never overtakes a track.
    let last: Promise<void> = Promise.resolve();
    const write = (what: string, op: () => Promise<void> | void): void => {
      last = last.then(op).catch((err: unknown) => log.warn({ err }, `call tracking: ${what} failed (a dead instance's reaper would miss this call)`));
    };
    write('track', () => store.trackCall(entry));
    const retrack = (what: string): void => {
      const dialogs = [...caller, ...seat];
      write(what, () => store.trackCall({ ...entry, dialogs }));
    };
    return {
      seatAnswered: (answered) => {
        seat = refs(answered, answered.leg);
        if (seat.length > 0) retrack('seat dialog');
      },
      // The caller's media came back on a new FreeSWITCH channel (after media release): the reaper must end that one.
      callerLegChanged: (leg) => {
        caller = refs(call.signal, leg);
        retrack('caller media');
      },
      untrack: () => {
        write('untrack', () => store.untrackCall(entry.ownerInstance, entry.callId));
        return last;
      },
    };
  }

  private settings(flow: Flow, req: EnqueueRequest, queueId: string | undefined): QueueSettings | undefined {
    if (!queueId) return undefined;
    const def: QueueDefinition | undefined = flow.queues.get(queueId);
    if (!def) return undefined;
    const p = this.deps.policy;
    return {
      queueId,
      priority: req.priority,
      answerRings: def.answerRings,
      wrapUpSec: def.wrapUpSec,
      record: p.record(queueId),
      lateWhisper: p.lateWhisper(queueId),
      silentCall: { auto: p.silentAuto(queueId), silenceSec: p.silentSec, agentKey: p.silentAgentKey },
      // Recording and the automatic silent-call script need the caller's media for the talk: where either is on,
      // the media stays, whatever the release option says ("keep those features where they are configured").
      releaseMedia: p.releaseMedia(queueId) && !p.record(queueId) && !p.silentAuto(queueId),
      ...(req.hold !== undefined ? { hold: req.hold } : {}),
    };
  }
}
