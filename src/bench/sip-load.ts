import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../config/index.js';
import { HotlineError, InvalidInputError } from '../core/errors.js';
import { AgentRepository } from '../store/pg/agents.js';
import { Db } from '../store/pg/db.js';
import { migrate } from '../store/pg/migrate.js';
import {
  Background,
  buildFsOverlay,
  missingBuild,
  mrfProfile,
  portsTaken,
  run,
  sleep,
  startDrachtio,
  startFreeswitch,
  telephonyPaths,
  DRACHTIO_LOG_LEVELS,
  type DrachtioLogLevel,
  type FsPriority,
  type OwnFreeswitch,
  type TelephonyPaths,
} from './servers.js';
import { parseSippStats, sippDurationMs, type SippStatRow } from './sipp-stats.js';
import { combineLoops, sampleLoop, type LoopSummary } from './loop-sampler.js';
import { parsePromText } from './prom-text.js';
import { acdLeftovers, formatOverload, overloadVerdicts, recordsSince, answeredInCounts, longestRefusal, parseRtt, shedInCounts, shedSplit, shedTimeline, shedTiming, shedWithin, SHED_WITHIN_MS, type RttSample, type OverloadStep, type ShedBucket, type ShedTiming, type Verdict, type Leftovers } from './overload.js';

/**
 * `acd bench sip-load`: real calls through the hotline (SIPp caller → drachtio-server → this app → FreeSWITCH media,
 * the IVR greeting and menu, a DTMF choice, the ACD queue, a registered seat answering, talk, the agent hangs up)
 * beside the same FreeSWITCH answering an equivalent IVR alone in its own dialplan (test/e2e/load/freeswitch).
 * The call rate climbs in steps, both sides interleaved at each rate so a busy machine weighs on both alike; a side
 * stops at its first step where more than --max-fail of the calls fail. Reported per side: calls per second
 * sustained (highest rate that held), concurrent calls held at that rate, failed calls; and the ratios.
 * It starts its own drachtio-server and FreeSWITCH (builds under --telephony, overlay config, private ports), the
 * app and SIPp, and stops them all afterwards. Without those builds or SIPp it prints "skipped" and exits 0.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOAD_DIR = join(REPO, 'test', 'e2e', 'load');
const HOTLINE_ID = 'sip-load';
const APP_NUMBER = '55501';
/** The app's queue in test/e2e/load/flows (the one --media-release releases). */
const APP_QUEUE = 'load';
const BASELINE_NUMBER = '55500';
const SIP_DOMAIN = 'hotline.local';
const DTMF_PCAP = '/usr/share/sip-tester/dtmf_2833_1.pcap';
// The benchmark runs its own drachtio-server and FreeSWITCH on loopback ports of its own, beside whatever servers
// others run on the usual ones (5060, 9022, 8021, 5080, RTP 20000-): it never stops or shares theirs.
const PORTS = {
  drachtioSip: 5160,
  drachtioAdmin: 9122,
  fsEsl: 8121,
  fsMrf: 5180,
  baselineSip: 5182,
  fsmrfListen: 8185,
  http: 18099,
  appAgent: 5191,
  baselineAgent: 5192,
  appCaller: 5193,
  baselineCaller: 5194,
  seatSetup: 5195,
};
const FS_RTP = { start: 30000, end: 39998 };
/** --app-instances at most: each takes an HTTP port above PORTS.http and two fsmrf ports above PORTS.fsmrfListen. */
const MAX_APP_INSTANCES = 4;
/** Instance i's (0-based) ports: the first keeps PORTS.http and PORTS.fsmrfListen. */
function appPorts(i: number): { http: number; fsmrfListen: number } {
  return { http: PORTS.http + i, fsmrfListen: PORTS.fsmrfListen + 2 * i };
}
/** Instance i's name in cpuMs and its log: app, app2, app3, … */
const appName = (i: number): string => (i === 0 ? 'app' : `app${i + 1}`);
// Media ports SIPp puts in its SDP: clear of FreeSWITCH's RTP range and of the e2e suite's SIPp (16000-).
const RTP = { appAgent: 41000, baselineAgent: 41100, appCaller: 41200, baselineCaller: 41300, seatSetup: 41400 };

export type Side = 'baseline' | 'hotline';

// ---------------------------------------------------------------------------------------------------------------
// SIPp statistics and verdicts (pure)

const num = (row: SippStatRow | undefined, key: string): number => {
  const v = Number(row?.[key]);
  return Number.isFinite(v) ? v : 0;
};

export interface CallerStats {
  created: number;
  ok: number;
  failed: number;
  maxConcurrent: number;
  /** Mean INVITE → 200 OK. */
  setupMs: number;
  /** Mean 200 OK → the far end's BYE (the whole IVR + queue + talk). */
  callSec: number;
  /** Non-zero SIPp failure counters, e.g. FailedTimeoutOnRecv, FailedUnexpectedMessage. */
  reasons: Record<string, number>;
}

export function callerStats(rows: readonly SippStatRow[]): CallerStats {
  const last = rows[rows.length - 1];
  const reasons: Record<string, number> = {};
  for (const key of Object.keys(last ?? {})) {
    const m = /^(Failed\w+)\(C\)$/.exec(key);
    if (m && m[1] !== 'FailedCall' && num(last, key) > 0) reasons[m[1]!] = num(last, key);
  }
  return {
    created: num(last, 'TotalCallCreated'),
    ok: num(last, 'SuccessfulCall(C)'),
    failed: num(last, 'FailedCall(C)'),
    maxConcurrent: rows.reduce((m, r) => Math.max(m, num(r, 'CurrentCall')), 0),
    setupMs: round(sippDurationMs(last?.['ResponseTimesetup(C)']), 1),
    callSec: round(sippDurationMs(last?.['ResponseTimecall(C)']) / 1000, 2),
    reasons,
  };
}

/** Calls the agents' SIPp finished (answered, talked, hung up) so far, from its latest statistics line. */
export function agentCallsDone(rows: readonly SippStatRow[]): number {
  return num(rows[rows.length - 1], 'SuccessfulCall(C)');
}

export interface StepResult {
  side: Side;
  rate: number;
  /** Calls the step was to place: rate × step seconds. */
  offered: number;
  created: number;
  /** Calls that went all the way: the caller's scenario succeeded and an agent answered, talked and hung up. */
  completed: number;
  /** Calls refused at once with 503 or 480 carrying Retry-After (the app's load shedding): not failed. */
  shed: number;
  failed: number;
  maxConcurrent: number;
  setupMs: number;
  callSec: number;
  held: boolean;
  reasons: Record<string, number>;
  /**
   * CPU time the side's servers spent during the step, per component (ms): the baseline is FreeSWITCH alone; the
   * hotline is FreeSWITCH + drachtio-server + the app. SIPp (the load generator) is not counted.
   */
  cpuMs: Record<string, number>;
  /** The hotline's endpoint event-socket counters (hotline_esl_* from the app's /metrics) over the step; {} without them. */
  esl?: Record<string, number>;
  /** How fast the shed calls got their 503/480 (SIPp's "shed" response time), when some were shed. */
  shedTiming?: ShedTiming;
  /** Shed fraction per 5 s of the step (SIPp -trace_counts and -trace_rtt), when some were shed. */
  timeline?: ShedBucket[];
  /** Calls the far end answered (200 OK), from SIPp's -trace_counts. */
  accepted?: number;
  /** The longest stretch of consecutive refusals, when some were shed. */
  longestRefusal?: { calls: number; sec: number };
  /** The app's event loop during the step (hotline side, when its /metrics answered). */
  loop?: LoopSummary;
}

/**
 * A call counts only when both ends saw it through: the caller's scenario (answered, released by the far end within
 * 60 s) and an agent's (rang, answered, talked, hung up). Calls SIPp never managed to place count as failed too.
 */
export function stepResult(input: {
  side: Side;
  rate: number;
  stepSec: number;
  caller: CallerStats;
  agentCalls: number;
  maxFail: number;
  /** Calls the caller's scenario ended through its "shed" branch (503/480 with Retry-After) within 1 s. */
  shed?: number;
  /** Calls that took the shed branch too, but slowly (≥ 1 s: a set-up that failed, not a shed): failed. */
  slowShed?: number;
  cpuMs?: Record<string, number>;
  esl?: Record<string, number>;
}): StepResult {
  const { caller } = input;
  const offered = Math.round(input.rate * input.stepSec);
  const shed = Math.min(input.shed ?? 0, caller.ok);
  const slowShed = Math.min(input.slowShed ?? 0, caller.ok - shed);
  const answered = caller.ok - shed - slowShed;
  const completed = Math.min(answered, input.agentCalls);
  const failed = Math.max(0, offered - completed - shed);
  const reasons = { ...caller.reasons };
  if (answered > input.agentCalls) reasons.NoAgentAnswered = answered - input.agentCalls;
  if (slowShed > 0) reasons.Slow503 = slowShed;
  if (caller.created < offered) reasons.NotPlaced = offered - caller.created;
  return {
    side: input.side,
    rate: input.rate,
    offered,
    created: caller.created,
    completed,
    shed,
    failed,
    maxConcurrent: caller.maxConcurrent,
    setupMs: caller.setupMs,
    callSec: caller.callSec,
    // Sustained means served: a step where calls are shed did not hold that rate, however cleanly it shed them.
    held: offered > 0 && failed + shed <= input.maxFail * offered,
    reasons,
    cpuMs: input.cpuMs ?? {},
    ...(input.esl && Object.keys(input.esl).length > 0 ? { esl: input.esl } : {}),
  };
}

/**
 * CPU milliseconds per completed call over some steps (undefined without completed calls or CPU figures), of the
 * servers `which` picks (default all: FreeSWITCH, drachtio-server and the app).
 */
export function cpuPerCall(steps: readonly StepResult[], which: (server: string) => boolean = () => true): number | undefined {
  const calls = steps.reduce((n, s) => n + s.completed, 0);
  const ms = steps.reduce((n, s) => n + Object.entries(s.cpuMs).reduce((a, [k, v]) => a + (which(k) ? v : 0), 0), 0);
  return calls > 0 && ms > 0 ? round(ms / calls, 1) : undefined;
}

/** The telephony servers (FreeSWITCH, drachtio-server), as against the app, whose CPU the goal counts apart. */
/** The app's instances are `app`, `app2`, … in a step's cpuMs; everything else is a telephony server. */
const isApp = (server: string): boolean => /^app\d*$/.test(server);
const isTelephonyServer = (server: string): boolean => !isApp(server);

export interface SideSummary {
  /** Highest rate (calls/s) whose step held; 0 when none did. */
  sustainedCps: number;
  /**
   * Highest rate whose step held with its calls on time: the mean call no more than ON_TIME_SLACK longer than at the
   * side's first step. A FreeSWITCH past its limit still completes its calls, with prompts and digits seconds late
   * (FreeSWITCH alone at 64 calls/s on the 2-core bench: 17.1 s calls for 12.7, set-up 982 ms), and "held" alone
   * counts that as sustained; the hotline sheds instead. This compares the two at the same service.
   */
  sustainedOnTimeCps: number;
  /** Most calls up at once during the steps that held. */
  concurrentHeld: number;
  /** Failed calls over every step this side ran. */
  failedCalls: number;
  /** Failed calls in the steps that held (within the tolerance). */
  failedWhileHeld: number;
  /** The first rate that did not hold, if the ramp got there. */
  brokeAt: number | undefined;
  /** CPU ms per completed call over the steps that held: all servers (FreeSWITCH, drachtio-server and the app). */
  cpuMsPerCall: number | undefined;
  /** The same for the telephony servers only: FreeSWITCH and drachtio-server (the baseline: FreeSWITCH). */
  serverCpuMsPerCall: number | undefined;
  /** The same for the app only (undefined for the baseline). */
  appCpuMsPerCall: number | undefined;
}

/** How much longer than at the first step a call may last and still count as on time (sustainedOnTimeCps). */
export const ON_TIME_SLACK = 0.1;

export function summarizeSide(steps: readonly StepResult[]): SideSummary {
  const held = steps.filter((s) => s.held);
  const ref = steps[0]?.callSec;
  const onTime = held.filter((s) => ref !== undefined && Number.isFinite(ref) && Number.isFinite(s.callSec) && s.callSec <= ref * (1 + ON_TIME_SLACK));
  return {
    sustainedCps: held.reduce((m, s) => Math.max(m, s.rate), 0),
    sustainedOnTimeCps: onTime.reduce((m, s) => Math.max(m, s.rate), 0),
    concurrentHeld: held.reduce((m, s) => Math.max(m, s.maxConcurrent), 0),
    failedCalls: steps.reduce((n, s) => n + s.failed, 0),
    failedWhileHeld: held.reduce((n, s) => n + s.failed, 0),
    brokeAt: steps.find((s) => !s.held)?.rate,
    cpuMsPerCall: cpuPerCall(held),
    serverCpuMsPerCall: cpuPerCall(held, isTelephonyServer),
    appCpuMsPerCall: cpuPerCall(held, isApp),
  };
}

export interface SipLoadResult {
  status: 'done';
  settings: { rates: number[]; stepSec: number; seats: number; talkMs: number; dtmfMs: number; maxFail: number; fsConf: string; mediaControl?: string; mediaRelease?: boolean; appInstances?: number; fsPriority?: FsPriority; drachtioLogLevel?: DrachtioLogLevel; admitRateFloor?: number };
  steps: StepResult[];
  baseline: SideSummary;
  hotline: SideSummary;
  ratio: { sustainedCps: number; sustainedOnTimeCps?: number; concurrentHeld: number; cpuMsPerCall: number; serverCpuMsPerCall: number };
  /** Where the time went, with --profile: perf's top symbols per server, the app's CPU profile by module. */
  profiles?: ProfileSummary[];
  /** With --overload: the step at factor × the sustainable rate, what was left after it, the verdicts. */
  overload?: { step: OverloadStep; leftovers: Leftovers; verdicts: Verdict[]; settleSec: number };
  notes: string[];
}

export interface ProfileSummary {
  side: Side;
  rate: number | undefined;
  server: string;
  file: string;
  /** The top lines: `perf report` (percent, object, symbol) or the app's modules / functions by self time. */
  top: string[];
}

export function ratios(hotline: SideSummary, baseline: SideSummary): SipLoadResult['ratio'] {
  const r = (a: number, b: number) => (b > 0 ? round(a / b, 3) : NaN);
  return {
    sustainedCps: r(hotline.sustainedCps, baseline.sustainedCps),
    sustainedOnTimeCps: r(hotline.sustainedOnTimeCps, baseline.sustainedOnTimeCps),
    concurrentHeld: r(hotline.concurrentHeld, baseline.concurrentHeld),
    cpuMsPerCall: r(hotline.cpuMsPerCall ?? NaN, baseline.cpuMsPerCall ?? NaN),
    serverCpuMsPerCall: r(hotline.serverCpuMsPerCall ?? NaN, baseline.serverCpuMsPerCall ?? NaN),
  };
}

export function formatReport(r: SipLoadResult): string {
  const s = r.settings;
  const out: string[] = [];
  out.push('acd bench sip-load: the hotline (SIPp → drachtio → acd → FreeSWITCH) beside FreeSWITCH alone running the same IVR');
  out.push(
    `call: greeting + menu, DTMF 1 after ${s.dtmfMs / 1000} s, queue, agent answers after 0.5 s, talks ${s.talkMs / 1000} s, hangs up; ` +
      `${s.stepSec} s of arrivals per step; a step holds when ≤ ${round(s.maxFail * 100, 2)}% of its calls fail or are shed (503/480 with Retry-After); ${s.seats} seats` +
      (s.mediaControl ? `; the app's MEDIA_CONTROL ${s.mediaControl}` : '') +
      (s.mediaRelease ? '; media released while the agent talks (the app re-INVITEs the caller to the seat)' : '') +
      ((s.appInstances ?? 1) > 1 ? `; ${s.appInstances} app instances on the one drachtio-server (it hands out new calls round-robin)` : '') +
      (s.fsPriority ? `; FreeSWITCH at ${s.fsPriority === 'normal' ? 'normal priority (-np)' : 'realtime priority (SCHED_FIFO, its default as root)'}, both sides` : '') +
      (s.drachtioLogLevel ? `; drachtio-server logging at ${s.drachtioLogLevel}${s.drachtioLogLevel === 'info' || s.drachtioLogLevel === 'debug' ? ' (every SIP message)' : ''}` : '') +
      (s.admitRateFloor !== undefined ? `; the app's admission rate limit ${s.admitRateFloor > 0 ? `from ${s.admitRateFloor} calls/s (ADMIT_RATE_FLOOR)` : 'off (ADMIT_RATE_FLOOR=0)'}` : ''),
  );
  out.push('');
  const head = ['rate/s', 'side', 'offered', 'completed', 'shed', 'failed', 'shed %', 'concurrent', 'setup ms', 'call s', 'cpu ms/call', 'held', 'reasons (failures; the app\'s 503s)'];
  const rows = r.steps.map((t) => [
    String(t.rate),
    t.side,
    String(t.offered),
    String(t.completed),
    String(t.shed),
    String(t.failed),
    t.offered > 0 ? String(round((100 * t.shed) / t.offered, 1)) : '-',
    String(t.maxConcurrent),
    Number.isFinite(t.setupMs) ? String(t.setupMs) : '-',
    Number.isFinite(t.callSec) ? String(t.callSec) : '-',
    String(cpuPerCall([t]) ?? '-'),
    t.held ? 'yes' : 'NO',
    Object.entries(t.reasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  ]);
  out.push(...table(head, rows));
  out.push('');
  const fmt = (x: number) => (Number.isFinite(x) ? String(x) : 'n/a');
  out.push(
    ...table(
      ['', 'baseline (FreeSWITCH alone)', 'hotline', 'ratio hotline/baseline'],
      [
        ['calls per second sustained', String(r.baseline.sustainedCps), String(r.hotline.sustainedCps), fmt(r.ratio.sustainedCps)],
        ...(r.baseline.sustainedOnTimeCps !== undefined && r.hotline.sustainedOnTimeCps !== undefined
          ? [[`... with calls on time (≤ ${ON_TIME_SLACK * 100} % longer than at the first step)`, String(r.baseline.sustainedOnTimeCps), String(r.hotline.sustainedOnTimeCps), fmt(r.ratio.sustainedOnTimeCps ?? NaN)]]
          : []),
        ['concurrent calls held', String(r.baseline.concurrentHeld), String(r.hotline.concurrentHeld), fmt(r.ratio.concurrentHeld)],
        ['server CPU ms per call, FreeSWITCH + drachtio (held steps)', String(r.baseline.serverCpuMsPerCall ?? 'n/a'), String(r.hotline.serverCpuMsPerCall ?? 'n/a'), fmt(r.ratio.serverCpuMsPerCall)],
        ['app CPU ms per call (held steps)', '-', String(r.hotline.appCpuMsPerCall ?? 'n/a'), ''],
        ['all CPU ms per call, servers + app (held steps)', String(r.baseline.cpuMsPerCall ?? 'n/a'), String(r.hotline.cpuMsPerCall ?? 'n/a'), fmt(r.ratio.cpuMsPerCall)],
        ['failed calls (all steps)', String(r.baseline.failedCalls), String(r.hotline.failedCalls), ''],
        ['failed calls (steps that held)', String(r.baseline.failedWhileHeld), String(r.hotline.failedWhileHeld), ''],
        ['first rate that did not hold', r.baseline.brokeAt === undefined ? 'none' : String(r.baseline.brokeAt), r.hotline.brokeAt === undefined ? 'none' : String(r.hotline.brokeAt), ''],
      ],
    ),
  );
  const parts = cpuByServer(r.steps.filter((t) => t.side === 'hotline' && t.held));
  if (parts) out.push(`hotline server CPU ms per call by server (held steps): ${parts}`);
  const esl = eslPerCall(r.steps.filter((t) => t.side === 'hotline' && t.held));
  if (esl) out.push(...formatEsl(esl));
  for (const t of r.steps) {
    if (t.loop) {
      out.push(`app event loop at ${t.rate}/s: utilisation mean ${t.loop.busyMean}, max ${t.loop.busyMax} (smoothed); lag p99 at most ${t.loop.lagP99MaxMs} ms${t.loop.mediaLagMaxMs !== undefined ? `; media control lag mean ${t.loop.mediaLagMeanMs} ms, max ${t.loop.mediaLagMaxMs} ms` : ''} (${t.loop.samples} readings${t.loop.instances ? `; the busiest of ${t.loop.instances} instances` : ''})`);
    }
  }
  for (const p of r.profiles ?? []) {
    out.push('', `profile: ${p.side}${p.rate === undefined ? '' : ` at ${p.rate}/s`}, ${p.server} (${p.file})`, ...p.top.map((l) => `  ${l}`));
  }
  if (r.overload) out.push(...formatOverload(r.overload.step, r.overload.leftovers, r.overload.verdicts, r.overload.settleSec));
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Event-socket traffic (the app's hotline_esl_* counters) and profiles

/** after − before, per series (a series new in `after` counts from 0); zero deltas left out. */
export function diffCounters(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** The event-socket counters per completed call over some steps, or undefined without counters or calls. */
export function eslPerCall(steps: readonly StepResult[]): Record<string, number> | undefined {
  const calls = steps.reduce((n, s) => n + s.completed, 0);
  const sums: Record<string, number> = {};
  for (const s of steps) for (const [k, v] of Object.entries(s.esl ?? {})) sums[k] = (sums[k] ?? 0) + v;
  if (calls === 0 || Object.keys(sums).length === 0) return undefined;
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / calls]));
}

/** Lines of the report: messages, bytes and commands per call, the biggest first. */
export function formatEsl(perCall: Record<string, number>): string[] {
  const labelled = (name: string) =>
    Object.entries(perCall)
      .map(([k, v]) => [new RegExp(`^${name}\\{\\w+="([^"]*)"\\}$`).exec(k)?.[1], v] as const)
      .filter((e): e is readonly [string, number] => e[0] !== undefined)
      .sort((a, b) => b[1] - a[1]);
  const sum = (xs: ReadonlyArray<readonly [string, number]>) => xs.reduce((n, [, v]) => n + v, 0);
  const list = (xs: ReadonlyArray<readonly [string, number]>) => xs.map(([k, v]) => `${k} ${round(v, 1)}`).join(', ');
  const received = labelled('hotline_esl_received_total');
  const sent = labelled('hotline_esl_sent_total');
  const kb = (k: string) => round((perCall[k] ?? 0) / 1024, 1);
  return [
    `hotline event sockets per completed call (held steps): ${round(perCall['hotline_esl_sockets_closed_total'] ?? 0, 2)} sockets, ` +
      `${kb('hotline_esl_socket_bytes_total{direction="in"}')} KB in / ${kb('hotline_esl_socket_bytes_total{direction="out"}')} KB out ` +
      `(event bodies ${kb('hotline_esl_received_body_bytes_total')} KB)`,
    `  received ${round(sum(received), 1)}: ${list(received)}`,
    `  sent ${round(sum(sent), 1)}: ${list(sent)}`,
  ];
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * Where a V8 CPU profile's samples fall: by module (package, src/ directory, node internals) and by function. With
 * `window` (µs since the profile started), only the samples taken then (the profiled step, not start-up).
 */
export function summarizeCpuProfile(
  profile: { nodes: CpuProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] },
  top = 20,
  window?: { fromUs: number; toUs: number },
): string[] {
  const hitsOf = new Map<number, number>();
  let sampledUs = profile.endTime - profile.startTime;
  if (window && profile.samples && profile.timeDeltas) {
    let t = 0;
    profile.samples.forEach((id, i) => {
      t += profile.timeDeltas![i] ?? 0;
      if (t >= window.fromUs && t < window.toUs) hitsOf.set(id, (hitsOf.get(id) ?? 0) + 1);
    });
    sampledUs = Math.max(0, Math.min(window.toUs, t) - window.fromUs);
  } else {
    for (const x of profile.nodes) hitsOf.set(x.id, x.hitCount ?? 0);
  }
  const hits = [...hitsOf.values()].reduce((n, h) => n + h, 0);
  if (hits === 0) return ['(no samples)'];
  const msPerHit = sampledUs / 1000 / hits;
  const idle = new Set(['(idle)', '(program)']);
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const x of profile.nodes) {
    const h = hitsOf.get(x.id) ?? 0;
    if (h === 0 || idle.has(x.callFrame.functionName)) continue;
    busy += h;
    const mod = moduleOf(x.callFrame.url, x.callFrame.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + h);
    const fn = `${x.callFrame.functionName || '(anonymous)'} ${mod}:${x.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + h);
  }
  if (busy === 0) return ['(idle throughout)'];
  const pct = (h: number) => `${round((100 * h) / busy, 1)}%`.padStart(6);
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `busy ${round((busy * msPerHit) / 1000, 1)} s of ${round((hits * msPerHit) / 1000, 1)} s sampled; self time by module:`,
    ...rank(byModule).map(([k, h]) => `${pct(h)}  ${k}`),
    'by function:',
    ...rank(byFunction).map(([k, h]) => `${pct(h)}  ${k}`),
  ];
}

function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:' + (url.slice(5).split('/')[0] ?? '');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const src = url.lastIndexOf('/src/');
  if (src >= 0) {
    const parts = url.slice(src + 5).split('/');
    return parts.length > 1 ? `src/${parts[0]}` : `src/${parts[0]}`;
  }
  return url;
}

/** "freeswitch 60, drachtio 20, app 80" over some steps, or undefined without calls. */
function cpuByServer(steps: readonly StepResult[]): string | undefined {
  const calls = steps.reduce((n, s) => n + s.completed, 0);
  if (calls === 0) return undefined;
  const sums = new Map<string, number>();
  for (const s of steps) for (const [k, v] of Object.entries(s.cpuMs)) sums.set(k, (sums.get(k) ?? 0) + v);
  return [...sums].map(([k, v]) => `${k} ${round(v / calls, 1)}`).join(', ');
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

class SipLoadError extends HotlineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('SIP_LOAD_FAILED', message, details);
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux builds for every common architecture). */
const TICKS_PER_SEC = 100;

/** User + system CPU of a process and all its descendants, in ms (0 when it is gone). Reads /proc only. */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  const seen = new Set<number>();
  const visit = (p: number) => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids !== '') for (const k of kids.split(' ')) visit(Number(k));
      }
    } catch {
      // Gone between listing and reading: it no longer uses CPU.
    }
  };
  visit(pid);
  return (ticks * 1000) / TICKS_PER_SEC;
}

interface Options {
  rates: string;
  stepSeconds: string;
  warmupSeconds: string;
  seats: string;
  talkMs: string;
  dtmfMs: string;
  maxFail: string;
  maxSeconds: string;
  telephony: string;
  fsConf: string;
  schema: string;
  dropSchema?: boolean;
  waitBusy: string;
  ignoreBusy?: boolean;
  appMaxCalls: string;
  appInstances: string;
  fsPriority: string;
  drachtioLogLevel: string;
  admitRateFloor?: string;
  profile?: string;
  mediaControl: string;
  overload?: boolean;
  overloadRate?: string;
  overloadFactor: string;
  settleSeconds: string;
  mediaRelease?: boolean;
  json?: boolean;
}

interface Settings {
  rates: number[];
  stepSec: number;
  /**
   * Seconds of calls at the first rate before the first step, on both sides, not counted: the app is a JIT-compiled
   * process, and its first calls through each path (the IVR, the queue, the release) run in V8's interpreter.
   */
  warmupSec: number;
  seats: number;
  talkMs: number;
  dtmfMs: number;
  maxFail: number;
  maxSeconds: number;
  telephony: string;
  fsConf: string;
  schema: string;
  dropSchema: boolean;
  waitBusySec: number;
  ignoreBusy: boolean;
  appMaxCalls: number;
  /**
   * How many `acd serve` processes share the hotline (Redis, one drachtio-server): one event loop each, so the app's
   * share of a multi-core box is not held to one core.
   */
  appInstances: number;
  /** FreeSWITCH's scheduling (both sides share the one FreeSWITCH): see FsPriority. */
  fsPriority: FsPriority;
  /**
   * drachtio-server's log level. At `info` it logs every SIP message in full, one flushed write per line: about a
   * third of its CPU per call on the bench. The default, `notice`, is the counterpart of the `warning` level both
   * sides' FreeSWITCH log at (it does not trace SIP either); `info` reproduces runs before 2026-12-08.
   */
  drachtioLogLevel: DrachtioLogLevel;
  /**
   * The app's ADMIT_RATE_FLOOR. Default: the --overload-rate (the rate the operator knows the box holds, as a
   * deployment sets it from this bench), else 0 (off): the ramp measures the steady rate each step holds, and each
   * of its steps starts at once at its rate, a surge the limit would let in only gradually.
   */
  admitRateFloor: number;
  /** Profile the servers during the steps at this rate (perf on FreeSWITCH and drachtio-server, V8 on the app). */
  profileRate: number | undefined;
  /** The app's MEDIA_CONTROL: each channel through its own event socket, or parked ones over the shared socket. */
  mediaControl: 'socket' | 'shared';
  /**
   * --overload: after the ramp (hotline only), or straight away at --overload-rate, one step at `factor` × the
   * sustainable rate, then the checks `settleSec` after its last arrival (src/bench/overload.ts).
   */
  overload: { rate: number | undefined; factor: number; settleSec: number } | undefined;
  /**
   * The app's queue releases media (MEDIA_RELEASE_QUEUES): caller and seat talk RTP to each other, FreeSWITCH carries
   * the IVR and the queue only. The silent-call script (which listens on the caller's leg) is off for it.
   */
  mediaRelease: boolean;
}

function parseOptions(o: Options): Settings {
  const posInt = (name: string, v: string, min = 1) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidInputError(name, `must be an integer ≥ ${min} (got ${JSON.stringify(v)})`);
    return n;
  };
  const rates = o.rates.split(',').map((s) => Number(s.trim()));
  if (rates.length === 0 || rates.some((r) => !Number.isFinite(r) || r <= 0) || rates.some((r, i) => i > 0 && r <= rates[i - 1]!)) {
    throw new InvalidInputError('rates', `must be increasing positive numbers separated by commas (got ${JSON.stringify(o.rates)})`);
  }
  const maxFail = Number(o.maxFail);
  if (!(maxFail >= 0 && maxFail < 1)) throw new InvalidInputError('max-fail', `must be a fraction in [0, 1) (got ${JSON.stringify(o.maxFail)})`);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) throw new InvalidInputError('schema', 'lower-case letters, digits or _');
  return {
    rates,
    stepSec: posInt('step-seconds', o.stepSeconds),
    warmupSec: posInt('warmup-seconds', o.warmupSeconds, 0),
    seats: posInt('seats', o.seats),
    talkMs: posInt('talk-ms', o.talkMs, 0),
    dtmfMs: posInt('dtmf-ms', o.dtmfMs, 0),
    maxFail,
    maxSeconds: posInt('max-seconds', o.maxSeconds),
    telephony: resolve(o.telephony),
    fsConf: resolve(o.fsConf),
    schema: o.schema,
    dropSchema: o.dropSchema === true,
    waitBusySec: posInt('wait-busy', o.waitBusy, 0),
    ignoreBusy: o.ignoreBusy === true,
    appMaxCalls: posInt('app-max-calls', o.appMaxCalls),
    appInstances: appInstances(o.appInstances),
    fsPriority: fsPriority(o.fsPriority),
    drachtioLogLevel: drachtioLogLevel(o.drachtioLogLevel),
    admitRateFloor: o.admitRateFloor !== undefined ? posInt('admit-rate-floor', o.admitRateFloor, 0) : o.overloadRate !== undefined ? Math.ceil(Number(o.overloadRate)) : 0,
    profileRate: o.profile === undefined ? undefined : profileRate(o.profile, rates),
    mediaControl: mediaControl(o.mediaControl),
    overload: o.overload || o.overloadRate !== undefined ? overloadOptions(o) : undefined,
    mediaRelease: o.mediaRelease === true,
  };
}

function drachtioLogLevel(v: string): DrachtioLogLevel {
  const level = DRACHTIO_LOG_LEVELS.find((l) => l === v);
  if (level === undefined) throw new InvalidInputError('drachtio-log-level', `must be one of ${DRACHTIO_LOG_LEVELS.join(', ')} (got ${JSON.stringify(v)})`);
  return level;
}

function fsPriority(v: string): FsPriority {
  if (v !== 'normal' && v !== 'realtime') throw new InvalidInputError('fs-priority', `must be normal or realtime (got ${JSON.stringify(v)})`);
  return v;
}

function appInstances(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_APP_INSTANCES) throw new InvalidInputError('app-instances', `must be an integer from 1 to ${MAX_APP_INSTANCES} (got ${JSON.stringify(v)})`);
  return n;
}

function overloadOptions(o: Options): NonNullable<Settings['overload']> {
  const rate = o.overloadRate === undefined ? undefined : Number(o.overloadRate);
  if (rate !== undefined && !(rate > 0)) throw new InvalidInputError('overload-rate', `must be a positive number (got ${JSON.stringify(o.overloadRate)})`);
  const factor = Number(o.overloadFactor);
  if (!(factor > 1)) throw new InvalidInputError('overload-factor', `must be above 1 (got ${JSON.stringify(o.overloadFactor)})`);
  const settleSec = Number(o.settleSeconds);
  if (!Number.isInteger(settleSec) || settleSec < 0) throw new InvalidInputError('settle-seconds', `must be an integer ≥ 0 (got ${JSON.stringify(o.settleSeconds)})`);
  return { rate, factor, settleSec };
}

function mediaControl(v: string): 'socket' | 'shared' {
  if (v !== 'socket' && v !== 'shared') throw new InvalidInputError('media-control', `must be socket or shared (got ${JSON.stringify(v)})`);
  return v;
}

function profileRate(v: string, rates: readonly number[]): number {
  const r = Number(v);
  if (!rates.includes(r)) throw new InvalidInputError('profile', `must be one of --rates (got ${JSON.stringify(v)})`);
  return r;
}

/** Why the benchmark cannot run here (no servers, no SIPp), or undefined. */
async function missing(s: Settings, p: TelephonyPaths): Promise<string | undefined> {
  const build = missingBuild(p);
  if (build) return `${build} (--telephony)`;
  if (!existsSync(join(s.fsConf, 'freeswitch.xml'))) return `no freeswitch.xml in --fs-conf ${s.fsConf}`;
  if (!existsSync(DTMF_PCAP)) return `${DTMF_PCAP} not found (Debian package sip-tester)`;
  try {
    await run('sipp', ['-v'], { timeoutMs: 5_000 });
  } catch {
    return 'sipp not found (Debian package sip-tester)';
  }
  return undefined;
}

/**
 * Others at work right now, whom a load run would disturb (and whose load would distort the figures): another SIPp,
 * an app on drachtio's or the benchmark's admin port, a client of an event socket. Idle servers do not count.
 */
async function othersBusy(): Promise<string | undefined> {
  const sipp = await run('pgrep', ['-x', 'sipp'], { timeoutMs: 5_000 });
  if (sipp.stdout.trim() !== '') return `SIPp running (pid ${sipp.stdout.trim().split('\n').join(', ')})`;
  const ports = [9022, 8021, PORTS.drachtioAdmin, PORTS.fsEsl];
  const filter = `( ${ports.map((x) => `dport = :${x}`).join(' or ')} )`;
  const ss = await run('ss', ['-Htn', 'state', 'established', filter], { timeoutMs: 5_000 });
  const conns = ss.stdout.split('\n').filter((l) => l.trim() !== '');
  if (conns.length > 0) return `${conns.length} connection(s) to a drachtio admin port or a FreeSWITCH event socket (${ports.join(', ')})`;
  return undefined;
}

/** Our ports someone else holds (a previous run not cleaned up, another program). */
async function portsInUse(instances: number): Promise<string | undefined> {
  const extra = Array.from({ length: instances - 1 }, (_, i) => appPorts(i + 1)).flatMap((x) => [x.http, x.fsmrfListen]);
  const taken = await portsTaken([...Object.values(PORTS), ...extra]);
  return taken.length > 0 ? `ports in use: ${taken.join(', ')}` : undefined;
}

/** The base FreeSWITCH config plus the baseline's profile and dialplan, sized for load and logging warnings only. */
async function buildLoadOverlay(s: Settings, into: string): Promise<void> {
  const prompts = join(REPO, 'ivr-flows', 'prompts', 'zh');
  const fill = (t: string) =>
    t
      .replaceAll('@SIP_PORT@', String(PORTS.baselineSip))
      .replaceAll('@NUMBER@', BASELINE_NUMBER)
      .replaceAll('@PROMPT_DIR@', prompts)
      .replaceAll('@AGENT_HOSTPORT@', `127.0.0.1:${PORTS.baselineAgent}`);
  // Private ports, so the benchmark's FreeSWITCH runs beside anyone else's; room for the load on both sides alike.
  await buildFsOverlay(
    s.fsConf,
    into,
    { esl: PORTS.fsEsl, mrf: PORTS.fsMrf, rtpStart: FS_RTP.start, rtpEnd: FS_RTP.end },
    {
      maxSessions: 3000,
      sessionsPerSecond: 1000,
      extra: async (dir) => {
        await mkdir(join(dir, 'sip_profiles'), { recursive: true });
        await mkdir(join(dir, 'dialplan'), { recursive: true });
        await writeFile(join(dir, 'sip_profiles', 'load_baseline.xml'), fill(await readFile(join(LOAD_DIR, 'freeswitch', 'sip_profile.xml'), 'utf8')));
        await writeFile(join(dir, 'dialplan', 'load_baseline.xml'), fill(await readFile(join(LOAD_DIR, 'freeswitch', 'dialplan.xml'), 'utf8')));
        // The hotline's FreeSWITCH dialplan as this checkout has it (what FreeSWITCH runs per endpoint is part of a
        // call's cost), over whatever --fs-conf carries; its profile and ports stay --fs-conf's.
        await copyFile(join(REPO, 'freeswitch-conf', 'dialplan', 'drachtio_mrf.xml'), join(dir, 'dialplan', 'drachtio_mrf.xml'));
      },
    },
  );
}

function sippArgs(scenario: string, extra: string[]): string[] {
  // -aa: SIPp answers in-dialog OPTIONS (the app's SIP_KEEPALIVE_SEC pings), INFO, NOTIFY and UPDATE itself with 200.
  return ['-sf', join(LOAD_DIR, 'sipp', scenario), '-nostdin', '-aa', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-trace_err', ...extra];
}

async function sippOnce(
  runDir: string,
  name: string,
  scenario: string,
  extra: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stats: SippStatRow[]; counts: SippStatRow[]; rtt: RttSample[] }> {
  const stf = join(runDir, `${name}.csv`);
  // -trace_counts: per message of the scenario (e.g. the 503 of the shed branch), cumulative, every -fd seconds, in
  // <scenario>_<pid>_counts.csv (SIPp picks the name): the file that was not there before is this run's. Likewise
  // -trace_rtt: every response time (e.g. INVITE → 503 of the shed branch) as it ends, in <scenario>_<pid>_rtt.csv.
  const traces = (f: string) => f.endsWith('_counts.csv') || f.endsWith('_rtt.csv');
  const before = new Set((await readdir(runDir)).filter(traces));
  const r = await run('sipp', [...sippArgs(scenario, extra), '-trace_stat', '-stf', stf, '-trace_counts', '-fd', '1', '-trace_rtt', '-rtt_freq', '1'], { cwd: runDir, timeoutMs });
  await writeFile(join(runDir, `${name}.out`), r.stdout + r.stderr);
  const stats = existsSync(stf) ? parseSippStats(await readFile(stf, 'utf8')) : [];
  const fresh = (await readdir(runDir)).filter((f) => traces(f) && !before.has(f));
  const countsFile = fresh.find((f) => f.endsWith('_counts.csv'));
  const rttFile = fresh.find((f) => f.endsWith('_rtt.csv'));
  const counts = countsFile ? parseSippStats(await readFile(join(runDir, countsFile), 'utf8')) : [];
  const rtt = rttFile ? parseRtt(await readFile(join(runDir, rttFile), 'utf8')) : [];
  return { code: r.code, stats, counts, rtt };
}

function startAgents(runDir: string, name: string, port: number, rtpPort: number, talkMs: number): Background {
  const child = spawn('sipp', [...sippArgs('agent.xml', ['-p', String(port), '-mp', String(rtpPort), '-d', String(talkMs)]), '-trace_stat', '-stf', join(runDir, `${name}.csv`), '-fd', '1'], {
    cwd: runDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Background(name, child, join(runDir, `${name}.out`));
}

async function agentsDone(runDir: string, name: string): Promise<number> {
  const f = join(runDir, `${name}.csv`);
  return existsSync(f) ? agentCallsDone(parseSippStats(await readFile(f, 'utf8'))) : 0;
}

async function provisionSeats(s: Settings, config: Config, runDir: string): Promise<string[]> {
  const names = Array.from({ length: s.seats }, (_, i) => `load${String(i + 1).padStart(3, '0')}`);
  await migrate({ url: config.DATABASE_URL, schema: s.schema });
  const db = new Db({ url: config.DATABASE_URL, schema: s.schema, max: 2 });
  let have: Set<string>;
  try {
    have = new Set((await new AgentRepository(db).list()).map((a) => a.sipUsername));
  } finally {
    await db.close();
  }
  const todo = names.filter((n) => !have.has(n));
  // The operator's own tool provisions the seats (two at a time: each is a Node start-up on a small machine).
  const env = { ...process.env, DATABASE_URL: config.DATABASE_URL, DATABASE_SCHEMA: s.schema, SIP_DOMAIN, LOG_LEVEL: 'warn' };
  const tsx = join(REPO, 'node_modules', '.bin', 'tsx');
  const add = async (n: string) => {
    const r = await run(tsx, [join(REPO, 'src', 'cli.ts'), 'agents', 'add', n, '--name', `Load seat ${n}`, '--password', `${n}-pw`, '--skills', 'load:1', '--create-skills'], { env, timeoutMs: 60_000 });
    if (r.code !== 0) throw new SipLoadError(`acd agents add ${n} failed: ${r.stderr.trim().slice(-300)}`);
  };
  for (let i = 0; i < todo.length; i += 2) await Promise.all(todo.slice(i, i + 2).map(add));
  await writeFile(join(runDir, 'seats.csv'), ['SEQUENTIAL', ...names.map((n) => `${n};[authentication username=${n} password=${n}-pw]`)].join('\n') + '\n');
  return names;
}

async function clearRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*{${HOTLINE_ID}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

/** The bench's IVR flows, copied into the run directory (every instance reads the same directory). */
async function prepareFlows(runDir: string): Promise<string> {
  const flows = join(runDir, 'flows');
  await mkdir(flows);
  for (const f of await readdir(join(LOAD_DIR, 'flows'))) if (f.endsWith('.yaml')) await copyFile(join(LOAD_DIR, 'flows', f), join(flows, f));
  await symlink(join(REPO, 'ivr-flows', 'prompts'), join(flows, 'prompts'));
  // The flow validator's worker (src/ivr/validate-off-thread.ts) imports tsx from the working directory, the run
  // directory: let it find this checkout's packages there.
  await symlink(join(REPO, 'node_modules'), join(runDir, 'node_modules'));
  return flows;
}

/** `acd serve` instance i (0-based) of --app-instances: its own instance id, ports, spool and log; one hotline. */
async function startApp(s: Settings, config: Config, runDir: string, flows: string, i: number): Promise<Background> {
  const ports = appPorts(i);
  const name = appName(i);
  const env = {
    ...process.env,
    DATABASE_URL: config.DATABASE_URL,
    DATABASE_SCHEMA: s.schema,
    REDIS_URL: config.REDIS_URL,
    HOTLINE_ID,
    INSTANCE_ID: i === 0 ? HOTLINE_ID : `${HOTLINE_ID}-${i + 1}`,
    SIP_DOMAIN,
    FLOWS_DIR: flows,
    PG_SPOOL_DIR: join(runDir, i === 0 ? 'spool' : `spool-${i + 1}`),
    RECORDINGS_DIR: join(runDir, 'recordings'),
    HTTP_PORT: String(ports.http),
    DRACHTIO_HOST: '127.0.0.1',
    DRACHTIO_PORT: String(PORTS.drachtioAdmin),
    DRACHTIO_SECRET: 'cymru',
    FREESWITCH_HOST: '127.0.0.1',
    FREESWITCH_PORT: String(PORTS.fsEsl),
    FREESWITCH_SECRET: 'ClueCon',
    FSMRF_LISTEN_ADDRESS: '127.0.0.1',
    FSMRF_LISTEN_PORT: String(ports.fsmrfListen),
    MAX_CONCURRENT_CALLS: String(s.appMaxCalls),
    ADMIT_RATE_FLOOR: String(s.admitRateFloor),
    TELEPHONY_ENABLED: 'true',
    LOG_LEVEL: 'info',
    MEDIA_CONTROL: s.mediaControl,
    // No silent-call script (it listens on the caller's media): an empty SILENT_CALL_QUEUES would mean its default,
    // every queue, so it names none of the bench's.
    ...(s.mediaRelease ? { MEDIA_RELEASE_QUEUES: APP_QUEUE, SILENT_CALL_QUEUES: 'none' } : {}),
  };
  // --profile: V8's sampling profiler over the whole run, written when the app exits (summarised at the end); tsx
  // hands Node's flags to the process it runs (NODE_OPTIONS may not carry --cpu-prof).
  const profile = s.profileRate !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${join(runDir, `${name}-cpuprof`)}`] : [];
  const child = spawn(join(REPO, 'node_modules', '.bin', 'tsx'), [...profile, join(REPO, 'src', 'cli.ts'), 'serve'], { cwd: runDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logFile = join(runDir, `${name}.log`);
  const app = new Background(name, child, logFile);
  if (!(await app.printed('"msg":"hotline-acd started"', 60_000))) {
    await app.stop();
    const log = existsSync(logFile) ? (await readFile(logFile, 'utf8')).slice(-1500) : '';
    throw new SipLoadError(`the app did not start (acd serve, ${name}); end of ${logFile}:\n${log}`);
  }
  return app;
}

async function seatsReady(s: Settings, runDir: string): Promise<void> {
  const common = ['-inf', join(runDir, 'seats.csv'), '-set', 'domain', SIP_DOMAIN, '-m', String(s.seats), '-r', '20', '-timeout', '60s', '-timeout_error', `127.0.0.1:${PORTS.drachtioSip}`];
  // REGISTER from the port the agents' SIPp will answer on: the hotline rings a seat where its REGISTER came from.
  const reg = await sippOnce(runDir, 'seats-register', 'register.xml', ['-p', String(PORTS.appAgent), ...common], 90_000);
  const regOk = callerStats(reg.stats).ok;
  if (regOk !== s.seats) throw new SipLoadError(`only ${regOk} of ${s.seats} seats registered (see ${runDir}/seats-register.out)`);
  const ready = await sippOnce(runDir, 'seats-ready', 'ready.xml', ['-p', String(PORTS.seatSetup), '-mp', String(RTP.seatSetup), ...common], 90_000);
  const readyOk = callerStats(ready.stats).ok;
  if (readyOk !== s.seats) throw new SipLoadError(`only ${readyOk} of ${s.seats} seats became ready with *1 (see ${runDir}/seats-ready.out)`);
}

/** The servers whose CPU a side's calls cost: FreeSWITCH for the baseline; FreeSWITCH, drachtio and the app for the hotline. */
type Servers = Record<string, Background>;

function cpuOf(servers: Servers): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, b] of Object.entries(servers)) out[name] = b.child.pid === undefined ? 0 : treeCpuMs(b.child.pid);
  return out;
}

/** The apps' hotline_esl_* and hotline_calls_shed_total counters, summed over the instances whose /metrics answer. */
async function appCounters(instances: number): Promise<Record<string, number>> {
  const one = async (i: number): Promise<Record<string, number>> => {
    try {
      const res = await fetch(`http://127.0.0.1:${appPorts(i).http}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) return {};
      const text = await res.text();
      return { ...parsePromText(text, 'hotline_esl_'), ...parsePromText(text, 'hotline_calls_shed_total') };
    } catch {
      return {};
    }
  };
  const sum: Record<string, number> = {};
  for (const c of await Promise.all(Array.from({ length: instances }, (_, i) => one(i)))) {
    for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  }
  return sum;
}

/** Callers the app refused with 503 during a step (its load shedding), by reason: failure reasons of the step. */
export function shedReasons(counters: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) {
    const m = /^hotline_calls_shed_total\{reason="([^"]*)"\}$/.exec(k);
    if (m && v > 0) out[`Shed503(${m[1]})`] = v;
  }
  return out;
}

/** `perf record` of one process (sampling its CPU clock), stopped with SIGINT at the end of the step. */
function startPerf(pid: number, file: string): Background {
  const child = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '499', '-p', String(pid), '-o', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Background(`perf ${pid}`, child, `${file}.log`);
}

async function perfTop(file: string): Promise<string[]> {
  const r = await run('perf', ['report', '-i', file, '--stdio', '--no-children', '--sort', 'dso,sym', '--percent-limit', '0.7', '-q'], { timeoutMs: 120_000 });
  const lines = r.stdout.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  await writeFile(`${file}.txt`, r.stdout + r.stderr);
  return lines.length > 0 ? lines.slice(0, 25) : [`(no report: ${r.stderr.trim().slice(0, 200)})`];
}

async function step(s: Settings, runDir: string, side: Side, rate: number, servers: Servers, profiles?: ProfileSummary[], label = 'step'): Promise<StepResult> {
  const agents = side === 'hotline' ? 'agents-hotline' : 'agents-baseline';
  const before = await agentsDone(runDir, agents);
  const appBefore = side === 'hotline' ? await appCounters(s.appInstances) : {};
  const perf: Array<{ server: string; file: string; bg: Background }> = [];
  if (profiles && s.profileRate === rate) {
    for (const [server, b] of Object.entries(servers)) {
      if (isApp(server) || b.child.pid === undefined) continue;
      const file = join(runDir, `perf-${side}-${rate}-${server}.data`);
      perf.push({ server, file, bg: startPerf(b.child.pid, file) });
    }
    await sleep(500);
  }
  const cpuBefore = cpuOf(servers);
  // Each instance's loop: a step is refused as `app-busy` by whichever of them is busy, so the worst one counts.
  const loops = side === 'hotline' ? Array.from({ length: s.appInstances }, (_, i) => sampleLoop(`http://127.0.0.1:${appPorts(i).http}/metrics`)) : [];
  const offered = Math.round(rate * s.stepSec);
  const name = `${label}-${side}-${rate}`;
  const target = `127.0.0.1:${side === 'hotline' ? PORTS.drachtioSip : PORTS.baselineSip}`;
  const budgetSec = s.stepSec + 90;
  const r = await sippOnce(
    runDir,
    name,
    'caller.xml',
    [
      '-s', side === 'hotline' ? APP_NUMBER : BASELINE_NUMBER,
      '-p', String(side === 'hotline' ? PORTS.appCaller : PORTS.baselineCaller),
      '-mp', String(side === 'hotline' ? RTP.appCaller : RTP.baselineCaller),
      '-d', String(s.dtmfMs),
      '-r', String(rate),
      '-m', String(offered),
      // No cap on calls in progress short of the callers' own 60 s limit: the servers, not SIPp, must be what gives.
      '-l', String(Math.max(10, Math.ceil(rate * 70))),
      '-timeout', `${budgetSec}s`,
      '-timeout_error',
      target,
    ],
    (budgetSec + 30) * 1000,
  );
  const loopSummary = combineLoops(await Promise.all(loops.map((l) => l.stop())));
  if (r.stats.length === 0) throw new SipLoadError(`SIPp wrote no statistics for ${name} (exit ${r.code}); see ${runDir}/${name}.out`);
  // The agents' SIPp writes its statistics every second: let the last hang-ups of this step land in the file.
  await sleep(2_500);
  const after = await agentsDone(runDir, agents);
  const cpuAfter = cpuOf(servers);
  const cpuMs = Object.fromEntries(Object.keys(servers).map((k) => [k, Math.round(cpuAfter[k]! - cpuBefore[k]!)]));
  const app = side === 'hotline' ? diffCounters(appBefore, await appCounters(s.appInstances)) : {};
  const esl = Object.fromEntries(Object.entries(app).filter(([k]) => k.startsWith('hotline_esl_')));
  for (const p of perf) {
    // SIGINT lets perf write its file; stop() would follow with SIGTERM at once.
    p.bg.child.kill('SIGINT');
    await Promise.race([p.bg.exited, sleep(30_000)]);
    await p.bg.stop();
    profiles?.push({ side, rate, server: p.server, file: p.file, top: await perfTop(p.file) });
  }
  // Shed means refused at once: a 503/480 that took a second or more (a refusal stuck behind other work, or a media
  // set-up that timed out) counts as failed (Slow503).
  const shedAll = shedInCounts(r.counts[r.counts.length - 1]);
  const timing = shedTiming(r.stats);
  // Each 503/480's own time from -trace_rtt; without it (no samples), SIPp's repartition of the "shed" counter.
  const split = shedSplit(r.rtt);
  const shed = Math.min(shedAll, split.shed + split.slow === shedAll ? split.shed : shedWithin(timing, SHED_WITHIN_MS));
  const result = stepResult({ side, rate, stepSec: s.stepSec, caller: callerStats(r.stats), agentCalls: after - before, maxFail: s.maxFail, shed, slowShed: shedAll - shed, cpuMs, esl });
  return {
    ...result,
    reasons: { ...result.reasons, ...shedReasons(app) },
    ...(r.counts.length > 0 ? { accepted: answeredInCounts(r.counts[r.counts.length - 1]) } : {}),
    ...(loopSummary ? { loop: loopSummary } : {}),
    ...(shedAll > 0 ? { shedTiming: timing, timeline: shedTimeline(r.counts, r.rtt, 5), longestRefusal: longestRefusal(r.rtt) } : {}),
  };
}

/** The app's V8 profile (the biggest .cpuprofile: tsx's own process writes a small one too), summarised. */
async function appProfile(runDir: string, appStartedAt: number, window: { from: number; to: number } | undefined): Promise<ProfileSummary | undefined> {
  // With several instances, the first one's (they carry alike shares of the calls).
  const dir = join(runDir, 'app-cpuprof');
  if (!existsSync(dir)) return undefined;
  const files = await Promise.all(
    (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).map(async (f) => ({ f: join(dir, f), size: (await readFile(join(dir, f))).length })),
  );
  const biggest = files.sort((a, b) => b.size - a.size)[0];
  if (!biggest) return undefined;
  const profile = JSON.parse(await readFile(biggest.f, 'utf8')) as Parameters<typeof summarizeCpuProfile>[0];
  // The profile's clock starts with the app's process (spawned at appStartedAt, to within its start-up).
  const us = window ? { fromUs: (window.from - appStartedAt) * 1000, toUs: (window.to - appStartedAt) * 1000 } : undefined;
  return { side: 'hotline', rate: undefined, server: window ? 'app (the profiled hotline step)' : 'app (whole run)', file: biggest.f, top: summarizeCpuProfile(profile, 20, us) };
}

export async function runSipLoad(s: Settings, progress: (line: string) => void): Promise<SipLoadResult | { status: 'skipped'; reason: string }> {
  const p = telephonyPaths(s.telephony);
  const why = await missing(s, p);
  if (why) return { status: 'skipped', reason: why };
  const config = loadConfig();

  // Wait for others to finish with the servers rather than disturb their run.
  const waitUntil = Date.now() + s.waitBusySec * 1000;
  for (;;) {
    const busy = (s.ignoreBusy ? undefined : await othersBusy()) ?? (await portsInUse(s.appInstances));
    if (!busy) break;
    if (Date.now() >= waitUntil) return { status: 'skipped', reason: `servers busy for ${s.waitBusySec} s: ${busy}` };
    progress(`waiting: ${busy}`);
    await sleep(5_000);
  }

  const runDir = await mkdtemp(join(tmpdir(), 'sip-load-'));
  progress(`run directory ${runDir} (logs, SIPp statistics)`);
  const background: Background[] = [];
  let drachtio: Background | undefined;
  let freeswitch: OwnFreeswitch | undefined;
  const notes: string[] = [];
  try {
    const overlay = join(runDir, 'freeswitch-conf');
    await buildLoadOverlay(s, overlay);
    progress(`starting drachtio-server (SIP ${PORTS.drachtioSip}, admin ${PORTS.drachtioAdmin}) and FreeSWITCH (event socket ${PORTS.fsEsl}, fsmrf ${PORTS.fsMrf}, baseline ${PORTS.baselineSip})`);
    drachtio = await startDrachtio(p, runDir, { admin: PORTS.drachtioAdmin, sip: PORTS.drachtioSip }, { logLevel: s.drachtioLogLevel });
    freeswitch = await startFreeswitch(p, join(runDir, 'freeswitch'), overlay, PORTS.fsEsl, [
      mrfProfile(PORTS.fsMrf),
      `load_baseline\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${PORTS.baselineSip}\\s+RUNNING`,
    ], s.fsPriority);

    progress(`provisioning ${s.seats} seats in schema ${s.schema} (acd agents add, once per seat)`);
    await provisionSeats(s, config, runDir);
    await clearRedis(config.REDIS_URL);
    progress(`starting the hotline (acd serve${s.appInstances > 1 ? `, ${s.appInstances} instances` : ''})`);
    const appStartedAt = Date.now();
    const flows = await prepareFlows(runDir);
    const apps: Background[] = [];
    for (let i = 0; i < s.appInstances; i++) {
      apps.push(await startApp(s, config, runDir, flows, i));
      background.push(apps[i]!);
    }
    const appServers: Servers = Object.fromEntries(apps.map((a, i) => [appName(i), a]));
    // What each side's CPU is read off: the baseline is FreeSWITCH alone.
    const fsProc = freeswitch.proc;
    const drachtioBg = drachtio;
    const serversOf = (side: Side): Servers => (side === 'hotline' ? { freeswitch: fsProc, drachtio: drachtioBg, ...appServers } : { freeswitch: fsProc });
    const exitedApp = (): string | undefined => {
      const i = apps.findIndex((a) => a.child.exitCode !== null);
      return i < 0 ? undefined : `the app exited (${appName(i)}, code ${apps[i]!.child.exitCode}); see ${runDir}/${appName(i)}.log`;
    };
    progress('registering the seats and setting them ready (*1)');
    await seatsReady(s, runDir);
    background.push(startAgents(runDir, 'agents-hotline', PORTS.appAgent, RTP.appAgent, s.talkMs));
    background.push(startAgents(runDir, 'agents-baseline', PORTS.baselineAgent, RTP.baselineAgent, s.talkMs));
    await sleep(1_000);

    const topRate = s.overload?.rate !== undefined ? s.overload.rate : s.rates[s.rates.length - 1]!;
    const busyAgentsAtTop = Math.ceil(topRate * (s.talkMs / 1000 + 1.5));
    if (busyAgentsAtTop > s.seats) notes.push(`at ${topRate} calls/s the hotline needs about ${busyAgentsAtTop} agents at once but only ${s.seats} seats exist: its calls would queue there (the baseline bridges without seats)`);
    const steps: StepResult[] = [];
    const profiles: ProfileSummary[] | undefined = s.profileRate === undefined ? undefined : [];
    let profiledStep: { from: number; to: number } | undefined;
    if (profiles) notes.push(`profiled at ${s.profileRate}/s: perf adds a little CPU to FreeSWITCH and drachtio there, V8's profiler to the app throughout`);
    const broken = new Set<Side>();
    const started = Date.now();
    // --overload measures the hotline alone: the ramp (unless --overload-rate gives the sustainable rate) finds R.
    const ramp = s.overload?.rate !== undefined ? [] : s.rates;
    const sides = s.overload ? (['hotline'] as const) : (['baseline', 'hotline'] as const);
    if (s.warmupSec > 0) {
      // Counted nowhere: a first step would otherwise measure V8 compiling the call paths (its first calls
      // through the release path ran 10-20 s into a cold step, all at once, and shed as app-busy).
      const rate = ramp[0] ?? (s.overload?.rate ?? 1) / 2;
      for (const side of sides) {
        progress(`${side}: warm-up, ${rate} calls/s for ${s.warmupSec} s (not counted)`);
        const w = await step({ ...s, stepSec: s.warmupSec }, runDir, side, rate, serversOf(side), undefined, 'warmup');
        progress(`  warm-up: ${w.completed}/${w.offered} completed, ${w.shed} shed, ${w.failed} failed`);
        await sleep(2_000);
      }
      notes.push(`warm-up: ${s.warmupSec} s at ${rate} calls/s on each side before the first step, not counted`);
    }
    for (const rate of ramp) {
      for (const side of sides) {
        if (broken.has(side)) continue;
        if ((Date.now() - started) / 1000 > s.maxSeconds) {
          notes.push(`stopped at ${rate} calls/s: --max-seconds ${s.maxSeconds} reached`);
          broken.add('baseline').add('hotline');
          break;
        }
        const exited = side === 'hotline' ? exitedApp() : undefined;
        if (exited) throw new SipLoadError(exited);
        progress(`${side}: ${rate} calls/s for ${s.stepSec} s`);
        const stepStart = Date.now();
        const r = await step(s, runDir, side, rate, serversOf(side), profiles);
        if (side === 'hotline' && rate === s.profileRate) profiledStep = { from: stepStart, to: Date.now() };
        steps.push(r);
        progress(`  ${r.completed}/${r.offered} completed, ${r.shed} shed, ${r.failed} failed, ${r.maxConcurrent} concurrent${r.held ? '' : ' — did not hold'}`);
        if (!r.held) broken.add(side);
        // Let FreeSWITCH and the app settle between steps (sessions torn down, RTP ports back).
        await sleep(2_000);
      }
      if (broken.size === sides.length) break;
    }
    const baseline = summarizeSide(steps.filter((t) => t.side === 'baseline'));
    const hotline = summarizeSide(steps.filter((t) => t.side === 'hotline'));
    for (const [side, sum] of [['baseline', baseline], ['hotline', hotline]] as const) {
      if (ramp.length > 0 && (sides as readonly Side[]).includes(side) && sum.brokeAt === undefined) notes.push(`${side} held every rate tried: its figure is a lower bound (try higher --rates)`);
    }
    let overload: SipLoadResult['overload'];
    if (s.overload) {
      const sustained = s.overload.rate ?? hotline.sustainedCps;
      if (sustained <= 0) notes.push('overload: no sustainable rate (no step held): nothing to double');
      else {
        const rate = round(sustained * s.overload.factor, 2);
        const exited = exitedApp();
        if (exited) throw new SipLoadError(exited);
        progress(`overload: ${rate} calls/s (${s.overload.factor} × ${sustained}) for ${s.stepSec} s, then the checks ${s.overload.settleSec} s after the last arrival`);
        const stepStart = Date.now();
        const r = await step(s, runDir, 'hotline', rate, serversOf('hotline'));
        steps.push(r);
        progress(`  ${r.completed}/${r.offered} completed, ${r.shed} shed, ${r.failed} failed`);
        const checkAt = stepStart + (s.stepSec + s.overload.settleSec) * 1000;
        if (Date.now() < checkAt) await sleep(checkAt - Date.now());
        const leftovers: Leftovers = {
          fsChannels: await freeswitch.channelCount(),
          ...(await acdLeftovers(config.REDIS_URL, HOTLINE_ID)),
          ...(await recordsSince(config.DATABASE_URL, s.schema, stepStart - 1000)),
        };
        const o: OverloadStep = {
          rate,
          sustainedRate: sustained,
          factor: s.overload.factor,
          offered: r.offered,
          accepted: r.accepted ?? r.completed,
          completed: r.completed,
          shed: r.shed,
          failed: r.failed,
          reasons: r.reasons,
          timing: r.shedTiming ?? { meanMs: NaN, under: {} },
          timeline: r.timeline ?? [],
          longestRefusal: r.longestRefusal ?? { calls: 0, sec: 0 },
        };
        overload = { step: o, leftovers, verdicts: overloadVerdicts(o, leftovers, s.overload.settleSec), settleSec: s.overload.settleSec };
      }
    }
    const result: SipLoadResult = {
      status: 'done',
      settings: { rates: s.rates, stepSec: s.stepSec, seats: s.seats, talkMs: s.talkMs, dtmfMs: s.dtmfMs, maxFail: s.maxFail, fsConf: s.fsConf, mediaControl: s.mediaControl, mediaRelease: s.mediaRelease, appInstances: s.appInstances, fsPriority: s.fsPriority, drachtioLogLevel: s.drachtioLogLevel, admitRateFloor: s.admitRateFloor },
      steps,
      baseline,
      hotline,
      ratio: ratios(hotline, baseline),
      ...(profiles ? { profiles } : {}),
      ...(overload ? { overload } : {}),
      notes,
    };
    if (profiles) {
      // The app writes its profile as it exits: stop it first.
      for (const a of apps) await a.stop(30_000);
      const p = await appProfile(runDir, appStartedAt, profiledStep).catch((err: unknown) => ({ side: 'hotline' as const, rate: undefined, server: 'app', file: '-', top: [`(unreadable: ${String(err)})`] }));
      if (p) profiles.push(p);
    }
    await writeFile(join(runDir, 'result.json'), JSON.stringify(result, null, 2));
    progress(`result also in ${join(runDir, 'result.json')}`);
    return result;
  } finally {
    for (const b of background.reverse()) await b.stop();
    if (freeswitch) await freeswitch.stop();
    if (drachtio) await drachtio.stop();
    await clearRedis(config.REDIS_URL).catch(() => undefined);
    if (s.dropSchema) {
      const db = new Db({ url: config.DATABASE_URL, schema: s.schema, max: 1 });
      await db.query('drop bench schema', `DROP SCHEMA IF EXISTS "${s.schema}" CASCADE`).finally(() => db.close());
    }
    if (!s.dropSchema) progress(`seats kept in schema ${s.schema} for the next run (--drop-schema to remove)`);
    await rm(join(runDir, 'flows'), { recursive: true, force: true });
  }
}

export function register(bench: Command): void {
  bench
    .command('sip-load')
    .description('real SIP calls, stepped call rate: the hotline (drachtio + acd + FreeSWITCH) beside FreeSWITCH alone running the same IVR; needs drachtio-server, FreeSWITCH and SIPp, else prints "skipped"')
    .option('--rates <list>', 'call rates to step through, calls per second', '4,6,8,10,12,16,20,25,30,35,40')
    .option('--step-seconds <n>', 'seconds of arrivals at each rate (well above the ~13 s call, so concurrency is held at its full height)', '40')
    .option('--warmup-seconds <n>', 'seconds of calls at the first rate (or half the overload rate) before the first step, both sides, not counted: the app JIT-compiles its paths; 0 for none', '20')
    .option('--seats <n>', 'agent seats (registered by SIPp, answered by one SIPp UAS)', '100')
    .option('--talk-ms <n>', 'how long an agent talks before hanging up', '3000')
    .option('--dtmf-ms <n>', 'when the caller presses 1, after the answer (the menu must be playing by then)', '9000')
    .option('--max-fail <ratio>', 'a step holds when at most this fraction of its calls fail', '0.01')
    .option('--max-seconds <n>', 'stop ramping after this many seconds of steps', '1200')
    .option('--telephony <dir>', 'where the drachtio-server and FreeSWITCH builds are (drachtio/, freeswitch/, deps/)', '/opt/telephony')
    .option('--fs-conf <dir>', 'FreeSWITCH config the overlay starts from (needs the drachtio_mrf profile and dialplan)', '/opt/telephony/fs-test-conf')
    .option('--schema <name>', 'PostgreSQL schema for the seats (in DATABASE_URL)', 'sip_load_bench')
    .option('--drop-schema', 'drop the seats schema afterwards (by default kept, so the next run does not provision again)')
    .option('--wait-busy <s>', 'wait this long for others to finish with the servers before skipping', '120')
    .option('--ignore-busy', 'run even while others use SIPp or the servers (a quick check; both sides\' figures are disturbed)')
    .option('--app-max-calls <n>', 'MAX_CONCURRENT_CALLS for the app under test (each instance)', '1000')
    .option('--fs-priority <p>', "FreeSWITCH's scheduling, both sides: normal (-np: as in docker-compose, where it lacks CAP_SYS_NICE) or realtime (its own default as root: SCHED_FIFO threads, ahead of every other process on the box, the app included)", 'normal')
    .option('--drachtio-log-level <level>', `drachtio-server's loglevel (${DRACHTIO_LOG_LEVELS.join(', ')}); info logs every SIP message, flushed per line`, 'notice')
    .option('--admit-rate-floor <n>', "the app's ADMIT_RATE_FLOOR (calls/s; 0 = its admission rate limit off); default the --overload-rate, else 0")
    .option('--app-instances <n>', `acd serve processes sharing the hotline on the one drachtio-server (1-${MAX_APP_INSTANCES}): one event loop each`, '1')
    .option('--media-control <mode>', "the app's MEDIA_CONTROL: socket (an event socket per FreeSWITCH channel) or shared (parked channels over one socket)", 'shared')
    .option('--media-release', "release the app's media while agents talk (MEDIA_RELEASE_QUEUES=the bench queue, SILENT_CALL_QUEUES=none); the baseline is unchanged")
    .option('--profile <rate>', 'profile the steps at this rate: perf on FreeSWITCH (both sides) and drachtio-server, V8 on the app (whole run); top symbols in the report')
    .option('--overload', 'issue 12 "Overload": the hotline alone up the --rates ramp to its sustainable rate R, then one step at --overload-factor × R; PASS/FAIL per criterion --settle-seconds after its last arrival')
    .option('--overload-rate <r>', 'the sustainable rate R to double, without the ramp (implies --overload)')
    .option('--overload-factor <f>', 'the overload step\'s rate as a multiple of R', '2')
    .option('--settle-seconds <n>', 'after the overload step\'s last arrival, wait this long before checking what is left', '60')
    .option('--json', 'print the result as JSON')
    .action(async (o: Options) => {
      const settings = parseOptions(o);
      const progress = (line: string) => process.stderr.write(`sip-load: ${line}\n`);
      const result = await runSipLoad(settings, progress);
      if (result.status === 'skipped') {
        if (o.json) console.log(JSON.stringify(result));
        else console.log(`sip-load: skipped: ${result.reason}`);
        process.exitCode = 0;
        return;
      }
      console.log(o.json ? JSON.stringify(result, null, 2) : formatReport(result));
    });
}
