import type { AgentState, NotReadyReason } from '../acd/model.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { CallError } from './errors.js';
import { parseFeatureCode } from './feature-codes.js';
import type { AgentStatePort } from './ports.js';

/** States in which an agent holds a call (or is about to): an agent's own request may not pull them out. */
const BUSY: readonly AgentState[] = ['reserved', 'ringing', 'on-call'];
const IDLE: readonly AgentState[] = ['logged-out', 'not-ready', 'ready', 'wrap-up'];

/**
 * The one place agent state changes: seats' feature codes (src/sip), the admin API and the call session all call
 * this, so the rules (what may follow what, wrap-up then ready, RONA makes an agent not-ready "missed") live once.
 */
export class AgentService {
  private readonly wrapUpTimers = new Map<string, TimerHandle>();

  constructor(
    private readonly store: AgentStatePort,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  // --- the agent's (or a supervisor's) own requests -------------------------------------------------------------

  async ready(agentId: string): Promise<void> {
    this.cancelWrapUp(agentId);
    await this.must(agentId, 'ready', { from: IDLE });
  }

  async notReady(agentId: string, reason: NotReadyReason): Promise<void> {
    this.cancelWrapUp(agentId);
    await this.must(agentId, 'not-ready', { reason, from: IDLE });
  }

  async logout(agentId: string): Promise<void> {
    this.cancelWrapUp(agentId);
    await this.must(agentId, 'logged-out', { from: IDLE });
  }

  /** Apply a feature code dialled from the agent's seat; throws FEATURE_CODE_UNKNOWN for anything else. */
  async featureCode(agentId: string, dialled: string): Promise<string> {
    const f = parseFeatureCode(dialled);
    if (!f) throw new CallError('FEATURE_CODE_UNKNOWN', `unknown feature code ${dialled}`, { dialled });
    if (f.action === 'ready') await this.ready(agentId);
    else if (f.action === 'logout') await this.logout(agentId);
    else await this.notReady(agentId, f.reason);
    return f.action;
  }

  // --- transitions driven by a call -------------------------------------------------------------------------------

  async ringing(agentId: string, callId: string): Promise<boolean> {
    return this.store.transition(agentId, 'ringing', { callId, from: ['reserved'] });
  }

  async answered(agentId: string, callId: string): Promise<boolean> {
    return this.store.transition(agentId, 'on-call', { callId, from: ['reserved', 'ringing'] });
  }

  /** Redirect on no answer: the agent did not pick up in time and stops getting calls until they say ready. */
  async missed(agentId: string, callId: string): Promise<boolean> {
    return this.store.transition(agentId, 'not-ready', { reason: 'missed', callId, from: ['reserved', 'ringing'] });
  }

  /** The offer ended through no fault of the agent (caller hung up, shutdown): back to ready. */
  async withdrawn(agentId: string, callId: string): Promise<boolean> {
    return this.store.transition(agentId, 'ready', { callId, from: ['reserved', 'ringing'] });
  }

  /** The agent's call ended: wrap-up for `wrapUpSec`, then ready (unless they changed state meanwhile). */
  async callEnded(agentId: string, callId: string, wrapUpSec: number): Promise<void> {
    if (wrapUpSec <= 0) {
      await this.store.transition(agentId, 'ready', { callId, from: ['on-call'] });
      return;
    }
    const moved = await this.store.transition(agentId, 'wrap-up', { callId, from: ['on-call'] });
    if (!moved) return;
    this.cancelWrapUp(agentId);
    const timer = this.clock.setTimeout(() => {
      this.wrapUpTimers.delete(agentId);
      this.store.transition(agentId, 'ready', { from: ['wrap-up'] }).catch((err: unknown) => {
        this.log.warn({ err, agentId }, 'wrap-up end failed');
      });
    }, wrapUpSec * 1000);
    this.wrapUpTimers.set(agentId, timer);
  }

  /** Stop pending wrap-up timers (shutdown). The store's leases decide what happens to those agents. */
  dispose(): void {
    for (const t of this.wrapUpTimers.values()) this.clock.clearTimeout(t);
    this.wrapUpTimers.clear();
  }

  private cancelWrapUp(agentId: string): void {
    const t = this.wrapUpTimers.get(agentId);
    if (t) {
      this.clock.clearTimeout(t);
      this.wrapUpTimers.delete(agentId);
    }
  }

  private async must(
    agentId: string,
    to: AgentState,
    opts: { reason?: NotReadyReason; from: readonly AgentState[] },
  ): Promise<void> {
    const ok = await this.store.transition(agentId, to, opts);
    if (!ok) {
      const now = await this.store.current(agentId);
      const why = now && BUSY.includes(now) ? 'the agent is on a call' : `the agent is ${now ?? 'unknown'}`;
      throw new CallError('AGENT_STATE_REJECTED', `cannot change to ${to}: ${why}`, { agentId, to, current: now });
    }
  }
}
