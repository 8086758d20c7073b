import type { Offer } from '../acd/model.js';
import type { AcdStore } from '../acd/store.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CallAcd } from './ports.js';

export interface AcdBridgeOptions {
  instanceId: string;
  /** How often this instance's offer inbox is read (besides right after each operation that may match). */
  pollMs: number;
}

/**
 * The call sessions' view of the AcdStore. It reads this instance's offer inbox and hands each offer to the session
 * that owns the call (an offer for a call nobody here owns any more is given back, so its agent is freed), and it
 * shortens wrap-up: the store keeps each wrap-up's end as data and every instance's reaper ends it (expire); this
 * instance's timer only asks the store to expire due deadlines on time, so stop() or a crash loses nothing.
 */
export class AcdBridge implements CallAcd {
  private readonly listeners = new Map<string, (o: Offer) => void>();
  private readonly wrapUps = new Map<string, TimerHandle>();
  private poll: TimerHandle | undefined;
  private kickTimer: TimerHandle | undefined;
  private running = false;
  private pumping = false;
  /** A kick arrived while the pump ran: it may have missed that offer, so it runs again before it rests. */
  private rerun = false;

  constructor(
    private readonly store: AcdStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: AcdBridgeOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedulePoll();
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.poll);
    this.clock.clearTimeout(this.kickTimer);
    this.poll = this.kickTimer = undefined;
    for (const t of this.wrapUps.values()) this.clock.clearTimeout(t);
    this.wrapUps.clear();
  }

  async enqueue(req: Parameters<CallAcd['enqueue']>[0]): Promise<void> {
    await this.store.enqueue(req);
    this.kick();
  }

  onOffer(callId: string, fn: (o: Offer) => void): () => void {
    this.listeners.set(callId, fn);
    return () => {
      if (this.listeners.get(callId) === fn) this.listeners.delete(callId);
    };
  }

  async ringing(callId: string): Promise<void> {
    await this.store.markRinging(callId);
  }

  async answered(callId: string): Promise<void> {
    await this.store.answer(callId);
  }

  async noAnswer(callId: string): Promise<void> {
    await this.store.rona(callId);
    this.kick();
  }

  async giveBack(callId: string, agentId: string): Promise<void> {
    await this.store.giveBack(callId, agentId);
    this.kick();
  }

  async leave(callId: string, by: 'agent' | 'caller' | 'operator', wrapUpSec: number): Promise<void> {
    const snap = await this.store.call(callId);
    if (!snap) return;
    if (snap.state === 'on-call' && snap.agentId) {
      const agentId = snap.agentId;
      // A supervisor's hang-up ends the agent's call as the agent's own would (wrap-up follows).
      if (by === 'caller') await this.store.abandon(callId);
      else await this.store.endCall(callId);
      this.startWrapUp(agentId, wrapUpSec);
    } else {
      await this.store.abandon(callId, by === 'operator' ? 'operator' : undefined);
    }
    this.kick();
  }

  /** A shortcut only: the deadline is in the store, and any instance's reaper ends it if this timer never fires. */
  private startWrapUp(agentId: string, wrapUpSec: number): void {
    if (wrapUpSec <= 0) return;
    const prev = this.wrapUps.get(agentId);
    if (prev) this.clock.clearTimeout(prev);
    const t = this.clock.setTimeout(() => {
      this.wrapUps.delete(agentId);
      this.expireDeadlines().catch((err: unknown) => this.log.warn({ err, agentId }, 'ending wrap-up failed'));
    }, wrapUpSec * 1000);
    this.wrapUps.set(agentId, t);
  }

  private async expireDeadlines(): Promise<void> {
    const r = await this.store.expire();
    if (r.offers.length > 0) this.kick();
  }

  /** Read the inbox soon (after an operation that may have matched). */
  kick(): void {
    if (this.pumping) this.rerun = true;
    if (!this.running || this.kickTimer) return;
    this.kickTimer = this.clock.setTimeout(() => {
      this.kickTimer = undefined;
      void this.pump();
    }, 0);
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.poll = this.clock.setTimeout(() => {
      this.poll = undefined;
      void this.pump().finally(() => this.schedulePoll());
    }, this.opts.pollMs);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        this.rerun = false;
        const offers = await this.store.takeOffers(this.opts.instanceId);
        for (const o of offers) await this.deliver(o);
        // An empty read ends the pump unless a kick came in meanwhile (its offer may have landed after the read).
        if (offers.length === 0 && !this.rerun) break;
      }
    } catch (err) {
      this.log.warn({ err }, 'reading offers failed');
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(o: Offer): Promise<void> {
    const fn = this.listeners.get(o.callId);
    if (fn) {
      fn(o);
      return;
    }
    // Nobody here owns this call any more (it ended between match and delivery): give the agent back.
    try {
      const snap = await this.store.call(o.callId);
      if (snap && snap.state === 'offered' && snap.agentId === o.agentId) await this.store.abandon(o.callId);
    } catch (err) {
      this.log.warn({ err, offer: o }, 'returning an orphan offer failed');
    }
  }
}
