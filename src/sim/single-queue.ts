/**
 * The single-queue scenario of `acd simulate --calls-per-hour N --aht S --agents N --hours H ...`: one queue, one
 * skill, a fixed staff logged in for the whole run, talk times exponential (or log-normal when a spread is
 * given), no wrap-up, no ringing, no missed calls. That is exactly the M/M/n (Erlang C) or M/M/n+M (Erlang A)
 * queue, so the simulated figures and the engine's must agree within statistical error.
 */
import { InvalidInputError } from '../core/errors.js';
import type { QueueDefinition } from '../acd/model.js';
import type { DurationSpec } from './rng.js';
import { DEFAULT_BATCHES, DEFAULT_CALLER_POOL, DEFAULT_RING_CADENCE_SEC, type Scenario } from './scenario.js';

export interface SingleQueueOptions {
  callsPerHour: number;
  ahtSeconds: number;
  agents: number;
  hours: number;
  targetTimeSeconds: number;
  patienceSeconds?: number;
  /** Standard deviation of talk time: log-normal talk times instead of exponential. */
  handleSdSeconds?: number;
  warmupHours?: number;
  batches?: number;
}

function positive(field: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new InvalidInputError(field, `must be a number greater than 0 (got ${v})`);
  return v;
}

export function singleQueueScenario(o: SingleQueueOptions): Scenario {
  positive('--calls-per-hour', o.callsPerHour);
  positive('--aht', o.ahtSeconds);
  if (!(Number.isInteger(o.agents) && o.agents > 0)) throw new InvalidInputError('--agents', `must be a whole number greater than 0 (got ${o.agents})`);
  positive('--hours', o.hours);
  if (!(Number.isFinite(o.targetTimeSeconds) && o.targetTimeSeconds >= 0)) throw new InvalidInputError('--target-time', `must be a number ≥ 0 (got ${o.targetTimeSeconds})`);
  if (o.patienceSeconds !== undefined) positive('--patience', o.patienceSeconds);
  if (o.handleSdSeconds !== undefined) positive('--handle-sd', o.handleSdSeconds);
  const warmup = o.warmupHours ?? 0;
  if (!(Number.isFinite(warmup) && warmup >= 0 && warmup < o.hours)) throw new InvalidInputError('--warmup', `must be ≥ 0 and below --hours (got ${warmup})`);

  const def: QueueDefinition = {
    id: 'main',
    name: 'main',
    requiredSkills: [{ skill: 'main', minLevel: 1 }],
    priority: 0,
    policy: 'longest-idle',
    overflow: {},
    serviceLevel: { fraction: 0.8, seconds: o.targetTimeSeconds },
    wrapUpSec: 0,
    answerRings: 3,
    stickyAgentSec: 0,
    maxWaitSec: 0,
  };
  const handle: DurationSpec =
    o.handleSdSeconds !== undefined ? { distribution: 'lognormal', meanSec: o.ahtSeconds, sdSec: o.handleSdSeconds } : { distribution: 'exponential', meanSec: o.ahtSeconds };
  return {
    name: 'single-queue',
    horizonSec: o.hours * 3600,
    warmupSec: warmup * 3600,
    maxDrainSec: 24 * 3600,
    ringCadenceSec: DEFAULT_RING_CADENCE_SEC,
    skills: ['main'],
    queues: [{ def, arrivals: [{ fromSec: 0, callsPerHour: o.callsPerHour }], handle, patienceSec: o.patienceSeconds ?? null }],
    agents: [
      {
        name: 'agent',
        count: o.agents,
        skills: [{ skill: 'main', level: 1, primary: true }],
        shifts: [{ startSec: 0, endSec: Number.POSITIVE_INFINITY }],
        breaks: [],
        ronaProbability: 0,
        answerAfterSec: 0,
        missedReadyAfterSec: 0,
      },
    ],
    callerPool: DEFAULT_CALLER_POOL,
    batches: o.batches ?? DEFAULT_BATCHES,
  };
}
