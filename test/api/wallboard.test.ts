import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { ChangeSignal } from '../../src/kpi/changes.js';
import type { LiveKpis, LiveKpiSource, LiveQueueKpis } from '../../src/kpi/types.js';
import { createLogger } from '../../src/logging.js';
import { KpiStream, type SseSink } from '../../src/api/wallboard/stream.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

const queue = (queueId: string, waiting: number): LiveQueueKpis => ({
  queueId, waiting, longestWaitSec: waiting * 10, offered: 10, answered: 8, abandoned: 1, answeredWithinTarget: 7, serviceLevel: 0.7,
  target: { fraction: 0.8, seconds: 20 }, abandonRate: 0.1, answerRate: 0.8, asaSec: 12, attSec: 100, ahtSec: 130, occupancy: 0.6,
  avgRings: 1.5, rona: 0, silent: 0, staffing: { required: 3, loggedIn: 4, ready: 1 },
});

/** A source whose figures the test sets; it counts its readings. */
class FixedSource implements LiveKpiSource {
  reads = 0;
  fail: Error | null = null;
  k: LiveKpis = { at: 1_000, windowSec: 3600, hotline: queue('*', 2), queues: [queue('general', 2)], agents: { byState: { ready: 1 }, list: [] }, alerts: [] };
  live(): Promise<LiveKpis> {
    this.reads++;
    if (this.fail) return Promise.reject(this.fail);
    return Promise.resolve(structuredClone(this.k));
  }
  set(at: number, waiting = 2): void {
    this.k = { ...this.k, at, hotline: queue('*', waiting), queues: [queue('general', waiting)] };
  }
}

/** A client socket: its buffer "fills" when the test says so, and drains when the test says so. */
class FakeSink extends EventEmitter implements SseSink {
  frames: string[] = [];
  ended = 0;
  full = false;
  write(chunk: string): boolean {
    this.frames.push(chunk);
    return !this.full;
  }
  end(): void {
    this.ended++;
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
  kpis(): LiveKpis[] {
    return this.frames.filter((f) => f.startsWith('event: kpis')).map((f) => JSON.parse(f.split('\ndata: ')[1]!) as LiveKpis);
  }
}

const logs = (): Logger & { warned: unknown[] } => {
  const warned: unknown[] = [];
  return { ...silentLogger, warn: (o: unknown) => void warned.push(o), child: () => silentLogger, warned };
};

describe('KpiStream', () => {
  it('reads the source once per refresh however many clients, and sends each the same frame', async () => {
    const src = new FixedSource();
    const s = new KpiStream({ source: src, logger: silentLogger, everyMs: 60_000, historyEveryMs: 60_000 });
    const sinks = Array.from({ length: 50 }, () => new FakeSink());
    const releases = sinks.map((k) => s.subscribe(k));
    await s.settled();
    const before = src.reads;
    src.set(2_000);
    s.nudge();
    await s.settled();
    expect(src.reads - before).toBe(1);
    for (const k of sinks) expect(k.kpis().at(-1)!.at).toBe(2_000);
    expect(new Set(sinks.map((k) => k.frames.at(-1))).size).toBe(1);
    releases.forEach((r) => r());
    expect(s.clientCount).toBe(0);
    await s.close();
  });

  it('a slow client skips to the newest frame on drain and never delays the others', async () => {
    const src = new FixedSource();
    const s = new KpiStream({ source: src, logger: silentLogger, everyMs: 60_000, historyEveryMs: 60_000 });
    const slow = new FakeSink();
    const fast = new FakeSink();
    s.subscribe(slow);
    s.subscribe(fast);
    await s.settled();
    slow.full = true;
    for (const at of [2_000, 3_000, 4_000, 5_000]) {
      src.set(at);
      s.nudge();
      await s.settled();
    }
    expect(fast.kpis().map((k) => k.at).slice(-4)).toEqual([2_000, 3_000, 4_000, 5_000]);
    // Its socket took 2000 and reported full: 3000 and 4000 were replaced by 5000, which waits for 'drain'.
    expect(slow.kpis().at(-1)!.at).toBe(2_000);
    expect(s.coalesced).toBe(2);
    slow.drain();
    expect(slow.kpis().map((k) => k.at).slice(-2)).toEqual([2_000, 5_000]);
    await s.close();
  });

  it('heartbeats keep idle sockets alive but never take the place of a blocked client\'s pending picture', async () => {
    const src = new FixedSource();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    let held = false;
    const gated: LiveKpiSource = { live: async () => { if (held) await gate; return src.live(); } };
    const s = new KpiStream({ source: gated, logger: silentLogger, everyMs: 20, heartbeatMs: 20, historyEveryMs: 60_000 });
    const slow = new FakeSink();
    const fast = new FakeSink();
    s.subscribe(slow);
    s.subscribe(fast);
    await s.settled();
    slow.full = true;
    for (const at of [2_000, 3_000]) {
      src.set(at);
      s.nudge();
      await s.settled();
    }
    held = true; // readings now hang: only heartbeats go out
    s.start();
    await new Promise((r) => setTimeout(r, 150));
    expect(fast.frames.filter((f) => f.startsWith(': heartbeat')).length).toBeGreaterThan(1);
    slow.drain();
    expect(slow.frames.at(-1)!.startsWith('event: kpis')).toBe(true);
    expect(slow.kpis().at(-1)!.at).toBe(3_000);
    open();
    await s.close();
  });

  it('disconnects a client that has not drained for stuckMs; release is once only', async () => {
    const src = new FixedSource();
    let now = 0;
    const log = logs();
    const s = new KpiStream({ source: src, logger: log, everyMs: 60_000, historyEveryMs: 60_000, stuckMs: 30_000, now: () => now });
    const stuck = new FakeSink();
    const ok = new FakeSink();
    const release = s.subscribe(stuck);
    s.subscribe(ok);
    await s.settled();
    stuck.full = true;
    s.nudge();
    await s.settled();
    now += 29_000;
    s.nudge();
    await s.settled();
    expect(s.clientCount).toBe(2);
    now += 2_000;
    s.nudge();
    await s.settled();
    expect(s.clientCount).toBe(1);
    expect(stuck.ended).toBe(1);
    expect(stuck.listenerCount('drain')).toBe(0);
    expect(log.warned).toHaveLength(1);
    release(); // the connection's own 'close' comes later: harmless
    expect(stuck.ended).toBe(1);
    await s.close();
    expect(ok.ended).toBe(1);
  });

  it('tells clients the figures are stale when the source fails (logged once per outage), and recovers', async () => {
    const src = new FixedSource();
    const log = logs();
    const s = new KpiStream({ source: src, logger: log, everyMs: 60_000, historyEveryMs: 60_000 });
    const sink = new FakeSink();
    s.subscribe(sink);
    await s.settled();
    src.fail = new Error('Redis down');
    s.nudge();
    await s.settled();
    s.nudge();
    await s.settled();
    expect(sink.frames.filter((f) => f.startsWith('event: stale'))).toHaveLength(2);
    expect(sink.frames.at(-1)).toContain('Redis down');
    expect(log.warned).toHaveLength(1);
    src.fail = null;
    src.set(9_000);
    s.nudge();
    await s.settled();
    expect(sink.kpis().at(-1)!.at).toBe(9_000);
    await s.close();
  });

  it('pushes on a change signal long before the period, at most one push per changeMinMs however often it fires', async () => {
    const src = new FixedSource();
    const changes = new ChangeSignal();
    const s = new KpiStream({ source: src, logger: silentLogger, everyMs: 60_000, historyEveryMs: 60_000, changes, changeMinMs: 200 });
    s.start();
    const sink = new FakeSink();
    s.subscribe(sink);
    await s.settled();
    const reads = src.reads;
    src.set(2_000);
    const t0 = performance.now();
    changes.emit();
    await s.settled();
    // At once, not in 60 s.
    expect(sink.kpis().at(-1)!.at).toBe(2_000);
    expect(performance.now() - t0).toBeLessThan(100);
    // A burst within 200 ms of that push: one more reading, at the end of the interval, with the newest figures.
    for (let i = 0; i < 10; i++) {
      src.set(3_000 + i);
      changes.emit();
    }
    await s.settled();
    expect(src.reads - reads).toBe(1);
    await vi.waitFor(() => expect(sink.kpis().at(-1)!.at).toBe(3_009), { timeout: 1_000, interval: 20 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(src.reads - reads).toBe(2);
    await s.close();
    // Closed: the stream no longer listens.
    changes.emit();
    expect(src.reads - reads).toBe(2);
  });

  it('sends the periodic frame on every period even when each read takes 60 ms (virtual clock): 10 in 10 s', async () => {
    const clock = new VirtualClock(0);
    const src = new FixedSource();
    // A read that takes 60 ms of the clock and is stamped when it ends: the old pacing skipped every other period.
    const slow: LiveKpiSource = { live: () => new Promise((res) => void clock.setTimeout(() => {
      src.set(clock.now());
      res(src.live());
    }, 60)) };
    const s = new KpiStream({ source: slow, logger: silentLogger, clock, everyMs: 1_000, historyEveryMs: 30_000 });
    const sink = new FakeSink();
    s.start();
    s.subscribe(sink);
    await clock.advanceAsync(200);
    const first = sink.kpis().length;
    for (let i = 0; i < 100; i++) await clock.advanceAsync(100);
    expect(sink.kpis().slice(first).map((k) => k.at)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1_000 + 60));
    await s.close();
  });

  it('change pushes stay throttled to one per changeMinMs on the virtual clock, beside the periodic frames', async () => {
    const clock = new VirtualClock(0);
    const src = new FixedSource();
    const changes = new ChangeSignal();
    const starts: number[] = [];
    const source: LiveKpiSource = { live: () => {
      starts.push(clock.now());
      src.set(clock.now());
      return src.live();
    } };
    const s = new KpiStream({ source, logger: silentLogger, clock, everyMs: 1_000, historyEveryMs: 30_000, changes, changeMinMs: 200 });
    const sink = new FakeSink();
    s.start();
    s.subscribe(sink);
    await clock.advanceAsync(10);
    starts.length = 0;
    const first = sink.kpis().length;
    // A change every 20 ms for 10 s: at most one change push per 200 ms (50) plus the 10 periodic frames.
    for (let i = 0; i < 500; i++) {
      changes.emit();
      await clock.advanceAsync(20);
    }
    const frames = sink.kpis().length - first;
    expect(frames).toBeGreaterThanOrEqual(50);
    expect(frames).toBeLessThanOrEqual(61);
    // Every whole second had its periodic reading.
    for (let t = 1_000; t <= 10_000; t += 1_000) expect(starts).toContain(t);
    // Change-driven reads (those not on a whole second) are 200 ms apart at least.
    const changeStarts = starts.filter((t) => t % 1_000 !== 0);
    for (let i = 1; i < changeStarts.length; i++) expect(changeStarts[i]! - changeStarts[i - 1]!).toBeGreaterThanOrEqual(200);
    await s.close();
  });

  it('takes history samples at their own pace without pushing frames (clients keep the period and the change signal)', async () => {
    const src = new FixedSource();
    const s = new KpiStream({ source: src, logger: silentLogger, everyMs: 60_000, historyEveryMs: 30 });
    const sink = new FakeSink();
    s.start();
    s.subscribe(sink);
    await s.settled();
    const frames = sink.kpis().length;
    const samples = s.history().length;
    await new Promise((r) => setTimeout(r, 250));
    await s.settled();
    expect(s.history().length - samples).toBeGreaterThan(2);
    expect(sink.kpis()).toHaveLength(frames);
    await s.close();
  });

  it('keeps a ring buffer of samples for the charts, the oldest dropped past historyKeepMs', async () => {
    const src = new FixedSource();
    let now = 0;
    const s = new KpiStream({ source: src, logger: silentLogger, everyMs: 1_000, historyEveryMs: 1_000, historyKeepMs: 5_000, now: () => now });
    for (let i = 1; i <= 8; i++) {
      now = i * 1_000;
      src.set(now, i);
      s.nudge();
      await s.settled();
    }
    const h = s.history();
    expect(h.map((x) => x.at)).toEqual([4_000, 5_000, 6_000, 7_000, 8_000]);
    expect(h.at(-1)!.queues['*']).toEqual({ waiting: 8, offered: 10, answered: 8, abandoned: 1, serviceLevel: 0.7, required: 3, loggedIn: 4, ready: 1 });
    expect(Object.keys(h.at(-1)!.queues)).toEqual(['*', 'general']);
    await s.close();
  });
});

describe('wallboard routes', () => {
  let w: ApiWorld;
  const src = new FixedSource();
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(chunk.toString()); cb(); } });
    w = await apiWorld('wallboard', { liveKpis: src, wallboard: { everyMs: 100, historyEveryMs: 3_600_000 } }, createLogger('info', sink));
  });
  afterAll(async () => {
    await w.close();
  });

  it('serves the page and its fixed list of assets without a token (they hold no data)', async () => {
    const page = await w.app.inject({ url: '/wallboard' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.body).toContain('/wallboard/assets/uPlot.iife.min.js');
    const uplot = await w.app.inject({ url: '/wallboard/assets/uPlot.iife.min.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.headers['content-type']).toMatch(/javascript/);
    expect(uplot.body).toContain('uPlot');
    for (const name of ['..%2F..%2Fpackage.json', 'constructor', 'index.html']) {
      const res = await w.app.inject({ url: `/wallboard/assets/${name}` });
      expect(res.statusCode, name).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
  });

  it('history and stream: supervisor or admin, by header or ?access_token= (only on these routes)', async () => {
    expect((await w.app.inject({ url: '/api/kpis/history', remoteAddress: '10.3.0.1' })).statusCode).toBe(401);
    expect((await w.app.inject({ url: '/api/kpis/stream', remoteAddress: '10.3.0.2' })).statusCode).toBe(401);
    expect((await w.app.inject({ url: '/api/kpis/history', headers: bearer(w.token.agent) })).statusCode).toBe(403);
    expect((await w.app.inject({ url: `/api/kpis/stream?access_token=${w.token.agent}` })).statusCode).toBe(403);
    const h = await w.app.inject({ url: '/api/kpis/history', headers: bearer(w.token.supervisor) });
    expect(h.statusCode).toBe(200);
    expect(h.json()).toMatchObject({ everyMs: 3_600_000, samples: [{ queues: { '*': { waiting: 2 } } }] });
    expect((await w.app.inject({ url: `/api/kpis/history?access_token=${w.token.admin}` })).statusCode).toBe(200);
    // Other routes take the header only: a token in their URL is not a login.
    const other = await w.app.inject({ url: `/api/queues?access_token=${w.token.admin}`, remoteAddress: '10.3.0.3' });
    expect(other.statusCode).toBe(401);
  });

  it('never writes a token from the URL to the log', async () => {
    lines.length = 0;
    await w.app.inject({ url: `/api/kpis/history?access_token=${w.token.supervisor}&x=1` });
    const text = lines.join('');
    expect(text).toContain('incoming request');
    expect(text).toContain('access_token=[redacted]&x=1');
    expect(text).not.toContain(w.token.supervisor);
  });

  it('streams `kpis` events over HTTP and lets go of the client when it disconnects', async () => {
    const base = await w.app.listen({ host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    src.set(42_000, 5);
    const res = await fetch(`${base}/api/kpis/stream?access_token=${w.token.supervisor}`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const events: LiveKpis[] = [];
    while (events.length < 3) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      const parts = text.split('\n\n');
      text = parts.pop()!;
      for (const p of parts) if (p.startsWith('event: kpis')) events.push(JSON.parse(p.split('\ndata: ')[1]!) as LiveKpis);
    }
    expect(events.at(-1)).toEqual(await src.live());
    // Connected: read about every 100 ms. Disconnected: the stream stops reading (the hour-long history pace only).
    ac.abort();
    // (However slow this machine is to notice the close: wait for a quiet half second, up to 5 s.)
    let after = -1;
    for (let i = 0; i < 10 && after !== src.reads; i++) {
      after = src.reads;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(src.reads).toBe(after);
  });

  it('ends open streams when the app closes, so closing does not hang', async () => {
    const base = w.app.server.listening ? `http://127.0.0.1:${(w.app.server.address() as { port: number }).port}` : await w.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${base}/api/kpis/stream`, { headers: bearer(w.token.supervisor) });
    const reader = res.body!.getReader();
    await reader.read();
    const t0 = Date.now();
    await w.app.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    let done = false;
    for (let i = 0; i < 10 && !done; i++) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});
