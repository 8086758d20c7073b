import { erlangCMetricsUnchecked } from './erlang-c.js';
import { requiredAgentsErlangC } from './staffing.js';
import { requireFractionAboveZero, requireFractionBelowOne, requireNonNegative, requirePositive } from './validate.js';

/**
 * Sizing a centre's servers from its agents: how many FreeSWITCH media servers, app instances and drachtio-servers
 * carry the busy hour, from the CPU a call costs each of them (measured by `acd bench sip-load`).
 *
 * The load: a centre with N agents on the phones serves, in its busy hour, as many agent calls as N agents can answer
 * at the service-level target (Erlang C: the largest arrival rate whose required agents is ≤ N), plus self-service
 * calls that end in the IVR, so that all contacts per agent-hour match the standard's one sizing case (1,800 agents,
 * 1.6 million contacts a day) with a busy hour of `busyHourShare` of the day.
 *
 * The cost: each component's CPU per call is a set-up part (SIP, event sockets, API commands, the ACD) and, for
 * FreeSWITCH, a media part per channel-second (RTP, playback, detection). A server is full at `maxUtilization` of its
 * cores or at `channelsPerServer` channels, whichever comes first; one spare of each kind is added (N+1) so one
 * failure or upgrade does not cut service.
 */
export interface CapacityInput {
  /** Agents on the phones in the busy hour (seats logged in and taking calls). */
  readonly agents: number;
  /** Agent handle time: talk + hold + after-call work (s). */
  readonly ahtSeconds: number;
  /** Of it, the time the caller is connected to the agent (media on two channels) (s). */
  readonly talkSeconds: number;
  /** Service-level target: this fraction answered within `targetTimeSeconds`. */
  readonly serviceLevel: number;
  readonly targetTimeSeconds: number;
  /** IVR time before the queue of a call that reaches an agent, and the survey after it (s). */
  readonly ivrSeconds: number;
  readonly surveySeconds: number;
  /** IVR time of a self-service call that never reaches an agent (s). */
  readonly selfServiceSeconds: number;
  /** All contacts (agent and self-service) per agent in the busy hour. */
  readonly contactsPerAgentHour: number;
  /** Measured per call: FreeSWITCH CPU for set-up and control, excluding media (ms). */
  readonly fsSetupMs: number;
  /** Measured: FreeSWITCH CPU per channel per second of media (ms). */
  readonly fsMediaMsPerChannelSecond: number;
  /** Measured per call: the app's CPU (one Node process uses one core for its event loop) (ms). */
  readonly appMsPerCall: number;
  /** Measured per call: drachtio-server's CPU (ms). */
  readonly drachtioMsPerCall: number;
  /** Redis commands per call (ACD functions, counters, streams), for the Redis load line. */
  readonly redisOpsPerCall: number;
  /** Cores of one media server, and of one drachtio host. */
  readonly coresPerServer: number;
  /** Channels one media server may carry (its tested concurrency limit). */
  readonly channelsPerServer: number;
  /** Highest CPU utilisation planned for (headroom for bursts and failover). */
  readonly maxUtilization: number;
  /**
   * Share of agent calls whose talk leaves FreeSWITCH (media release, docs/capacity.md): neither leg holds a channel
   * while they talk. 0 when absent.
   */
  readonly releasedTalkShare?: number;
}

export interface CapacityRow {
  readonly agents: number;
  /** Busy-hour calls answered by agents, and self-service calls (per hour). */
  readonly agentCallsPerHour: number;
  readonly selfServiceCallsPerHour: number;
  /** All calls arriving, per second. */
  readonly callsPerSecond: number;
  /** Service level and mean wait the agents give at that load (Erlang C). */
  readonly serviceLevel: number;
  readonly asaSeconds: number;
  /** Mean FreeSWITCH channels up at once, and the planning peak (mean + 3 √mean). */
  readonly meanChannels: number;
  readonly peakChannels: number;
  readonly fsCores: number;
  readonly mediaServers: number;
  readonly appInstances: number;
  readonly drachtioCores: number;
  readonly drachtioServers: number;
  readonly redisOpsPerSecond: number;
}

/**
 * The standard's sizing case (§9): 1,800 agents, 1.6 million contacts a day. With a busy hour of a tenth of the day
 * that is 160,000 contacts in the hour, 88.9 per agent.
 */
export const STANDARD_CONTACTS_PER_DAY = 1_600_000;
export const STANDARD_AGENTS = 1_800;
export const DEFAULT_BUSY_HOUR_SHARE = 0.1;

export function contactsPerAgentHour(busyHourShare: number): number {
  return (STANDARD_CONTACTS_PER_DAY * requireFractionAboveZero('busyHourShare', busyHourShare)) / STANDARD_AGENTS;
}

/** The largest agent-call rate (per hour) that `agents` can answer at the target: a bisection on Erlang C. */
export function agentCallsAtTarget(agents: number, ahtSeconds: number, serviceLevel: number, targetTimeSeconds: number): number {
  const fits = (callsPerHour: number): boolean =>
    requiredAgentsErlangC((callsPerHour * ahtSeconds) / 3600, ahtSeconds, serviceLevel, targetTimeSeconds, 0, 1) <= agents;
  let lo = 0; // fits
  let hi = Math.ceil((agents * 3600) / ahtSeconds); // traffic ≥ agents: never meets a target
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function validate(i: CapacityInput): void {
  requirePositive('agents', i.agents);
  requirePositive('ahtSeconds', i.ahtSeconds);
  requireNonNegative('talkSeconds', i.talkSeconds);
  if (i.talkSeconds > i.ahtSeconds) requirePositive('ahtSeconds - talkSeconds', i.ahtSeconds - i.talkSeconds);
  requireFractionBelowOne('serviceLevel', i.serviceLevel);
  requireNonNegative('targetTimeSeconds', i.targetTimeSeconds);
  for (const k of ['ivrSeconds', 'surveySeconds', 'selfServiceSeconds', 'contactsPerAgentHour', 'fsSetupMs', 'fsMediaMsPerChannelSecond', 'appMsPerCall', 'drachtioMsPerCall', 'redisOpsPerCall'] as const) {
    requireNonNegative(k, i[k]);
  }
  requirePositive('coresPerServer', i.coresPerServer);
  requirePositive('channelsPerServer', i.channelsPerServer);
  requireFractionAboveZero('maxUtilization', i.maxUtilization);
  const share = requireNonNegative('releasedTalkShare', i.releasedTalkShare ?? 0);
  if (share > 1) requireFractionAboveZero('releasedTalkShare', share);
}

export function capacity(i: CapacityInput): CapacityRow {
  validate(i);
  const agentCalls = agentCallsAtTarget(i.agents, i.ahtSeconds, i.serviceLevel, i.targetTimeSeconds);
  const selfService = Math.max(0, i.agents * i.contactsPerAgentHour - agentCalls);
  const a = (agentCalls * i.ahtSeconds) / 3600;
  const q = erlangCMetricsUnchecked(a, i.ahtSeconds, i.agents, i.targetTimeSeconds);
  const asa = q.asaSeconds ?? 0;
  const perSecond = (agentCalls + selfService) / 3600;
  // Little's law per stretch of a call: channels up = arrival rate × time up. The caller's channel lives through the
  // IVR, the wait, the talk and the survey; the seat's only through the talk. A released talk holds neither.
  const agentRate = agentCalls / 3600;
  const anchoredTalk = i.talkSeconds * (1 - (i.releasedTalkShare ?? 0));
  const callerChannels = agentRate * (i.ivrSeconds + asa + anchoredTalk + i.surveySeconds) + (selfService / 3600) * i.selfServiceSeconds;
  const seatChannels = agentRate * anchoredTalk;
  const meanChannels = callerChannels + seatChannels;
  // Channels up at once are Poisson-like (many independent calls): plan for mean + 3 standard deviations.
  const peakChannels = Math.ceil(meanChannels + 3 * Math.sqrt(meanChannels));
  const fsCores = (perSecond * i.fsSetupMs + peakChannels * i.fsMediaMsPerChannelSecond) / 1000;
  const usable = i.coresPerServer * i.maxUtilization;
  const mediaServers = Math.max(Math.ceil(fsCores / usable), Math.ceil(peakChannels / i.channelsPerServer)) + 1;
  // One Node process runs its event loop on one core: an instance is full at maxUtilization of one core.
  const appCores = (perSecond * i.appMsPerCall) / 1000;
  const appInstances = Math.max(2, Math.ceil(appCores / i.maxUtilization) + 1);
  const drachtioCores = (perSecond * i.drachtioMsPerCall) / 1000;
  const drachtioServers = Math.max(2, Math.ceil(drachtioCores / usable) + 1);
  return {
    agents: i.agents,
    agentCallsPerHour: agentCalls,
    selfServiceCallsPerHour: Math.round(selfService),
    callsPerSecond: perSecond,
    serviceLevel: q.serviceLevel,
    asaSeconds: asa,
    meanChannels,
    peakChannels,
    fsCores,
    mediaServers,
    appInstances,
    drachtioCores,
    drachtioServers,
    redisOpsPerSecond: perSecond * i.redisOpsPerCall,
  };
}
