/**
 * What the simulator records of the peak plan (standard §5): each activation of each level with its start, end and
 * the peak of calls waiting in its scope, and time spent at each level. The rules are src/acd/peak-plan.ts's own;
 * this file only keeps the log the report prints.
 */
import { HOTLINE_SCOPE, type PlanLevel, type PlanTransition } from '../acd/peak-plan.js';

export interface PlanActivation {
  /** '*' for the whole hotline, else a queue id. */
  scope: string;
  level: 1 | 2;
  /** Seconds from the start of the run. */
  startSec: number;
  /** null: still active when the run ended. */
  endSec: number | null;
  /** Most calls waiting in the scope while the level was active. */
  peakWaiting: number;
}

export interface PlanFigures {
  /** False: the rule engine watched and declared, but nobody acted (the day without the plan). */
  enforced: boolean;
  activations: PlanActivation[];
  /** Seconds at level 1 or above, and at level 2. */
  secondsAtLevel1: number;
  secondsAtLevel2: number;
  /** Most calls waiting in the whole hotline at any sample. */
  maxWaiting: number;
}

export class PlanLog {
  private readonly activations: PlanActivation[] = [];
  private readonly open = new Map<string, PlanActivation>();
  private maxWaiting = 0;
  private level: PlanLevel = 0;
  private levelSince = 0;
  private readonly atLevel = [0, 0];

  constructor(private readonly enforced: boolean) {}

  /** One sample: the waiting counts fed to the engine, its transitions and its level after them. */
  sample(nowMs: number, waiting: Readonly<Record<string, number>>, transitions: readonly PlanTransition[], level: PlanLevel): void {
    let total = 0;
    for (const n of Object.values(waiting)) total += n;
    if (total > this.maxWaiting) this.maxWaiting = total;
    for (const t of transitions) {
      const key = `${t.scope}\u0000${t.level}`;
      if (t.type === 'activated') {
        const rec: PlanActivation = { scope: t.scope, level: t.level, startSec: t.at / 1000, endSec: null, peakWaiting: t.figures.waiting };
        this.activations.push(rec);
        this.open.set(key, rec);
      } else {
        const rec = this.open.get(key);
        if (rec) {
          rec.endSec = t.at / 1000;
          rec.peakWaiting = Math.max(rec.peakWaiting, t.figures.peakWaiting);
          this.open.delete(key);
        }
      }
    }
    for (const rec of this.open.values()) {
      const w = rec.scope === HOTLINE_SCOPE ? total : (waiting[rec.scope] ?? 0);
      if (w > rec.peakWaiting) rec.peakWaiting = w;
    }
    if (level !== this.level) {
      this.account(nowMs);
      this.level = level;
    }
  }

  private account(nowMs: number): void {
    const d = (nowMs - this.levelSince) / 1000;
    if (this.level >= 1) this.atLevel[0]! += d;
    if (this.level >= 2) this.atLevel[1]! += d;
    this.levelSince = nowMs;
  }

  figures(endMs: number): PlanFigures {
    this.account(endMs);
    return { enforced: this.enforced, activations: this.activations.map((a) => ({ ...a })), secondsAtLevel1: this.atLevel[0]!, secondsAtLevel2: this.atLevel[1]!, maxWaiting: this.maxWaiting };
  }
}
