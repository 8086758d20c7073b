import { describe, expect, it } from 'vitest';
import { agentCallsAtTarget, capacity, contactsPerAgentHour, type CapacityInput } from '../../src/erlang/capacity.js';
import { requiredAgents, trafficErlangs } from '../../src/erlang/index.js';
import { inputsFromFlags } from '../../src/cli/capacity.js';
import { InvalidInputError } from '../../src/core/errors.js';

const base: CapacityInput = {
  agents: 100,
  ahtSeconds: 180,
  talkSeconds: 150,
  serviceLevel: 0.8,
  targetTimeSeconds: 20,
  ivrSeconds: 30,
  surveySeconds: 10,
  selfServiceSeconds: 60,
  contactsPerAgentHour: 0,
  fsSetupMs: 50,
  fsMediaMsPerChannelSecond: 1,
  appMsPerCall: 30,
  drachtioMsPerCall: 10,
  redisOpsPerCall: 60,
  coresPerServer: 2,
  channelsPerServer: 2000,
  maxUtilization: 0.7,
};

describe('agent calls a centre answers at its target', () => {
  it('is the largest hourly rate whose Erlang C staffing fits the agents', () => {
    for (const n of [14, 100, 500, 1800]) {
      const calls = agentCallsAtTarget(n, 180, 0.8, 20);
      const need = (perHour: number): number => requiredAgents({ trafficErlangs: trafficErlangs(perHour, 3600, 180), ahtSeconds: 180, serviceLevel: 0.8, targetTimeSeconds: 20 });
      expect(need(calls)).toBeLessThanOrEqual(n);
      expect(need(calls + 1)).toBeGreaterThan(n);
    }
  });

  it('the worked example: 14 agents at 80/20 answer up to 10 Erlangs of AHT 180 s (200 calls an hour) and a little more', () => {
    const calls = agentCallsAtTarget(14, 180, 0.8, 20);
    expect(calls).toBeGreaterThanOrEqual(200);
    expect(calls).toBeLessThan(14 * 20); // fewer than 14 agents fully busy
  });
});

describe('capacity', () => {
  it("the standard's case: 1,800 agents with a busy hour of a tenth of 1.6 million contacts", () => {
    expect(contactsPerAgentHour(0.1)).toBeCloseTo(88.9, 1);
    const r = capacity({ ...base, agents: 1800, contactsPerAgentHour: contactsPerAgentHour(0.1) });
    expect(r.agentCallsPerHour + r.selfServiceCallsPerHour).toBeCloseTo(160_000, -1);
    expect(r.callsPerSecond).toBeCloseTo(44.4, 1);
    expect(r.serviceLevel).toBeGreaterThanOrEqual(0.8);
  });

  it("channels follow Little's law: rate × time up, per stretch of the call", () => {
    const r = capacity({ ...base, agents: 100, contactsPerAgentHour: 0 });
    const rate = r.agentCallsPerHour / 3600;
    expect(r.selfServiceCallsPerHour).toBe(0);
    expect(r.meanChannels).toBeCloseTo(rate * (30 + r.asaSeconds + 150 + 10) + rate * 150, 6);
    expect(r.peakChannels).toBe(Math.ceil(r.meanChannels + 3 * Math.sqrt(r.meanChannels)));
  });

  it('FreeSWITCH cores: set-up per call plus media per channel-second; servers get one spare', () => {
    const r = capacity({ ...base, agents: 500, contactsPerAgentHour: 80 });
    expect(r.fsCores).toBeCloseTo((r.callsPerSecond * 50 + r.peakChannels * 1) / 1000, 9);
    expect(r.mediaServers).toBe(Math.ceil(r.fsCores / 1.4) + 1);
    // A low channel limit per server binds instead of the CPU.
    const capped = capacity({ ...base, agents: 500, contactsPerAgentHour: 80, channelsPerServer: 100 });
    expect(capped.mediaServers).toBe(Math.ceil(capped.peakChannels / 100) + 1);
  });

  it('app instances: one core each, at least two; drachtio the same', () => {
    const small = capacity({ ...base, agents: 10 });
    expect(small.appInstances).toBe(2);
    expect(small.drachtioServers).toBe(2);
    const busy = capacity({ ...base, agents: 500, contactsPerAgentHour: 80, appMsPerCall: 100 });
    expect(busy.appInstances).toBe(Math.ceil((busy.callsPerSecond * 100) / 1000 / 0.7) + 1);
  });

  it('refuses bad input naming the field', () => {
    expect(() => capacity({ ...base, agents: 0 })).toThrow(InvalidInputError);
    expect(() => capacity({ ...base, maxUtilization: 1.5 })).toThrow(/maxUtilization/);
    expect(() => capacity({ ...base, fsSetupMs: -1 })).toThrow(/fsSetupMs/);
  });

  it('the command reads one row per size and names a bad flag', () => {
    const flags = {
      agents: '100,500',
      aht: '180',
      talk: '150',
      targetSl: '0.8',
      targetTime: '20',
      ivr: '30',
      survey: '10',
      selfService: '60',
      busyHourShare: '0.1',
      fsSetupMs: '60',
      fsMediaMs: '1',
      appMs: '30',
      drachtioMs: '9',
      redisOps: '60',
      cores: '2',
      channels: '2000',
      maxUtilization: '0.7',
      mediaRelease: '0',
    };
    expect(inputsFromFlags(flags).map((i) => i.agents)).toEqual([100, 500]);
    expect(() => inputsFromFlags({ ...flags, agents: '100,x' })).toThrow(/--agents/);
    expect(() => inputsFromFlags({ ...flags, fsMediaMs: '1ms' })).toThrow(/--fs-media-ms/);
  });
});

describe('media release in the sizing', () => {
  it('a released talk holds no channel: at share 1 the channels are the IVR, the wait and the survey only', () => {
    const kept = capacity({ ...base, agents: 500 });
    const released = capacity({ ...base, agents: 500, releasedTalkShare: 1 });
    const half = capacity({ ...base, agents: 500, releasedTalkShare: 0.5 });
    const rate = kept.agentCallsPerHour / 3600;
    expect(kept.meanChannels - released.meanChannels).toBeCloseTo(rate * 150 * 2, 6);
    expect(kept.meanChannels - half.meanChannels).toBeCloseTo(rate * 150, 6);
    expect(released.mediaServers).toBeLessThanOrEqual(kept.mediaServers);
    expect(() => capacity({ ...base, releasedTalkShare: 1.5 })).toThrow(/releasedTalkShare/);
  });
});

