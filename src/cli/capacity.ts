import type { Command } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import { capacity, contactsPerAgentHour, DEFAULT_BUSY_HOUR_SHARE, type CapacityInput, type CapacityRow } from '../erlang/capacity.js';
import { parseNumber } from './erlang.js';
import { columnWidths } from './text.js';

/**
 * The per-call costs `acd capacity` assumes unless told otherwise. They come from `acd bench sip-load` on the 2-core
 * development machine (docs/capacity.md says which run and how the set-up and media parts were separated); a
 * user re-measures on their own hardware and passes the figures as flags.
 */
export const MEASURED_DEFAULTS = {
  fsSetupMs: 100,
  fsMediaMsPerChannelSecond: 3.3,
  appMsPerCall: 57.5,
  drachtioMsPerCall: 17.5,
  channelsPerServer: 2000,
  coresPerServer: 2,
  redisOpsPerCall: 20,
} as const;

interface RawFlags {
  agents: string;
  aht: string;
  talk: string;
  targetSl: string;
  targetTime: string;
  ivr: string;
  survey: string;
  selfService: string;
  busyHourShare: string;
  contactsPerAgentHour?: string;
  fsSetupMs: string;
  fsMediaMs: string;
  appMs: string;
  drachtioMs: string;
  redisOps: string;
  cores: string;
  channels: string;
  maxUtilization: string;
  mediaRelease: string;
  json?: boolean;
}

export function inputsFromFlags(f: RawFlags): CapacityInput[] {
  const n = (flag: string, raw: string): number => parseNumber(flag, raw)!;
  const sizes = f.agents.split(',').map((s) => n('--agents', s));
  for (const s of sizes) if (!(s > 0)) throw new InvalidInputError('--agents', `each size must be greater than 0 (got ${s})`);
  const base = {
    ahtSeconds: n('--aht', f.aht),
    talkSeconds: n('--talk', f.talk),
    serviceLevel: n('--target-sl', f.targetSl),
    targetTimeSeconds: n('--target-time', f.targetTime),
    ivrSeconds: n('--ivr', f.ivr),
    surveySeconds: n('--survey', f.survey),
    selfServiceSeconds: n('--self-service', f.selfService),
    contactsPerAgentHour:
      f.contactsPerAgentHour !== undefined ? n('--contacts-per-agent-hour', f.contactsPerAgentHour) : contactsPerAgentHour(n('--busy-hour-share', f.busyHourShare)),
    fsSetupMs: n('--fs-setup-ms', f.fsSetupMs),
    fsMediaMsPerChannelSecond: n('--fs-media-ms', f.fsMediaMs),
    appMsPerCall: n('--app-ms', f.appMs),
    drachtioMsPerCall: n('--drachtio-ms', f.drachtioMs),
    redisOpsPerCall: n('--redis-ops', f.redisOps),
    coresPerServer: n('--cores', f.cores),
    channelsPerServer: n('--channels', f.channels),
    maxUtilization: n('--max-utilization', f.maxUtilization),
    releasedTalkShare: n('--media-release', f.mediaRelease),
  };
  return sizes.map((agents) => ({ ...base, agents }));
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');

export function formatCapacity(rows: readonly CapacityRow[], i: CapacityInput): string {
  const head = ['agents', 'agent calls/h', 'self-service/h', 'calls/s', 'SL', 'ASA s', 'channels mean', 'channels peak', 'FS cores', 'media servers', 'app instances', 'drachtio', 'Redis ops/s'];
  const body = rows.map((r) => [
    int(r.agents),
    int(r.agentCallsPerHour),
    int(r.selfServiceCallsPerHour),
    r.callsPerSecond.toFixed(1),
    `${(r.serviceLevel * 100).toFixed(1)}%`,
    r.asaSeconds.toFixed(1),
    int(r.meanChannels),
    int(r.peakChannels),
    r.fsCores.toFixed(1),
    String(r.mediaServers),
    String(r.appInstances),
    String(r.drachtioServers),
    int(r.redisOpsPerSecond),
  ]);
  const widths = columnWidths([head, ...body]);
  const line = (cells: string[]): string => `| ${cells.map((c, k) => c.padStart(widths[k]!)).join(' | ')} |`;
  return [
    `busy hour: ${i.contactsPerAgentHour.toFixed(1)} contacts per agent; AHT ${i.ahtSeconds} s (talk ${i.talkSeconds} s); ` +
      `target ${(i.serviceLevel * 100).toFixed(0)}/${i.targetTimeSeconds}; IVR ${i.ivrSeconds} s + survey ${i.surveySeconds} s per agent call, ` +
      `${i.selfServiceSeconds} s per self-service call`,
    `per call: FreeSWITCH ${i.fsSetupMs} ms + ${i.fsMediaMsPerChannelSecond} ms per channel-second, app ${i.appMsPerCall} ms, drachtio ${i.drachtioMsPerCall} ms, ` +
      `${i.redisOpsPerCall} Redis commands; servers of ${i.coresPerServer} cores, ≤ ${i.channelsPerServer} channels each, planned to ${(i.maxUtilization * 100).toFixed(0)}% CPU; ` +
      'media servers, app instances and drachtio-servers include one spare (N+1)' +
      ((i.releasedTalkShare ?? 0) > 0 ? `; the talk of ${((i.releasedTalkShare ?? 0) * 100).toFixed(0)}% of agent calls without FreeSWITCH (media release)` : ''),
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

export function register(program: Command): void {
  const d = MEASURED_DEFAULTS;
  program
    .command('capacity')
    .description('media servers, app instances and drachtio-servers a centre needs in its busy hour, from the measured CPU per call (docs/capacity.md)')
    .option('--agents <n,n,…>', 'agents on the phones, one row each', '100,500,1800')
    .option('--aht <seconds>', 'agent handle time: talk + hold + after-call work', '180')
    .option('--talk <seconds>', 'of it, connected to the caller', '150')
    .option('--target-sl <fraction>', 'service-level target', '0.8')
    .option('--target-time <seconds>', 'answer-time target', '20')
    .option('--ivr <seconds>', 'IVR time before the queue (greeting, menu, announcements)', '30')
    .option('--survey <seconds>', 'satisfaction survey after the agent', '10')
    .option('--self-service <seconds>', 'IVR time of a call that never reaches an agent', '60')
    .option('--busy-hour-share <fraction>', "busy hour's share of the day, applied to the standard's 1,800 agents / 1.6 million contacts a day", String(DEFAULT_BUSY_HOUR_SHARE))
    .option('--contacts-per-agent-hour <n>', 'busy-hour contacts per agent (overrides --busy-hour-share)')
    .option('--fs-setup-ms <ms>', 'FreeSWITCH CPU per call for set-up and control', String(d.fsSetupMs))
    .option('--fs-media-ms <ms>', 'FreeSWITCH CPU per channel per second of media', String(d.fsMediaMsPerChannelSecond))
    .option('--app-ms <ms>', 'app CPU per call', String(d.appMsPerCall))
    .option('--drachtio-ms <ms>', 'drachtio-server CPU per call', String(d.drachtioMsPerCall))
    .option('--redis-ops <n>', 'Redis commands per call', String(d.redisOpsPerCall))
    .option('--cores <n>', 'cores per media server / drachtio host', String(d.coresPerServer))
    .option('--channels <n>', 'channels one media server may carry', String(d.channelsPerServer))
    .option('--max-utilization <fraction>', 'highest planned CPU utilisation', '0.7')
    .option('--media-release <fraction>', "share of agent calls whose talk leaves FreeSWITCH (queues with releaseMedia)", '0')
    .option('--json', 'print JSON rows')
    .action((flags: RawFlags) => {
      const inputs = inputsFromFlags(flags);
      const rows = inputs.map(capacity);
      console.log(flags.json ? JSON.stringify(rows, null, 2) : formatCapacity(rows, inputs[0]!));
    });
}
