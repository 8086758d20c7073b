import type { Clock } from '../core/clock.js';
import type { AgentSkill, QueueDefinition } from '../acd/model.js';
import { skillMatch } from '../acd/eligibility.js';
import type { AcdStore, StoreSnapshot } from '../acd/store.js';
import type { QueueLoad } from '../ivr/wait.js';

/** States in which an agent counts as staffing a queue for the Erlang wait (not-ready and logged-out do not). */
const STAFFING = new Set(['ready', 'reserved', 'ringing', 'on-call', 'wrap-up']);

export interface QueueLoadDeps {
  store: Pick<AcdStore, 'snapshot'>;
  queues: () => readonly QueueDefinition[] | undefined;
  /** Skills of an agent (the agents table). */
  skillsOf: (agentId: string) => Promise<readonly AgentSkill[] | undefined>;
  clock: Clock;
  /** How long one look at the ACD serves every announcement (a snapshot reads every agent and call). */
  cacheMs?: number;
}

/**
 * The live numbers behind position / expected-wait announcements: agents staffing a queue (primary skill holders
 * who are logged in and not on a break), from one cached ACD snapshot, so hundreds of waiting callers announcing
 * every minute cost one snapshot per `cacheMs`, not one each. AHT is left to the estimator's default until the
 * reports feed a per-queue history.
 */
export class AcdQueueLoad implements QueueLoad {
  private snap: { at: number; value: Promise<StoreSnapshot> } | undefined;
  private readonly skills = new Map<string, { at: number; value: Promise<readonly AgentSkill[] | undefined> }>();
  private readonly cacheMs: number;

  constructor(private readonly deps: QueueLoadDeps) {
    this.cacheMs = deps.cacheMs ?? 5_000;
  }

  async agentsServing(queueId: string | undefined): Promise<number> {
    const q = this.deps.queues()?.find((d) => d.id === queueId);
    if (!q) return 0;
    const snapshot = await this.snapshot();
    let n = 0;
    for (const a of snapshot.agents) {
      // A seat without a live registration takes no calls (no offers reach it), so it does not shorten the wait.
      if (!STAFFING.has(a.state) || !a.reachable) continue;
      const skills = await this.skillsOf(a.id);
      if (skills && skillMatch(skills, q.requiredSkills) === 'primary') n++;
    }
    return n;
  }

  ahtSeconds(): undefined {
    return undefined;
  }

  private snapshot(): Promise<StoreSnapshot> {
    const now = this.deps.clock.now();
    if (!this.snap || now - this.snap.at >= this.cacheMs) {
      const value = Promise.resolve(this.deps.store.snapshot());
      // A failed look is not cached: the next announcement tries again.
      value.catch(() => {
        if (this.snap?.value === value) this.snap = undefined;
      });
      this.snap = { at: now, value };
    }
    return this.snap.value;
  }

  private skillsOf(agentId: string): Promise<readonly AgentSkill[] | undefined> {
    const now = this.deps.clock.now();
    const hit = this.skills.get(agentId);
    // Skills change rarely (provisioning); a minute's staleness only shifts an estimate.
    if (hit && now - hit.at < 60_000) return hit.value;
    const value = this.deps.skillsOf(agentId);
    value.catch(() => this.skills.delete(agentId));
    this.skills.set(agentId, { at: now, value });
    return value;
  }
}
