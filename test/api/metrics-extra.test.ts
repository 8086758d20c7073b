import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionController } from '../../src/call/admission.js';
import { CallRegistry } from '../../src/call/registry.js';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { isMediaError } from '../../src/media/errors.js';
import { DEFAULT_MEDIA_LIMITS, FsmrfLeg } from '../../src/media/fsmrf-leg.js';
import { MediaPool } from '../../src/media/media-pool.js';
import { FakeHosts, type PoolLeg } from '../media/fake-servers.js';
import { AcdEventWriter } from '../../src/store/pg/acd-events.js';
import { openPgStore } from '../../src/store/pg/index.js';
import { Spool } from '../../src/store/pg/spool.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { WebhookRepository } from '../../src/webhooks/repository.js';
import { uniqueHotline } from '../support/redis.js';
import { TEST_DATABASE_URL } from '../support/pg.js';
import { deadUrl, ListSource, Receiver } from '../webhooks/support.js';
import { apiWorld, type ApiWorld } from './support.js';

let w: ApiWorld;
beforeAll(async () => {
  w = await apiWorld('api_metrics_extra');
});
afterAll(async () => {
  await w.close();
});

/** Scrape /metrics as Prometheus would and read one series (undefined when absent). */
async function series(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await w.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of res.body.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (want.every((x) => have.includes(x)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics: the extra series of issue 10', () => {
  it('answer-timer outcomes from the committed ACD event stream, and the event writer lag', async () => {
    const T0 = w.clock.now();
    const src = new ListSource();
    const writer = new AcdEventWriter({
      db: w.tdb.db,
      source: src,
      stream: 'metrics',
      ringOnMs: 1000,
      ringOffMs: 4000,
      clock: w.clock,
      logger: silentLogger,
      onCommitted: w.metrics.acdEventsObserver({ onMs: 1000, offMs: 4000 }),
    });
    w.metrics.setPipelineSources({ eventWriterLagMs: () => writer.lagMs() });
    // Ring 1 is 0–5 s, ring 2 from 5 s, ring 3 from 10 s (1 s on + 4 s off).
    src.push({ type: 'answered', at: T0, callId: 'k1', agentId: 'a1', ringMs: 4_999 });
    src.push({ type: 'answered', at: T0, callId: 'k2', agentId: 'a1', ringMs: 5_000 });
    src.push({ type: 'answered', at: T0, callId: 'k3', agentId: 'a1', ringMs: 12_000 });
    src.push({ type: 'answered', at: T0, callId: 'k4', agentId: 'a1', ringMs: 16_000 });
    src.push({ type: 'rona', at: T0, callId: 'k5', agentId: 'a2', queueId: 'general' });
    w.clock.advance(7_000);
    expect(await writer.pump()).toBe(5);
    expect(await series('hotline_answer_timer_outcomes_total', { outcome: 'answered_ring_1' })).toBe(1);
    expect(await series('hotline_answer_timer_outcomes_total', { outcome: 'answered_ring_2' })).toBe(1);
    expect(await series('hotline_answer_timer_outcomes_total', { outcome: 'answered_ring_3' })).toBe(1);
    expect(await series('hotline_answer_timer_outcomes_total', { outcome: 'answered_ring_4_or_later' })).toBe(1);
    expect(await series('hotline_answer_timer_outcomes_total', { outcome: 'rona' })).toBe(1);
    expect(await series('hotline_acd_event_writer_lag_seconds')).toBe(7);
    // Caught up: no lag; and events already counted are not counted again.
    expect(await writer.pump()).toBe(0);
    expect(await series('hotline_acd_event_writer_lag_seconds')).toBe(0);
    expect(await series('hotline_answer_timer_outcomes_total', { outcome: 'rona' })).toBe(1);
  });

  it('media operation errors and time-outs, through the media observer port', async () => {
    const clock = new VirtualClock(0);
    const ep = Object.assign(new EventEmitter(), {
      uuid: 'ep-m',
      local: { sdp: 'v=0' },
      play: () => new Promise(() => undefined),
      api: () => Promise.resolve({ getBody: () => '+OK' }),
    });
    const leg = new FsmrfLeg(ep as never, clock, { ...DEFAULT_MEDIA_LIMITS, graceMs: 1000, playMs: 10_000 }, w.metrics.mediaObserver());
    const played = leg.play(['hello.wav']).catch((e: unknown) => e);
    await flushMicrotasks();
    clock.advance(60_000);
    expect(isMediaError(await played, 'MEDIA_TIMEOUT')).toBe(true);
    expect(await series('hotline_media_errors_total', { code: 'MEDIA_TIMEOUT', op: 'play' })).toBe(1);
  });

  it('per media server: up, sessions and idle CPU from its heartbeat, labelled host:port', async () => {
    const clock = new VirtualClock(0);
    const hosts = new FakeHosts(['10.0.0.1:8021', '10.0.0.2:8021'], clock);
    const pool = new MediaPool<PoolLeg>(hosts.servers(), clock, silentLogger, { heartbeatStaleMs: 5000, backoffMs: 0 });
    await pool.start();
    w.metrics.setPipelineSources({ mediaServers: () => pool.servers() });
    hosts.now('10.0.0.1:8021').heartbeat(87.5, 12);
    expect(await series('hotline_media_server_up', { server: '10.0.0.1:8021' })).toBe(1);
    expect(await series('hotline_media_server_sessions', { server: '10.0.0.1:8021' })).toBe(12);
    expect(await series('hotline_media_server_idle_cpu', { server: '10.0.0.1:8021' })).toBe(87.5);
    expect(await series('hotline_media_server_idle_cpu', { server: '10.0.0.2:8021' })).toBeNaN();
    hosts.reachable.set('10.0.0.2:8021', false);
    hosts.now('10.0.0.2:8021').endSocket();
    expect(await series('hotline_media_server_up', { server: '10.0.0.2:8021' })).toBe(0);
    pool.close();
  });

  it('Redis function latency, through the store observer', async () => {
    const store = new RedisAcdStore({ redis: w.redis, hotlineId: uniqueHotline('metrics'), clock: w.clock, leaseMs: 60_000, observer: w.metrics.redisObserver() });
    try {
      await store.renewLease('i1');
      await store.renewLease('i1');
    } finally {
      await store.destroy();
    }
    const res = await w.app.inject({ method: 'GET', url: '/metrics' });
    const counts = res.body.split('\n').filter((l) => l.startsWith('hotline_redis_function_duration_seconds_count{') && l.includes('result="ok"'));
    expect(counts.reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBeGreaterThanOrEqual(2);
  });

  it('calls shed with 503, by reason', async () => {
    const registry = new CallRegistry(w.clock, 0, undefined, w.metrics.shedObserver());
    expect(registry.admit()).toMatchObject({ ok: false, reason: 'overloaded' });
    registry.stopAccepting();
    expect(registry.admit()).toMatchObject({ ok: false, reason: 'draining' });
    expect(await series('hotline_calls_shed_total', { reason: 'overloaded' })).toBe(1);
    expect(await series('hotline_calls_shed_total', { reason: 'draining' })).toBe(1);
  });

  it("admission control: the set-up limit, set-ups in flight, the CPU share, and its refusals' reasons", async () => {
    let idle: number | undefined = 20;
    const admission = new AdmissionController(w.clock, { softIdleCpu: 30, hardIdleCpu: 10, latencyTargetMs: 500, maxSetups: 10, initialSetups: 2 }, () => idle);
    w.metrics.setPipelineSources({ admission: () => admission.state() });
    const registry = new CallRegistry(w.clock, 100, admission, w.metrics.shedObserver());
    expect(registry.admit()).toMatchObject({ ok: false, reason: 'media-cpu' }); // half the calls at 20 % idle: the first waits
    const a = registry.admit();
    expect(a.ok).toBe(true);
    idle = 50;
    expect(registry.admit().ok).toBe(true);
    expect(registry.admit()).toMatchObject({ ok: false, reason: 'setup-limit' });
    expect(await series('hotline_admission_setup_limit')).toBe(2);
    expect(await series('hotline_admission_setups_in_flight')).toBe(2);
    expect(await series('hotline_admission_cpu_fraction')).toBe(1);
    idle = 15;
    expect(await series('hotline_admission_cpu_fraction')).toBe(0.25);
    if (a.ok) a.setup.failed();
    expect(await series('hotline_admission_setup_limit')).toBe(1);
    expect(await series('hotline_admission_setups_in_flight')).toBe(1);
    expect(await series('hotline_calls_shed_total', { reason: 'media-cpu' })).toBe(1);
    expect(await series('hotline_calls_shed_total', { reason: 'setup-limit' })).toBe(1);
  });

  it("admission control: the app's event-loop utilisation it reads, and the share that ramp admits", async () => {
    let busy: number | undefined = undefined; // not read yet
    const admission = new AdmissionController(w.clock, { softIdleCpu: 30, hardIdleCpu: 10, latencyTargetMs: 500, maxSetups: 10, loopBusySoft: 0.9, loopBusyMax: 0.98 }, () => 80, () => 1, () => busy);
    w.metrics.setPipelineSources({ admission: () => admission.state() });
    expect(await series('hotline_event_loop_utilization')).toBe(0); // not read yet
    expect(await series('hotline_admission_loop_fraction')).toBe(1);
    busy = 0.94;
    expect(await series('hotline_event_loop_utilization')).toBe(0.94);
    expect(await series('hotline_admission_loop_fraction')).toBeCloseTo(0.5, 10);
  });

  it('PostgreSQL spool depth', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acd-spool-metric-'));
    const pg = openPgStore({ url: TEST_DATABASE_URL, schema: w.tdb.schema, spoolDir: dir, clock: w.clock, logger: silentLogger });
    try {
      w.metrics.setPipelineSources({ spoolDepth: () => pg.recorder.spoolDepth() });
      expect(await series('hotline_pg_spool_depth')).toBe(0);
      const spool = new Spool(dir);
      await spool.append({ kind: 'call-record', data: {} });
      await spool.append({ kind: 'call-record', data: {} });
      expect(await series('hotline_pg_spool_depth')).toBe(2);
    } finally {
      await pg.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('webhook deliveries, failures and dead letters', async () => {
    const repo = new WebhookRepository(w.tdb.db);
    const ok = await new Receiver(() => 200).start();
    try {
      await repo.create({ url: ok.url, events: ['call.rona'] });
      await repo.create({ url: await deadUrl(), events: ['call.rona'] });
      await w.tdb.db.tx('event', (c) => repo.persist(c, [{ id: '9-0', seq: '9', event: { type: 'rona', at: w.clock.now(), callId: 'k9', agentId: 'a1', queueId: 'general' } }]));
      const d = new WebhookDispatcher({ repo, clock: w.clock, logger: silentLogger, instanceId: 'm', maxAttempts: 2, random: () => 0, observer: w.metrics.webhookObserver() });
      for (let i = 0; i < 3; i++) {
        await d.pump();
        await d.idle();
        w.clock.advance(60_000);
      }
    } finally {
      await ok.close();
    }
    expect(await series('hotline_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(await series('hotline_webhook_deliveries_total', { outcome: 'failed' })).toBe(1);
    expect(await series('hotline_webhook_deliveries_total', { outcome: 'dead' })).toBe(1);
  });
});
