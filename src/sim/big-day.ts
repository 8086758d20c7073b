/**
 * The benchmark's large day, after the vendor case in the hotline standard (§9): 1,800 concurrent agents over
 * several skills and 1.6 million contacts in 24 hours. Six queues with a daily arrival curve (quiet at night, peaks
 * late morning and mid-afternoon), agents with a primary and a secondary skill (overflow after 20 s), log-normal
 * talk times, wrap-up, impatient callers, staggered breaks and lunch, and 1% of offers ringing out (RONA).
 */
import type { QueueDefinition } from '../acd/model.js';
import type { AgentGroup, ArrivalInterval, Scenario, SimQueue } from './scenario.js';

export interface BigDayOptions {
  agents?: number;
  callsPerDay?: number;
  /** Simulate only the first `hours` of the day (the arrival curve is the same). */
  hours?: number;
}

const QUEUES: { id: string; share: number }[] = [
  { id: 'general', share: 0.35 },
  { id: 'billing', share: 0.2 },
  { id: 'tech', share: 0.15 },
  { id: 'orders', share: 0.12 },
  { id: 'complaints', share: 0.1 },
  { id: 'english', share: 0.08 },
];

/** Relative arrival rate per quarter hour: a night floor plus two daytime peaks; mean 1 over the day. */
export function dayCurve(): number[] {
  const raw: number[] = [];
  for (let i = 0; i < 96; i++) {
    const h = i / 4 + 0.125;
    const peak = (mu: number, sd: number, w: number): number => w * Math.exp(-((h - mu) ** 2) / (2 * sd * sd));
    raw.push(0.3 + peak(10.5, 2, 1) + peak(15, 2.2, 0.85) + peak(20, 1.5, 0.3));
  }
  const mean = raw.reduce((s, x) => s + x, 0) / raw.length;
  return raw.map((x) => x / mean);
}

export function bigDayScenario(o: BigDayOptions = {}): Scenario {
  const agentsTotal = o.agents ?? 1800;
  const callsPerDay = o.callsPerDay ?? 1_600_000;
  const hours = o.hours ?? 24;
  const curve = dayCurve();
  const queues: SimQueue[] = QUEUES.map((q, i) => {
    const def: QueueDefinition = {
      id: q.id,
      name: q.id,
      requiredSkills: [{ skill: q.id, minLevel: 1 }],
      priority: q.id === 'complaints' ? 1 : 0,
      policy: i % 2 === 0 ? 'longest-idle' : 'highest-skill',
      overflow: { secondaryAfterSec: 20 },
      serviceLevel: { fraction: 0.8, seconds: 20 },
      wrapUpSec: 5,
      answerRings: 3,
      stickyAgentSec: 0,
      maxWaitSec: 0,
    };
    const arrivals: ArrivalInterval[] = curve.map((c, k) => ({ fromSec: k * 900, callsPerHour: (callsPerDay / 24) * q.share * c }));
    return { def, arrivals, handle: { distribution: 'lognormal', meanSec: 35, sdSec: 30 }, patienceSec: 90 };
  });
  const agents: AgentGroup[] = QUEUES.map((q, i) => ({
    name: q.id,
    count: Math.round(agentsTotal * q.share),
    skills: [
      { skill: q.id, level: 3, primary: true },
      { skill: QUEUES[(i + 1) % QUEUES.length]!.id, level: 2, primary: false },
    ],
    shifts: [{ startSec: 0, endSec: Number.POSITIVE_INFINITY }],
    breaks: [
      { afterSec: 3 * 3600, durationSec: 900, spreadSec: 3600, reason: 'break' },
      { afterSec: 11 * 3600, durationSec: 1800, spreadSec: 3 * 3600, reason: 'lunch' },
      { afterSec: 16 * 3600, durationSec: 900, spreadSec: 3600, reason: 'break' },
    ],
    ronaProbability: 0.01,
    answerAfterSec: 3,
    missedReadyAfterSec: 30,
  }));
  return {
    name: `big day: ${agentsTotal} agents, ${callsPerDay} calls / 24 h, 6 skills`,
    horizonSec: hours * 3600,
    warmupSec: 0,
    maxDrainSec: 3600,
    ringCadenceSec: 5,
    skills: QUEUES.map((q) => q.id),
    queues,
    agents,
    callerPool: 200_000,
    batches: 24,
  };
}
