/**
 * The Erlang engine: pure, synchronous, no I/O. Everything a staffing tool, the queue announcer or the
 * simulator needs, with inputs checked (InvalidInputError naming the field) and no NaN/Infinity for loads from
 * 0.01 to 10^7 Erlangs.
 *
 *   trafficErlangs(calls, intervalSeconds, ahtSeconds)                    offered load A
 *   erlangB(agents, A), erlangC(agents, A)                                blocking / waiting probability
 *   erlangCMetrics({trafficErlangs, ahtSeconds, agents, targetTimeSeconds?})
 *   erlangAMetrics({… , patienceSeconds})                                 with abandonment (Palm / GMR 2002)
 *   requiredAgents({trafficErlangs, ahtSeconds, serviceLevel?, targetTimeSeconds?, asaSeconds?,
 *                   maxOccupancy?, patienceSeconds?})                     smallest whole agent count
 *   requiredAgentsFractional(same)                                        the exact real-valued requirement
 *   scheduledAgents(required, shrinkage)                                  paid agents after shrinkage
 *   expectedWaitAtPosition({position, agents, ahtSeconds, patienceSeconds?})   for queue announcements
 *   queueMetrics({…, patienceSeconds?})                                   Erlang C or A, whichever applies
 *   staffingGap({…StaffingInput, liveAgents})                             live staffing vs the requirement
 *
 * Hot paths that validated their inputs already (the simulator, the benchmark) may call the *Unchecked and
 * requiredAgentsErlangC variants directly.
 */
export { erlangB, erlangC } from './erlang-b.js';
export { erlangCMetrics, erlangCMetricsUnchecked } from './erlang-c.js';
export type { ErlangCInput } from './erlang-c.js';
export { erlangAMetrics, erlangAMetricsUnchecked } from './erlang-a.js';
export type { ErlangAInput } from './erlang-a.js';
export {
  trafficErlangs,
  requiredAgents,
  requiredAgentsErlangC,
  requiredAgentsFractional,
  scheduledAgents,
} from './staffing.js';
export type { StaffingInput } from './staffing.js';
export { expectedWaitAtPosition } from './wait.js';
export { queueMetrics } from './metrics.js';
export type { QueueMetricsInput } from './metrics.js';
export { staffingGap } from './gap.js';
export type { StaffingGap } from './gap.js';
export type { PositionWaitInput } from './wait.js';
export { requiredAgentsRecompute } from './baseline.js';
export type { ErlangAMetrics, Load, QueueMetrics, Targets } from './types.js';
export { DEFAULT_SERVICE_LEVEL, DEFAULT_TARGET_TIME_SECONDS } from './types.js';
export { MAX_TRAFFIC_ERLANGS } from './validate.js';
