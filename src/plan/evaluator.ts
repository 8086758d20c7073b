import { observePlan, planLevel, type PlanLevel, type PlanRules, type PlanState, type PlanTransition } from '../acd/peak-plan.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { OutboxEntry } from '../store/redis/plan-store.js';

/** The shared state the evaluator works on (src/store/redis/plan-store.ts). */
export interface PlanEvaluatorStore {
  lock(holder: string, ms: number): Promise<boolean>;
  unlock(holder: string): Promise<void>;
  read(): Promise<{ version: string; state: PlanState }>;
  commit(version: string, state: PlanState, level: PlanLevel, transitions: readonly PlanTransition[]): Promise<boolean>;
  head(): Promise<{ raw: string; entry: OutboxEntry } | null>;
  replaceHead(raw: string, next: OutboxEntry | null): Promise<boolean>;
  level(): Promise<PlanLevel>;
  waiting(queueIds: readonly string[]): Promise<Record<string, number>>;
}

export interface PlanEvaluatorOptions {
  store: PlanEvaluatorStore;
  clock: Clock;
  log: Logger;
  /** This instance's name (the lock's holder). */
  instance: string;
  /** The rules now (hotline-wide from PLAN_*, per queue from queues.yaml; re-read every tick: hot reload). */
  rules: () => PlanRules;
  /** Queue ids to read waiting counts for (queues.yaml). */
  queueIds: () => readonly string[];
  /** Effects of a transition (src/plan/effects.ts), given the overall level after it; returns extra figures. */
  effects: (t: PlanTransition, overall: PlanLevel) => Promise<Record<string, unknown>>;
  /** The durable record (PostgreSQL row + webhook); false when it was recorded already. */
  record: (t: PlanTransition, extra: Record<string, unknown>, nowMs: number) => Promise<boolean>;
  /** Lock lifetime: longer than a tick's work, short enough that a dead holder is replaced at once. Default 5 s. */
  lockMs?: number;
}

export interface TickResult {
  /** False when another instance holds the lock this tick. */
  evaluated: boolean;
  transitions: PlanTransition[];
  recorded: number;
}

/**
 * The plan's housekeeping chore, run every PLAN_EVAL_MS on every instance: the instance that takes the lock reads
 * the calls waiting, feeds them to the pure rules with the state from Redis, commits the new state and its
 * transitions by compare-and-set (so even a holder whose lock expired mid-tick cannot commit a transition twice),
 * then works off the outbox: effects, then the PostgreSQL row and webhook (idempotent on the activation's identity),
 * then pops the entry. An instance that dies anywhere in between leaves the entry for the next tick of any instance.
 * The pino line of each transition is written once, by the instance that records it.
 */
export class PlanEvaluator {
  constructor(private readonly o: PlanEvaluatorOptions) {}

  async tick(): Promise<TickResult> {
    const { store, instance } = this.o;
    if (!(await store.lock(instance, this.o.lockMs ?? 5_000))) return { evaluated: false, transitions: [], recorded: 0 };
    try {
      const now = this.o.clock.now();
      const { version, state } = await store.read();
      const waiting = await store.waiting(this.o.queueIds());
      const next = observePlan(this.o.rules(), state, now, waiting);
      const committed = await store.commit(version, next.state, planLevel(next.state), next.transitions);
      const recorded = await this.drain();
      return { evaluated: committed, transitions: committed ? next.transitions : [], recorded };
    } finally {
      await store.unlock(instance);
    }
  }

  /** Work off the outbox in order; stops at the first failure (retried next tick). */
  private async drain(): Promise<number> {
    let n = 0;
    for (let i = 0; i < 100; i++) {
      const h = await this.o.store.head();
      if (!h) break;
      let { entry, raw } = h;
      const overall = entry.overall ?? (await this.o.store.level());
      if (!entry.effects) {
        const effects = await this.o.effects(entry.t, overall);
        const withEffects: OutboxEntry = { ...entry, effects };
        if (!(await this.o.store.replaceHead(raw, withEffects))) break;
        entry = withEffects;
        raw = JSON.stringify(withEffects);
      }
      const fresh = await this.o.record(entry.t, entry.effects ?? {}, this.o.clock.now());
      if (fresh) {
        const t = entry.t;
        this.o.log.warn({ plan: t.type, scope: t.scope, level: t.level, overall, figures: t.figures, ...entry.effects }, t.type === 'activated' ? `peak-load plan level ${t.level} activated (${t.scope})` : `peak-load plan level ${t.level} stood down (${t.scope})`);
        n++;
      }
      if (!(await this.o.store.replaceHead(raw, null))) break;
    }
    return n;
  }
}
