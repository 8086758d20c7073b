import { describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { MediaError } from '../../src/media/errors.js';
import { MediaPool } from '../../src/media/media-pool.js';
import { FakeHosts, type FakeServer, type PoolLeg } from './fake-servers.js';

const STALE_MS = 5000;

async function started(names = ['fs1:8021', 'fs2:8023'], backoffMs = 5000): Promise<{ clock: VirtualClock; hosts: FakeHosts; pool: MediaPool<PoolLeg> }> {
  const clock = new VirtualClock(1_000_000);
  const hosts = new FakeHosts(names, clock);
  const pool = new MediaPool<PoolLeg>(hosts.servers(), clock, silentLogger, { heartbeatStaleMs: STALE_MS, backoffMs });
  await pool.start();
  return { clock, hosts, pool };
}

const serverOf = (leg: PoolLeg): string => leg.id.replace(/-leg-\d+$/, '');

/** One server whose heartbeat interval (2 s) is known, carrying one leg: where the stale-heartbeat probe tests start. */
async function beatingWithLeg(): Promise<{ clock: VirtualClock; hosts: FakeHosts; pool: MediaPool<PoolLeg>; leg: PoolLeg; server: FakeServer }> {
  const { clock, hosts, pool } = await started(['fs1:8021']);
  hosts.beatAll();
  await clock.advanceAsync(2000);
  hosts.beatAll();
  const leg = await pool.legForRemoteSdp('v=0');
  return { clock, hosts, pool, leg, server: hosts.now('fs1:8021') };
}

describe('MediaPool: new calls go to the least-loaded healthy server', () => {
  it('follows the heartbeat: more idle CPU first, then fewer sessions', async () => {
    const { hosts, pool } = await started();
    hosts.beatAll({ 'fs1:8021': [40, 10], 'fs2:8023': [90, 60] });
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs2:8023');
    expect(pool.cpuIdle).toBe(90);
    hosts.beatAll({ 'fs1:8021': [92, 10], 'fs2:8023': [95, 60] });
    expect(serverOf(await pool.offerLeg())).toBe('fs1:8021');
    expect(pool.cpuIdle).toBe(92);
  });

  it('spreads a burst between two heartbeats: legs made since the beat count as sessions', async () => {
    const { hosts, pool } = await started();
    hosts.beatAll({ 'fs1:8021': [90, 0], 'fs2:8023': [90, 0] });
    const legs = [];
    for (let i = 0; i < 10; i++) legs.push(await pool.legForRemoteSdp('v=0'));
    const counts = { 'fs1:8021': 0, 'fs2:8023': 0 } as Record<string, number>;
    for (const l of legs) counts[serverOf(l)]!++;
    expect(counts).toEqual({ 'fs1:8021': 5, 'fs2:8023': 5 });
  });

  it('counts set-ups still under way, so concurrent set-ups do not all land on one server', async () => {
    const { hosts, pool } = await started();
    hosts.beatAll({ 'fs1:8021': [90, 0], 'fs2:8023': [90, 0] });
    hosts.now('fs1:8021').setup = 'manual';
    hosts.now('fs2:8023').setup = 'manual';
    const ps = [1, 2, 3, 4].map(() => pool.legForRemoteSdp('v=0'));
    expect(hosts.now('fs1:8021').pending).toHaveLength(2);
    expect(hosts.now('fs2:8023').pending).toHaveLength(2);
    for (const n of ['fs1:8021', 'fs2:8023']) for (const p of hosts.now(n).pending) p.resolve(p.leg);
    expect((await Promise.all(ps)).map(serverOf).sort()).toEqual(['fs1:8021', 'fs1:8021', 'fs2:8023', 'fs2:8023']);
  });
});

describe('MediaPool: health', () => {
  it('takes a server whose heartbeat went stale out of service, ends its legs at once, and takes it back when it beats again', async () => {
    const { clock, hosts, pool } = await started();
    // Two beats 2 s apart show FreeSWITCH's interval (freeswitch-conf/: 2 s), so the 5 s bound applies.
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [50, 0] });
    await clock.advanceAsync(2000);
    hosts.beatAll();
    const onFs1 = await pool.legForRemoteSdp('v=0');
    expect(serverOf(onFs1)).toBe('fs1:8021');
    const first = hosts.now('fs1:8021');

    // fs1 freezes (no FIN, no heartbeat, no answer to a probe); fs2 keeps beating every 2 s.
    first.frozen = true;
    for (let t = 0; t < STALE_MS; t += 2000) {
      hosts.now('fs2:8023').heartbeat(50, 0);
      await clock.advanceAsync(2000);
    }
    // Stale: asked, and taking no new call while it does not answer; its legs go on for the probe's 3 s.
    expect(first.pings).toBe(1);
    expect(pool.healthyCount).toBe(1);
    expect(onFs1.gone).toBe(false);
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs2:8023');
    // The probe went out at 5 s after the last beat; 3 s later, unanswered, the server is out.
    hosts.now('fs2:8023').heartbeat(50, 0);
    await clock.advanceAsync(1999);
    expect(onFs1.gone).toBe(false);
    await clock.advanceAsync(2);
    expect(onFs1.gone).toBe(true);
    expect(onFs1.lostReason).toBe('no heartbeat for 5000 ms; no answer to a probe within 3000 ms');
    expect(first.disconnected).toBe(true);
    expect(pool.servers().find((s) => s.name === 'fs1:8021')).toMatchObject({ up: false, state: 'down', legs: 0 });
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs2:8023');

    // The background reconnect (1 s back-off) makes a fresh connection; it is in service from its connect.
    await clock.advanceAsync(1000);
    expect(hosts.connections.get('fs1:8021')).toHaveLength(2);
    expect(pool.healthyCount).toBe(2);
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [50, 0] });
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs1:8021');
  });

  it('learns a longer heartbeat interval (a stock FreeSWITCH beats every 20 s): in service between beats, out after 2.5 intervals of silence', async () => {
    const { clock, hosts, pool } = await started(['fs1:8021']);
    for (let i = 0; i < 5; i++) {
      hosts.beatAll();
      await clock.advanceAsync(20_000);
      expect(pool.healthyCount).toBe(1);
    }
    // Frozen: the last beat was 20 s ago; stale once 50 s have passed without one, out when the probe gets no answer.
    hosts.now('fs1:8021').frozen = true;
    await clock.advanceAsync(29_999);
    expect(pool.healthyCount).toBe(1);
    await clock.advanceAsync(2);
    expect(pool.healthyCount).toBe(0);
    expect(pool.servers()[0]).toMatchObject({ state: 'up' });
    await clock.advanceAsync(3000);
    expect(pool.servers()[0]).toMatchObject({ state: 'down' });
  });

  it('a connected server that never sends a heartbeat is out after the first-beat grace (25 s) and an unanswered probe', async () => {
    const { clock, hosts, pool } = await started(['fs1:8021']);
    hosts.now('fs1:8021').frozen = true;
    await clock.advanceAsync(25_000);
    expect(pool.healthyCount).toBe(1);
    await clock.advanceAsync(1);
    expect(pool.healthyCount).toBe(0);
    await clock.advanceAsync(3000);
    expect(pool.servers()[0]).toMatchObject({ state: 'down' });
  });

  it('a heartbeat that comes while the probe is out decides: the probe failing afterwards takes nothing out', async () => {
    const { clock, pool, leg, server } = await beatingWithLeg();
    server.frozen = true;
    await clock.advanceAsync(STALE_MS + 1);
    expect(server.unansweredPings).toHaveLength(1);
    expect(pool.healthyCount).toBe(0);
    // The heartbeat arrives after all; then the probe's socket reports an error.
    server.heartbeat(80, 1);
    expect(pool.healthyCount).toBe(1);
    server.unansweredPings[0]!.reject(new Error('late failure'));
    await clock.advanceAsync(3000);
    expect(pool.servers()[0]).toMatchObject({ state: 'up' });
    expect(leg.gone).toBe(false);
  });

  it('a server whose heartbeat is late but that answers the probe stays in service: its calls go on', async () => {
    // Measured on the load bench: FreeSWITCH at normal priority on a full box sent its heartbeat 5 s late while it
    // carried hundreds of calls; taking it out then ended them all.
    const { clock, hosts, pool, leg, server } = await beatingWithLeg();
    // No heartbeat for 5 s: stale, probed, answered at once, in service again with its staleness clock restarted.
    await clock.advanceAsync(STALE_MS + 1);
    expect(server.pings).toBe(1);
    expect(pool.healthyCount).toBe(1);
    expect(pool.servers()[0]).toMatchObject({ state: 'up' });
    expect(leg.gone).toBe(false);
    expect(server.disconnected).toBe(false);
    // Late again: probed again, still answering; the heartbeat that finally comes is taken as before.
    await clock.advanceAsync(STALE_MS + 1);
    expect(server.pings).toBe(2);
    hosts.beatAll();
    expect(pool.healthyCount).toBe(1);
    expect(hosts.connections.get('fs1:8021')).toHaveLength(1);
    // Hung from here on: the next stale heartbeat's probe goes unanswered and the server is out, its leg ended.
    server.frozen = true;
    await clock.advanceAsync(STALE_MS + 1);
    expect(pool.healthyCount).toBe(0);
    expect(leg.gone).toBe(false);
    await clock.advanceAsync(3000);
    expect(leg.gone).toBe(true);
    expect(server.disconnected).toBe(true);
  });

  it('a server that keeps beating stays in service however long it runs', async () => {
    const { clock, hosts, pool } = await started();
    for (let i = 0; i < 50; i++) {
      hosts.beatAll();
      await clock.advanceAsync(2000);
    }
    expect(pool.healthyCount).toBe(2);
    expect(hosts.connections.get('fs1:8021')).toHaveLength(1);
  });

  it('takes a server out the moment its event socket ends; reconnects with a growing, bounded back-off while it stays away', async () => {
    const { clock, hosts, pool } = await started();
    const legs = [await pool.legForRemoteSdp('v=0'), await pool.legForRemoteSdp('v=0')];
    const onFs1 = legs.filter((l) => serverOf(l) === 'fs1:8021');
    expect(onFs1).toHaveLength(1);
    hosts.reachable.set('fs1:8021', false);
    hosts.now('fs1:8021').endSocket();
    expect(pool.healthyCount).toBe(1);
    expect(onFs1[0]!.gone).toBe(true);
    expect(legs.find((l) => serverOf(l) === 'fs2:8023')!.gone).toBe(false);

    // Attempts 1, 2, 4, 8, 16 s apart, then every 30 s (bounded), never a tight loop.
    const lostAt = clock.now();
    for (let t = 0; t < 120_000; t += 1000) {
      hosts.now('fs2:8023').heartbeat(80, 0);
      await clock.advanceAsync(1000);
    }
    expect(hosts.attempts.get('fs1:8021')!.slice(1).map((at) => (at - lostAt) / 1000)).toEqual([1, 3, 7, 15, 31, 61, 91]);
    expect(pool.healthyCount).toBe(1);
    hosts.reachable.set('fs1:8021', true);
    await clock.advanceAsync(30_000);
    expect(pool.healthyCount).toBe(2);
  });

  it('three set-up time-outs in a row take a server out; one success in between resets the count', async () => {
    const { hosts, pool } = await started(['fs1:8021', 'fs2:8023'], 0);
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [10, 0] });
    const fs1 = hosts.now('fs1:8021');
    const fail = async (): Promise<unknown> => pool.legForRemoteSdp('v=0').catch((e: unknown) => e);
    fs1.setup = 'timeout';
    expect(await fail()).toMatchObject({ code: 'MEDIA_TIMEOUT' });
    expect(await fail()).toMatchObject({ code: 'MEDIA_TIMEOUT' });
    fs1.setup = 'ok';
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs1:8021');
    fs1.setup = 'timeout';
    await fail();
    await fail();
    expect(pool.healthyCount).toBe(2);
    await fail();
    expect(pool.healthyCount).toBe(1);
    expect(fs1.disconnected).toBe(true);
  });

  it('after a failed set-up the other servers take the calls for MEDIA_BACKOFF_MS; the overload guard is told only when none is left', async () => {
    const { clock, hosts, pool } = await started(['fs1:8021', 'fs2:8023'], 5000);
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [60, 0] });
    let told = 0;
    pool.onSetupFailure(() => told++);
    hosts.now('fs1:8021').setup = 'timeout';
    await pool.legForRemoteSdp('v=0').catch(() => undefined);
    expect(told).toBe(0);
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs2:8023');
    hosts.now('fs2:8023').setup = 'timeout';
    await pool.legForRemoteSdp('v=0').catch(() => undefined);
    expect(told).toBe(1);
    hosts.now('fs1:8021').setup = 'ok';
    await clock.advanceAsync(5000);
    hosts.beatAll();
    expect(serverOf(await pool.legForRemoteSdp('v=0'))).toBe('fs1:8021');
  });
});

describe('MediaPool: control lag (MEDIA_PING_MS)', () => {
  async function pinged(): Promise<{ clock: VirtualClock; hosts: FakeHosts; pool: MediaPool<PoolLeg> }> {
    const clock = new VirtualClock(1_000_000);
    const hosts = new FakeHosts(['fs1:8021', 'fs2:8023'], clock);
    const pool = new MediaPool<PoolLeg>(hosts.servers(), clock, silentLogger, { heartbeatStaleMs: 60_000, backoffMs: 5000, pingIntervalMs: 500 });
    await pool.start();
    return { clock, hosts, pool };
  }
  const lagOf = (pool: MediaPool<PoolLeg>, name: string): number | undefined => pool.servers().find((s) => s.name === name)?.controlLagMs;

  it("measures FreeSWITCH's own delay by its clock, not the time its answer waits here; a ping still out counts with its age; one out at a time", async () => {
    const { clock, hosts, pool } = await pinged();
    const fs1 = hosts.now('fs1:8021');
    // Nothing measured before the first ping.
    expect(lagOf(pool, 'fs1:8021')).toBeUndefined();
    await clock.advanceAsync(500);
    expect(fs1.pings).toBe(1);
    expect(lagOf(pool, 'fs1:8021')).toBe(0);
    // A busy server: it runs the ping 300 ms late; the next ping goes out 500 ms after the last answer.
    fs1.runDelayMs = 300;
    await clock.advanceAsync(500);
    expect(fs1.pings).toBe(2);
    await clock.advanceAsync(150);
    expect(lagOf(pool, 'fs1:8021')).toBe(150); // out 150 ms, more than the last reading's 0
    await clock.advanceAsync(150);
    expect(lagOf(pool, 'fs1:8021')).toBe(300);
    await clock.advanceAsync(499);
    expect(fs1.pings).toBe(2);
    await clock.advanceAsync(1);
    expect(fs1.pings).toBe(3);
    // A quick server whose answers wait 400 ms in this process (its event loop busy): counted while out, and once
    // read, only FreeSWITCH's part (none) remains.
    await clock.advanceAsync(300);
    fs1.runDelayMs = 0;
    fs1.readDelayMs = 400;
    await clock.advanceAsync(500);
    expect(fs1.pings).toBe(4);
    await clock.advanceAsync(399);
    expect(lagOf(pool, 'fs1:8021')).toBe(399);
    await clock.advanceAsync(1);
    expect(lagOf(pool, 'fs1:8021')).toBe(0);
    // Stalled: no answer; the lag grows with the ping's age and no second ping goes out meanwhile.
    fs1.readDelayMs = 0;
    fs1.frozen = true;
    await clock.advanceAsync(500);
    expect(fs1.pings).toBe(5);
    await clock.advanceAsync(2000);
    expect(lagOf(pool, 'fs1:8021')).toBe(2000);
    expect(fs1.pings).toBe(5);
    // The other server, answering at once, is unaffected.
    expect(lagOf(pool, 'fs2:8023')).toBe(0);
    // It ran the ping only now and answers: that delay is the reading until the next.
    fs1.frozen = false;
    fs1.unansweredPings.shift()!.resolve(clock.now() + fs1.clockOffsetMs);
    await flushMicrotasks();
    expect(lagOf(pool, 'fs1:8021')).toBe(2000);
    await clock.advanceAsync(500);
    expect(lagOf(pool, 'fs1:8021')).toBe(0);
  });

  it('a server that gives no clock reading is measured by the round trip', async () => {
    const { clock, hosts, pool } = await pinged();
    const fs1 = hosts.now('fs1:8021');
    fs1.givesClock = false;
    fs1.readDelayMs = 120;
    await clock.advanceAsync(500 + 120);
    expect(lagOf(pool, 'fs1:8021')).toBe(120);
  });

  it("admission reads the lag of the server the next call goes to; a server taken out stops being pinged and its figure is gone", async () => {
    const { clock, hosts, pool } = await pinged();
    hosts.beatAll();
    const fs1 = hosts.now('fs1:8021');
    const fs2 = hosts.now('fs2:8023');
    await clock.advanceAsync(500);
    fs2.runDelayMs = 200;
    await clock.advanceAsync(1000);
    // Both equally loaded: the lower index takes the next call, and its lag is the pool's.
    expect(pool.controlLagMs).toBe(0);
    fs1.endSocket();
    expect(pool.controlLagMs).toBe(200);
    expect(lagOf(pool, 'fs1:8021')).toBeUndefined();
    const before = fs1.pings;
    await clock.advanceAsync(5000);
    expect(fs1.pings).toBe(before);
  });

  it('pings nothing with MEDIA_PING_MS=0 (the figure stays undefined)', async () => {
    const { clock, hosts, pool } = await started(['fs1:8021']);
    await clock.advanceAsync(10_000);
    expect(hosts.now('fs1:8021').pings).toBe(0);
    expect(pool.controlLagMs).toBeUndefined();
  });
});

describe('MediaPool: a call stays on one server', () => {
  it('puts a leg near another on that leg\'s server, whatever the load', async () => {
    const { hosts, pool } = await started();
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [50, 0] });
    const caller = await pool.legForRemoteSdp('v=0');
    expect(serverOf(caller)).toBe('fs1:8021');
    hosts.beatAll({ 'fs1:8021': [20, 100], 'fs2:8023': [99, 0] });
    expect(serverOf(await pool.legForRemoteSdp('v=0', { near: caller.id }))).toBe('fs1:8021');
    expect(serverOf(await pool.offerLeg({ near: caller.id }))).toBe('fs1:8021');
    expect(serverOf(await pool.offerLeg())).toBe('fs2:8023');
  });

  it('fails with MEDIA_UNAVAILABLE rather than split a call whose server went out of service', async () => {
    const { hosts, pool } = await started();
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [50, 0] });
    const caller = await pool.legForRemoteSdp('v=0');
    hosts.reachable.set('fs1:8021', false);
    hosts.now('fs1:8021').endSocket();
    const e = await pool.legForRemoteSdp('v=0', { near: caller.id }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediaError);
    expect(e).toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
    expect(String((e as Error).message)).toMatch(/fs1:8021/);
    expect(hosts.now('fs2:8023').made).toHaveLength(0);
  });

  it('a near leg that ended normally: the new leg is placed as a new call', async () => {
    const { hosts, pool } = await started();
    hosts.beatAll({ 'fs1:8021': [99, 0], 'fs2:8023': [50, 0] });
    const caller = await pool.legForRemoteSdp('v=0');
    await caller.release();
    hosts.beatAll({ 'fs1:8021': [20, 0], 'fs2:8023': [99, 0] });
    expect(serverOf(await pool.offerLeg({ near: caller.id }))).toBe('fs2:8023');
  });

  it('a leg whose server went out of service during its set-up is ended and reported, not handed out', async () => {
    const { hosts, pool } = await started(['fs1:8021']);
    const fs1 = hosts.now('fs1:8021');
    fs1.setup = 'manual';
    const p = pool.legForRemoteSdp('v=0').catch((e: unknown) => e);
    fs1.endSocket();
    fs1.pending[0]!.resolve(fs1.pending[0]!.leg);
    expect(await p).toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
    expect(fs1.pending[0]!.leg.gone).toBe(true);
  });
});

describe('MediaPool: start-up', () => {
  it('fails in one line naming every server when none can be reached', async () => {
    const clock = new VirtualClock();
    const hosts = new FakeHosts(['fs1:8021', 'fs2:8023'], clock);
    hosts.reachable.set('fs1:8021', false);
    hosts.reachable.set('fs2:8023', false);
    const pool = new MediaPool<PoolLeg>(hosts.servers(), clock, silentLogger, { heartbeatStaleMs: STALE_MS, backoffMs: 0 });
    const e = await pool.start().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
    expect((e as Error).message).toMatch(/fs1:8021: connect ECONNREFUSED; fs2:8023: connect ECONNREFUSED/);
    expect((e as Error).message).not.toContain('\n');
    // Closed: no retry timers left behind.
    expect(clock.pending()).toBe(0);
  });

  it('starts with the servers that are up and brings the others in when they come', async () => {
    const clock = new VirtualClock();
    const hosts = new FakeHosts(['fs1:8021', 'fs2:8023'], clock);
    hosts.reachable.set('fs2:8023', false);
    const pool = new MediaPool<PoolLeg>(hosts.servers(), clock, silentLogger, { heartbeatStaleMs: STALE_MS, backoffMs: 0 });
    await pool.start();
    expect(pool.healthyCount).toBe(1);
    expect(pool.servers().map((s) => [s.name, s.up])).toEqual([['fs1:8021', true], ['fs2:8023', false]]);
    hosts.reachable.set('fs2:8023', true);
    await clock.advanceAsync(1000);
    expect(pool.healthyCount).toBe(2);
    pool.close();
    expect(hosts.now('fs1:8021').disconnected).toBe(true);
    expect(hosts.now('fs2:8023').disconnected).toBe(true);
    await flushMicrotasks();
    expect(clock.pending()).toBe(0);
  });
});
