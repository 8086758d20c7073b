import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentCallsDone,
  callerStats,
  cpuPerCall,
  diffCounters,
  eslPerCall,
  formatEsl,
  formatReport,
  shedReasons,
  summarizeCpuProfile,
  ratios,
  stepResult,
  summarizeSide,
  treeCpuMs,
  type CallerStats,
  type SipLoadResult,
  type StepResult,
} from '../../src/bench/sip-load.js';
import { parseSippStats, sippDurationMs } from '../../src/bench/sipp-stats.js';
import { parsePromText } from '../../src/bench/prom-text.js';

// The bench's arithmetic, on a real SIPp -trace_stat file (a hotline step of 10 calls at 2 calls/s), and its skip
// path. Needs no servers, so it lives here and `npm test` runs it (test/e2e holds only what needs the servers;
// test/lint/test-split.test.ts keeps it so). The bench's server-side files stay in test/e2e/load.

const fixture = readFileSync(join(import.meta.dirname, 'fixtures', 'caller-stat.csv'), 'utf8');

const caller = (over: Partial<CallerStats> = {}): CallerStats => ({ created: 100, ok: 100, failed: 0, maxConcurrent: 40, setupMs: 10, callSec: 18, reasons: {}, ...over });

describe('SIPp statistics', () => {
  it('reads the columns by name and sums up a caller step', () => {
    const rows = parseSippStats(fixture);
    expect(rows).toHaveLength(29);
    expect(rows[0]!['TargetRate']).toBe('2');
    const s = callerStats(rows);
    expect(s).toMatchObject({ created: 10, ok: 10, failed: 0, maxConcurrent: 10, reasons: {} });
    expect(s.callSec).toBeCloseTo(19.61, 2);
    expect(s.setupMs).toBeGreaterThan(0);
    expect(agentCallsDone(rows)).toBe(10);
  });

  it('names the failure counters that are not zero', () => {
    const header = 'TotalCallCreated;CurrentCall;SuccessfulCall(C);FailedCall(C);FailedTimeoutOnRecv(C);FailedUnexpectedMessage(C);FailedCallRejected(C)';
    const s = callerStats(parseSippStats(`${header}\n5;2;3;2;1;1;0\n`));
    expect(s).toMatchObject({ created: 5, ok: 3, failed: 2, maxConcurrent: 2, reasons: { FailedTimeoutOnRecv: 1, FailedUnexpectedMessage: 1 } });
  });

  it('converts SIPp durations', () => {
    expect(sippDurationMs('00:00:12:864000')).toBe(12_864);
    expect(sippDurationMs('01:02:03:000500')).toBe(3_723_000.5);
    expect(sippDurationMs('n/a')).toBeNaN();
    expect(parseSippStats('')).toEqual([]);
  });
});

describe('step verdicts', () => {
  it('holds when every offered call completed at both ends', () => {
    const r = stepResult({ side: 'hotline', rate: 10, stepSec: 10, caller: caller(), agentCalls: 100, maxFail: 0.01 });
    expect(r).toMatchObject({ offered: 100, completed: 100, failed: 0, held: true, reasons: {} });
  });

  it('counts calls the caller thought fine but no agent answered, and calls never placed', () => {
    const r = stepResult({ side: 'hotline', rate: 10, stepSec: 10, caller: caller({ created: 98, ok: 97, failed: 1 }), agentCalls: 95, maxFail: 0.01 });
    expect(r).toMatchObject({ offered: 100, completed: 95, failed: 5, held: false, reasons: { NoAgentAnswered: 2, NotPlaced: 2 } });
  });

  it('tells shed calls (503/480 with Retry-After, a success for SIPp) from completed and failed ones', () => {
    // 100 offered: SIPp saw 97 scenarios through, 30 of them by the shed branch; agents finished 65 calls.
    const r = stepResult({ side: 'hotline', rate: 10, stepSec: 10, caller: caller({ ok: 97, failed: 3 }), agentCalls: 65, maxFail: 0.01, shed: 30 });
    expect(r).toMatchObject({ offered: 100, completed: 65, shed: 30, failed: 5, held: false, reasons: { NoAgentAnswered: 2 } });
    // Shedding cleanly is still not sustaining the rate: a step that sheds more than --max-fail does not hold.
    const clean = stepResult({ side: 'hotline', rate: 10, stepSec: 10, caller: caller(), agentCalls: 60, maxFail: 0.01, shed: 40 });
    expect(clean).toMatchObject({ completed: 60, shed: 40, failed: 0, held: false });
    // A 503 after a second or more (a set-up that timed out) is a failure that ended in the shed branch.
    const slow = stepResult({ side: 'hotline', rate: 10, stepSec: 10, caller: caller(), agentCalls: 60, maxFail: 0.01, shed: 30, slowShed: 10 });
    expect(slow).toMatchObject({ completed: 60, shed: 30, failed: 10, reasons: { Slow503: 10 } });
  });

  it('tolerates exactly the allowed fraction and not one call more', () => {
    const at = stepResult({ side: 'baseline', rate: 10, stepSec: 10, caller: caller({ ok: 99, failed: 1 }), agentCalls: 99, maxFail: 0.01 });
    expect(at).toMatchObject({ failed: 1, held: true });
    const over = stepResult({ side: 'baseline', rate: 10, stepSec: 10, caller: caller({ ok: 98, failed: 2 }), agentCalls: 98, maxFail: 0.01 });
    expect(over).toMatchObject({ failed: 2, held: false });
  });
});

describe('summary and report', () => {
  const step = (side: 'baseline' | 'hotline', rate: number, held: boolean, maxConcurrent: number, failed = held ? 0 : 7): StepResult => ({
    side,
    rate,
    offered: rate * 10,
    created: rate * 10,
    completed: rate * 10 - failed,
    shed: 0,
    failed,
    maxConcurrent,
    setupMs: 5,
    callSec: 18,
    held,
    reasons: held ? {} : { FailedTimeoutOnRecv: failed },
    cpuMs: { freeswitch: rate * 100, ...(side === 'hotline' ? { app: rate * 50 } : {}) },
  });

  it('takes the highest rate that held, its concurrency, and every failed call', () => {
    const s = summarizeSide([step('hotline', 2, true, 36), step('hotline', 4, true, 75, 1), step('hotline', 6, false, 130)]);
    // CPU per call over the steps that held: (2·150 + 4·150) ms / (20 + 39) calls.
    // The telephony servers apart (2·100 + 4·100)/59, and the app (2·50 + 4·50)/59.
    expect(s).toEqual({ sustainedCps: 4, sustainedOnTimeCps: 4, concurrentHeld: 75, failedCalls: 8, failedWhileHeld: 1, brokeAt: 6, cpuMsPerCall: 15.3, serverCpuMsPerCall: 10.2, appCpuMsPerCall: 5.1 });
    expect(summarizeSide([step('baseline', 2, false, 30)])).toMatchObject({ sustainedCps: 0, concurrentHeld: 0, brokeAt: 2 });
  });

  it("calls on time: the highest held rate whose calls last at most 10 % longer than at the side's first step", () => {
    const late = (rate: number, callSec: number): StepResult => ({ ...step('baseline', rate, true, rate * 13), callSec });
    // FreeSWITCH alone past its limit: every step "held", the calls ever later (the bench's 40..64 calls/s).
    const s = summarizeSide([late(40, 12.71), late(48, 13.65), late(56, 15.35), late(64, 17.08)]);
    expect(s).toMatchObject({ sustainedCps: 64, sustainedOnTimeCps: 48 });
    // A step that did not hold is not on time however short its calls.
    expect(summarizeSide([late(40, 12.7), { ...late(48, 12.7), held: false }])).toMatchObject({ sustainedOnTimeCps: 40 });
    const r = ratios(summarizeSide([late(40, 12.8)]), s);
    expect(r.sustainedOnTimeCps).toBeCloseTo(40 / 48, 3);
  });

  it('counts every app instance (app, app2, …) as the app, not as a telephony server', () => {
    // --app-instances 2: the app's 50 ms per call split over two processes; drachtio stays a server.
    const two = (rate: number): StepResult => ({ ...step('hotline', rate, true, 36), cpuMs: { freeswitch: rate * 80, drachtio: rate * 20, app: rate * 30, app2: rate * 20 } });
    const s = summarizeSide([two(2), two(4)]);
    // (2·150 + 4·150) ms / 60 calls; servers (80 + 20) per rate unit, the two instances 30 + 20.
    expect(s).toMatchObject({ cpuMsPerCall: 15, serverCpuMsPerCall: 10, appCpuMsPerCall: 5 });
  });

  it('prints both sides and the ratio hotline/baseline', () => {
    const baseline = summarizeSide([step('baseline', 2, true, 36), step('baseline', 4, true, 72)]);
    const hotline = summarizeSide([step('hotline', 2, true, 38), step('hotline', 4, false, 80)]);
    const ratio = ratios(hotline, baseline);
    // CPU per call: hotline 2·150/20 = 15, baseline (2·100 + 4·100)/60 = 10.
    expect(ratio).toEqual({ sustainedCps: 0.5, sustainedOnTimeCps: 0.5, concurrentHeld: 0.528, cpuMsPerCall: 1.5, serverCpuMsPerCall: 1 });
    expect(ratios(hotline, summarizeSide([])).sustainedCps).toBeNaN();
    const result: SipLoadResult = {
      status: 'done',
      settings: { rates: [2, 4], stepSec: 10, seats: 80, talkMs: 3000, dtmfMs: 9000, maxFail: 0.01, fsConf: '/x' },
      steps: [step('baseline', 2, true, 36), step('hotline', 2, true, 38), step('baseline', 4, true, 72), step('hotline', 4, false, 80)],
      baseline,
      hotline,
      ratio,
      notes: ['baseline held every rate tried'],
    };
    const text = formatReport(result);
    expect(text).toMatch(/calls per second sustained\s+4\s+2\s+0\.5/);
    expect(text).toMatch(/concurrent calls held\s+72\s+38\s+0\.528/);
    expect(text).toMatch(/failed calls \(all steps\)\s+0\s+7/);
    expect(text).toMatch(/server CPU ms per call, FreeSWITCH \+ drachtio \(held steps\)\s+10\s+10\s+1$/m);
    expect(text).toMatch(/app CPU ms per call \(held steps\)\s+-\s+5$/m);
    expect(text).toMatch(/all CPU ms per call, servers \+ app \(held steps\)\s+10\s+15\s+1\.5/);
    expect(text).toMatch(/^4\s+hotline\s+40\s+33\s+0\s+7\s+0\s+80\s+5\s+18\s+18\.2\s+NO\s+FailedTimeoutOnRecv 7$/m);
    expect(text).toContain('note: baseline held every rate tried');
    // Held hotline steps only (rate 2: 20 calls, freeswitch 200 ms, app 100 ms).
    expect(text).toContain('hotline server CPU ms per call by server (held steps): freeswitch 10, app 5');
    expect(text).not.toContain('media released');
    expect(formatReport({ ...result, settings: { ...result.settings, mediaRelease: true } })).toContain('; media released while the agent talks');
  });
});

describe('event-socket traffic and profiles', () => {
  const metrics = [
    '# HELP hotline_esl_received_total Messages',
    '# TYPE hotline_esl_received_total counter',
    'hotline_esl_received_total{event="CHANNEL_EXECUTE_COMPLETE"} 40',
    'hotline_esl_received_total{event="DTMF"} 2',
    'hotline_esl_sent_total{command="execute playback"} 8',
    'hotline_esl_sent_total{command="api uuid_break"} 6',
    'hotline_esl_socket_bytes_total{direction="in"} 409600',
    'hotline_esl_socket_bytes_total{direction="out"} 20480',
    'hotline_esl_received_body_bytes_total 307200',
    'hotline_esl_sockets_closed_total 8',
    'hotline_calls_total{disposition="completed"} 4',
  ].join('\n');

  it('reads the counters of one prefix and subtracts two readings', () => {
    const after = parsePromText(metrics, 'hotline_esl_');
    expect(after['hotline_esl_received_total{event="DTMF"}']).toBe(2);
    expect(after['hotline_calls_total{disposition="completed"}']).toBeUndefined();
    expect(Object.keys(after)).toHaveLength(8);
    const d = diffCounters({ 'hotline_esl_received_total{event="DTMF"}': 2, 'hotline_esl_sockets_closed_total': 2 }, after);
    expect(d['hotline_esl_received_total{event="DTMF"}']).toBeUndefined();
    expect(d['hotline_esl_sockets_closed_total']).toBe(6);
    expect(d['hotline_esl_received_total{event="CHANNEL_EXECUTE_COMPLETE"}']).toBe(40);
  });

  it('names the callers the app shed with 503, by reason', () => {
    expect(shedReasons({ 'hotline_calls_shed_total{reason="media-cpu"}': 12, 'hotline_calls_shed_total{reason="overloaded"}': 0, 'hotline_esl_sockets_closed_total': 3 })).toEqual({ 'Shed503(media-cpu)': 12 });
  });

  it('divides by the completed calls of the steps and prints messages, bytes and commands per call', () => {
    const r = stepResult({ side: 'hotline', rate: 1, stepSec: 4, caller: caller({ ok: 4 }), agentCalls: 4, maxFail: 0, esl: parsePromText(metrics, 'hotline_esl_') });
    expect(eslPerCall([{ ...r, esl: {} }])).toBeUndefined();
    const per = eslPerCall([r])!;
    expect(per['hotline_esl_sockets_closed_total']).toBe(2);
    const lines = formatEsl(per);
    expect(lines[0]).toBe('hotline event sockets per completed call (held steps): 2 sockets, 100 KB in / 5 KB out (event bodies 75 KB)');
    expect(lines[1]).toBe('  received 10.5: CHANNEL_EXECUTE_COMPLETE 10, DTMF 0.5');
    expect(lines[2]).toBe('  sent 3.5: execute playback 2, api uuid_break 1.5');
  });

  it('sums a V8 profile by module and function, idle left out', () => {
    const node = (id: number, functionName: string, url: string, hitCount: number) => ({ id, callFrame: { functionName, url, lineNumber: 9 }, hitCount });
    const lines = summarizeCpuProfile({
      startTime: 0,
      endTime: 10_000_000, // 10 s in µs over 100 samples
      nodes: [
        node(1, '(idle)', '', 50),
        node(2, 'parse', 'file:///x/node_modules/drachtio-modesl/lib/esl/Parser.js', 30),
        node(3, 'step', 'file:///x/src/ivr/interpreter.ts', 15),
        node(4, '(garbage collector)', '', 5),
      ],
    });
    expect(lines[0]).toBe('busy 5 s of 10 s sampled; self time by module:');
    expect(lines[1]).toBe('   60%  drachtio-modesl');
    expect(lines).toContain('   30%  src/ivr');
    expect(lines).toContain('   10%  (garbage collector)');
    expect(lines).toContain('   60%  parse drachtio-modesl:10');
  });

  it('counts only the samples of a window when asked (the profiled step, not start-up)', () => {
    const node = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0 }, hitCount: 99 });
    const profile = {
      startTime: 0,
      endTime: 4000,
      nodes: [node(1, 'compile', 'node:internal/modules/x'), node(2, 'parse', 'file:///x/node_modules/drachtio-srf/lib/p.js'), node(3, 'step', 'file:///x/src/ivr/i.ts')],
      samples: [1, 2, 3, 1],
      timeDeltas: [1000, 1000, 1000, 1000],
    };
    const lines = summarizeCpuProfile(profile, 5, { fromUs: 1500, toUs: 3500 });
    expect(lines[0]).toBe('busy 0 s of 0 s sampled; self time by module:');
    expect(lines.slice(1, 3).sort()).toEqual(['   50%  drachtio-srf', '   50%  src/ivr']);
    expect(summarizeCpuProfile(profile, 5, { fromUs: 9000, toUs: 9500 })).toEqual(['(no samples)']);
  });
});

describe('CPU accounting', () => {
  it('has no figure without calls or without CPU', () => {
    expect(cpuPerCall([])).toBeUndefined();
    const r = stepResult({ side: 'baseline', rate: 1, stepSec: 10, caller: caller({ ok: 10 }), agentCalls: 10, maxFail: 0 });
    expect(cpuPerCall([r])).toBeUndefined();
    expect(cpuPerCall([{ ...r, cpuMs: { freeswitch: 25 } }])).toBe(2.5);
  });

  it('reads a process tree from /proc, and 0 for a process that is gone', () => {
    const before = treeCpuMs(process.pid);
    const end = Date.now() + 200;
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(treeCpuMs(process.pid)).toBeGreaterThan(before);
    // A parent counts its children: the test runner's parent includes this worker.
    expect(treeCpuMs(process.ppid)).toBeGreaterThanOrEqual(treeCpuMs(process.pid));
    expect(treeCpuMs(2 ** 22 + 1)).toBe(0);
  });
});

describe('without the servers', () => {
  it('says it skipped, and exits 0', () => {
    const root = join(import.meta.dirname, '..', '..');
    const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', 'bench', 'sip-load', '--telephony', join(import.meta.dirname, 'no-such-dir')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sip-load: skipped: .*no-such-dir.*not found/m);
  });
});
