import type { Logger } from '../core/logger.js';
import type { IvrQueuePort, QueueTicket } from '../ivr/channel.js';
import type { EnqueueRequest, QueueOutcome } from '../ivr/spec.js';
import type { CallSession, QueueSettings } from './session.js';

/**
 * The IVR's queue port for one call, over its CallSession: the flow's `queue` node waits here; the session rings
 * agents, bridges and reports back 'answered', then 'agent-ended' (the flow goes on to its survey). Waiting (music,
 * announcements, maximum wait) is the flow's queue node's.
 * A blind transfer to another queue re-queues inside; the call's end needs no outcome (hangup listeners fire).
 */
export class SessionQueuePort implements IvrQueuePort {
  constructor(
    private readonly session: CallSession,
    private readonly settingsFor: (request: EnqueueRequest, queueId: string | undefined) => QueueSettings | undefined,
    private readonly position: (callId: string) => Promise<number>,
    private readonly log: Logger,
    /** Music on hold through the IVR's channel (a transferred caller waits in the next queue with it). */
    private readonly holdMusic: (request: EnqueueRequest) => void = () => undefined,
  ) {}

  enqueue(call: { callId: string }, request: EnqueueRequest, onOutcome: (o: QueueOutcome) => void): QueueTicket {
    const first = this.settingsFor(request, request.queueId);
    if (!first) {
      this.log.warn({ queueId: request.queueId }, 'no such queue');
      queueMicrotask(() => onOutcome('no-agents'));
      return { position: () => Promise.resolve(0), cancel: () => Promise.resolve() };
    }
    const run = async (): Promise<void> => {
      let settings = first;
      for (;;) {
        const r = await this.session.serveQueue(settings, {
          answered: () => onOutcome('answered'),
          // Moved by a supervisor: the new queue's settings; this node keeps the caller (music, announcements).
          moved: (queueId) => this.settingsFor(request, queueId),
        });
        if (r.outcome === 'agent-ended') return onOutcome('agent-ended');
        if (r.outcome === 'transferred') {
          // The agent passed the caller on: a returning caller's hold for that agent is over.
          const { hold: _served, ...onward } = request;
          const next = r.target.kind === 'queue' ? this.settingsFor(onward, r.target.queueId) : undefined;
          if (next) {
            // Waiting again: the IVR owns music on hold, as it did for the first queue.
            this.holdMusic(request);
            settings = next;
            continue;
          }
          // Not a queue this flow knows: the agent has left; the flow carries on as after any agent.
          return onOutcome('agent-ended');
        }
        return;
      }
    };
    run().catch((err: unknown) => {
      this.log.error({ err, callId: call.callId }, 'queue failed');
      void this.session.end('error', 'error');
    });
    return {
      position: () => this.position(call.callId),
      cancel: () => {
        this.session.cancelQueue();
        return Promise.resolve();
      },
    };
  }
}
