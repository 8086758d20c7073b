import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answeredInCounts, formatOverload, invitesInCounts, longestRefusal, overloadVerdicts, parseRtt, shedInCounts, shedSplit, shedTimeline, shedTiming, shedWithin, type Leftovers, type OverloadStep, type RttSample } from '../../src/bench/overload.js';
import { callerStats } from '../../src/bench/sip-load.js';
import { parseSippStats } from '../../src/bench/sipp-stats.js';

// acd bench sip-load --overload: the shed calls from SIPp's files, and the verdicts. No servers needed.
// The fixtures are real SIPp 3.6.1 files of test/e2e/load/sipp/caller.xml (100 calls at 10/s) against a UAS that
// answered every INVITE with 503 + Retry-After.
const fixture = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

/** A -trace_counts file by hand: cumulative INVITEs sent and 503/480 received at the given seconds. */
function counts(points: Array<[sec: number, invites: number, r503: number, r480?: number]>): string {
  const head = 'CurrentTime;ElapsedTime;0_Pause_Sessions;0_Pause_Unexp;1_INVITE_Sent;1_INVITE_Retrans;1_INVITE_Timeout;5_503_Recv;5_503_Retrans;6_480_Recv;6_480_Retrans;7_200_Recv;';
  const t0 = 1796645000;
  const line = ([s, inv, r503, r480 = 0]: [number, number, number, number?]) => {
    const us = String(Math.round((s % 1) * 1e6)).padStart(6, '0');
    const el = `00:00:${String(Math.floor(s)).padStart(2, '0')}:${us}`;
    return `2026-12-07\t12:00:00.000000\t${(t0 + s).toFixed(6)};${el};0;0;${inv};3;0;${r503};1;${r480};0;${inv - r503 - r480};`;
  };
  return [head, ...points.map(line)].join('\n') + '\n';
}

describe('shed calls in SIPp files', () => {
  it('counts the 503s of the shed branch and times them (real SIPp files)', () => {
    const c = parseSippStats(fixture('caller-shed-counts.csv'));
    expect(invitesInCounts(c[c.length - 1])).toBe(100);
    expect(answeredInCounts(c[c.length - 1])).toBe(0);
    expect(shedInCounts(c[c.length - 1])).toBe(100);
    const st = parseSippStats(fixture('caller-shed-stat.csv'));
    // The shed branch is a successful end of the scenario, not an SIPp failure.
    expect(callerStats(st)).toMatchObject({ created: 100, ok: 100, failed: 0 });
    const t = shedTiming(st);
    expect(t.under).toEqual({ '<100': 100, '<500': 0, '<1000': 0, '<2000': 0, '<5000': 0, '>=5000': 0 });
    expect(t.meanMs).toBeLessThan(100);
    expect(shedWithin(t, 1000)).toBe(100);
    expect(shedWithin(t, 50)).toBe(0);
    const rtt = parseRtt(fixture('caller-shed-rtt.csv'));
    expect(rtt).toHaveLength(100);
    expect(rtt[0]).toEqual({ atMs: expect.any(Number), ms: expect.any(Number), rtd: 'shed' });
    expect(shedSplit(rtt)).toEqual({ shed: 100, slow: 0 });
    // 10 calls/s for 10 s in 5 s buckets: SIPp's once-a-second lines land just after each second.
    const tl = shedTimeline(c, rtt, 5);
    // Every call was shed; a bucket's edge may put one INVITE on either side (the lines come a few ms late).
    expect(tl.map((b) => b.offered).reduce((a, b) => a + b, 0)).toBe(100);
    expect(tl.map((b) => b.shed).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(99);
    expect(tl.every((b) => b.shedPct >= 95)).toBe(true);
  });

  it('adds 480s to the 503s and ignores retransmissions', () => {
    const c = parseSippStats(counts([[1, 10, 2, 1]]));
    expect(shedInCounts(c[0])).toBe(3);
    expect(invitesInCounts(c[0])).toBe(10);
    expect(shedInCounts(undefined)).toBe(0);
  });

  it('gives the shed fraction per bucket by when the INVITE went out, until the last INVITE', () => {
    const c = parseSippStats(
      counts([
        [0, 0, 0],
        [1.003, 20, 0],
        [5.002, 100, 10],
        [10.003, 200, 60],
        [15.001, 300, 110],
        [20.002, 300, 110],
        [30.001, 300, 110],
      ]),
    );
    // Sheds by INVITE time (end − duration): 10 in 0-5 s, refused at once; 40 of 5-10 s; 50 of 10-15 s, 20 of them
    // answered only in the next bucket (a lagging 503 still counts where its INVITE was); two slow 503s (≥ 1 s:
    // failures, not sheds) and a 200 OK's set-up time do not count.
    const at = (invSec: number, ms: number, rtd = 'shed'): RttSample => ({ atMs: invSec * 1000 + ms, ms, rtd });
    const rtt = [
      ...Array.from({ length: 10 }, (_, i) => at(1 + i * 0.1, 3)),
      ...Array.from({ length: 40 }, (_, i) => at(5.5 + i * 0.1, 5)),
      ...Array.from({ length: 30 }, (_, i) => at(10 + i * 0.1, 40)),
      ...Array.from({ length: 20 }, (_, i) => at(14.5 + i * 0.02, 900)),
      at(6, 1500),
      at(7, 1000),
      at(8, 20, 'setup'),
    ];
    expect(shedSplit(rtt)).toEqual({ shed: 100, slow: 2 });
    // Offered per bucket from the counts line nearest its end (5.002 s for 0-5 s).
    expect(shedTimeline(c, rtt, 5)).toEqual([
      { fromSec: 0, toSec: 5, offered: 100, shed: 10, shedPct: 10 },
      { fromSec: 5, toSec: 10, offered: 100, shed: 40, shedPct: 40 },
      { fromSec: 10, toSec: 15, offered: 100, shed: 50, shedPct: 50 },
    ]);
    expect(shedTimeline([], [], 5)).toEqual([]);
    // In INVITE order: the one 200 (INVITE at 8 s) cuts the sheds in two: 35 from 1.0 s, then 64 from 8.1 s to the
    // last INVITE (14.88 s: the end of the data ends a stretch too).
    expect(longestRefusal(rtt)).toEqual({ calls: 64, sec: 6.78 });
    expect(longestRefusal([at(1, 5, 'setup'), at(2, 5), at(2.5, 5), at(3, 5, 'setup')])).toEqual({ calls: 2, sec: 1 });
    expect(longestRefusal([])).toEqual({ calls: 0, sec: 0 });
  });
});

describe('overload verdicts', () => {
  const step = (over: Partial<OverloadStep> = {}): OverloadStep => ({
    rate: 20,
    sustainedRate: 10,
    factor: 2,
    offered: 600,
    accepted: 330,
    completed: 330,
    shed: 270,
    failed: 0,
    reasons: { 'Shed503(media-cpu)': 270 },
    timing: { meanMs: 3.2, under: { '<100': 268, '<500': 2, '<1000': 0, '<2000': 0, '<5000': 0, '>=5000': 0 } },
    timeline: [
      { fromSec: 0, toSec: 5, offered: 100, shed: 10, shedPct: 10 },
      { fromSec: 5, toSec: 10, offered: 100, shed: 50, shedPct: 50 },
      { fromSec: 10, toSec: 15, offered: 100, shed: 60, shedPct: 60 },
      { fromSec: 15, toSec: 20, offered: 100, shed: 50, shedPct: 50 },
      { fromSec: 20, toSec: 25, offered: 100, shed: 55, shedPct: 55 },
      { fromSec: 25, toSec: 30, offered: 100, shed: 45, shedPct: 45 },
    ],
    longestRefusal: { calls: 6, sec: 0.3 },
    ...over,
  });
  const clean: Leftovers = { fsChannels: 0, agentStates: { ready: 130 }, acdCalls: 0, records: { answered: 330 }, duplicateRecords: 0 };

  it('passes a clean overload: every criterion', () => {
    const v = overloadVerdicts(step(), clean, 60);
    expect(v.map((x) => x.pass)).toEqual([true, true, true, true, true, true]);
    const text = formatOverload(step(), clean, v, 60).join('\n');
    expect(text).toContain('overload: 20 calls/s = 2 × the sustainable 10 calls/s');
    expect(text).toContain('offered 600, accepted 330, completed 330, shed 270 (45%), failed 0');
    expect(text).toContain('0-5s 10/100 10% | 5-10s 50/100 50%');
    expect(text).toMatch(/PASS {2}shedding follows the load \(not all-or-nothing\): 6 buckets of 5 s: 6 partly shed, 0 shed entirely, 0 not shed; longest run of refusals 6 calls in a row \(0\.3 s\)/);
    expect(text).toMatch(/^overload: PASS \(6\/6 criteria\)$/m);
  });

  it('fails each criterion on its own evidence', () => {
    // 10 accepted calls dropped by silence detection: recorded (one record per accepted call), but not completed.
    const failedCalls = overloadVerdicts(step({ completed: 320, failed: 10 }), { ...clean, records: { answered: 320, silent: 10 } }, 60);
    expect(failedCalls.filter((x) => !x.pass).map((x) => x.criterion)).toEqual(['accepted calls completed with their prompts']);
    // 70 refused only after a second or more: not accepted, not shed at once, no record.
    const slowShed = overloadVerdicts(step({ shed: 200, failed: 70, reasons: { Slow503: 70 } }), clean, 60);
    expect(slowShed.filter((x) => !x.pass).map((x) => x.criterion)).toEqual(['the rest shed with 503/480 + Retry-After at once']);
    expect(slowShed[1]!.detail).toContain('270 not accepted: 200 shed within 1 s (33.3% of offered), 70 answered 503 later (failed), 0 neither');
    const left = overloadVerdicts(step(), { ...clean, fsChannels: 4, agentStates: { ready: 128, 'on-call': 2 }, acdCalls: 2 }, 60);
    expect(left.filter((x) => !x.pass).map((x) => x.criterion)).toEqual(['FreeSWITCH channels 0 after 60 s', 'no agent stuck']);
    // A record for a shed call (overload disposition) or a call recorded twice.
    const records = overloadVerdicts(step(), { ...clean, records: { answered: 330, overload: 3 } }, 60);
    expect(records.filter((x) => !x.pass).map((x) => x.criterion)).toEqual(['one call record per accepted call, none for shed calls']);
    expect(overloadVerdicts(step(), { ...clean, duplicateRecords: 1 }, 60)[4]!.pass).toBe(false);
  });

  it('calls a step that refuses everything for a while all-or-nothing', () => {
    const onOff = step({
      timeline: [
        { fromSec: 0, toSec: 5, offered: 100, shed: 0, shedPct: 0 },
        { fromSec: 5, toSec: 10, offered: 100, shed: 100, shedPct: 100 },
        { fromSec: 10, toSec: 15, offered: 100, shed: 0, shedPct: 0 },
      ],
    });
    const v = overloadVerdicts(onOff, clean, 60);
    expect(v[5]).toMatchObject({ pass: false, detail: '3 buckets of 5 s: 0 partly shed, 1 shed entirely, 2 not shed; longest run of refusals 6 calls in a row (0.3 s)' });
    // Refusing every call for a whole bucket's length fails even when the buckets' edges split the stretch.
    expect(overloadVerdicts(step({ longestRefusal: { calls: 120, sec: 5.2 } }), clean, 60)[5]!.pass).toBe(false);
    // Shedding nothing at twice the sustainable rate is no pass either (nothing was shed at once).
    expect(overloadVerdicts(step({ shed: 0, accepted: 600, completed: 600 }), { ...clean, records: { answered: 600 } }, 60)[1]!.pass).toBe(false);
  });
});
