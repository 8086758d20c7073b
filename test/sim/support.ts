import type { QueueDefinition } from '../../src/acd/model.js';
import { queue } from '../acd/fixtures.js';
import type { AgentGroup, Scenario, SimQueue } from '../../src/sim/scenario.js';

/** A queue served by the skill of the same name (the ACD tests' fixture with that one requirement). */
export function queueDef(id: string, over: Partial<QueueDefinition> = {}): QueueDefinition {
  return queue(id, { requiredSkills: [{ skill: id, minLevel: 1 }], ...over });
}

export function simQueue(id: string, callsPerHour: number, over: Partial<SimQueue> = {}, def: Partial<QueueDefinition> = {}): SimQueue {
  return { def: queueDef(id, def), arrivals: [{ fromSec: 0, callsPerHour }], handle: { distribution: 'exponential', meanSec: 60 }, patienceSec: null, ...over };
}

export function group(name: string, count: number, skill: string, over: Partial<AgentGroup> = {}): AgentGroup {
  return {
    name,
    count,
    skills: [{ skill, level: 3, primary: true }],
    shifts: [{ startSec: 0, endSec: Number.POSITIVE_INFINITY }],
    breaks: [],
    ronaProbability: 0,
    answerAfterSec: 0,
    missedReadyAfterSec: 30,
    ...over,
  };
}

export function scenario(over: Partial<Scenario> & Pick<Scenario, 'queues' | 'agents'>): Scenario {
  return {
    name: 'test',
    horizonSec: 3600,
    warmupSec: 0,
    maxDrainSec: 3600,
    ringCadenceSec: 5,
    skills: [...new Set(over.queues.flatMap((q) => q.def.requiredSkills.map((r) => r.skill)).concat(over.agents.flatMap((g) => g.skills.map((s) => s.skill))))],
    callerPool: 1000,
    batches: 20,
    ...over,
  };
}
