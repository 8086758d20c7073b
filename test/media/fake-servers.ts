import { VirtualClock } from '../../src/core/clock.js';
import { MediaError, type MediaObserver } from '../../src/media/errors.js';
import type { PooledServer } from '../../src/media/media-pool.js';
import { ScriptedLeg } from '../call/harness.js';

/** A scripted leg the pool can end with its server. */
export class PoolLeg extends ScriptedLeg {
  lostReason: string | undefined;
  serverLost(reason: string): void {
    this.lostReason = reason;
    this.hangUp(`media server lost: ${reason}`);
  }
}

/** One connection to a fake FreeSWITCH: legs on demand, heartbeats and loss when the test says. */
export class FakeServer implements PooledServer<PoolLeg> {
  cpuIdle: number | undefined;
  currentSessions = 0;
  disconnected = false;
  /** 'ok': a leg at once; 'timeout': MEDIA_TIMEOUT; 'manual': the test settles `pending`. */
  setup: 'ok' | 'timeout' | 'manual' = 'ok';
  readonly pending: { resolve: (l: PoolLeg) => void; leg: PoolLeg }[] = [];
  readonly made: PoolLeg[] = [];
  private readonly beats = new Set<() => void>();
  private readonly losses = new Set<(why: string) => void>();

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
  ) {}

  legForRemoteSdp(): Promise<PoolLeg> {
    return this.make();
  }

  offerLeg(): Promise<PoolLeg> {
    return this.make();
  }

  private make(): Promise<PoolLeg> {
    if (this.setup === 'timeout') return Promise.reject(new MediaError('MEDIA_TIMEOUT', 'createEndpoint', 'no answer'));
    const leg = new PoolLeg(`${this.name}-leg-${this.made.length + 1}`, this.clock);
    this.made.push(leg);
    if (this.setup === 'ok') return Promise.resolve(leg);
    return new Promise((resolve) => this.pending.push({ resolve, leg }));
  }

  onHeartbeat(fn: () => void): () => void {
    this.beats.add(fn);
    return () => this.beats.delete(fn);
  }

  onLost(fn: (why: string) => void): () => void {
    this.losses.add(fn);
    return () => this.losses.delete(fn);
  }

  observe(_observer: MediaObserver): void {}

  disconnect(): void {
    this.disconnected = true;
  }

  /** Hung: answers no ping (and, by the test's choice, sends no heartbeat). */
  frozen = false;

  /**
   * Pings (the control-lag ping and the stale-heartbeat probe): how long the server takes to run one, then how long
   * its answer takes to be read.
   */
  runDelayMs = 0;
  readDelayMs = 0;
  /** Its own clock: the virtual clock plus this (another host's clock, another start). */
  clockOffsetMs = -999_000;
  /** Whether it reports its clock (false: an older server; the round trip is measured instead). */
  givesClock = true;
  pings = 0;
  /** Pings a frozen server has not answered: the test may settle them later (with its clock reading, or undefined). */
  readonly unansweredPings: { resolve: (serverClockMs: number | undefined) => void; reject: (e: Error) => void }[] = [];

  ping(): Promise<number | undefined> {
    this.pings++;
    if (this.frozen) return new Promise((resolve, reject) => this.unansweredPings.push({ resolve, reject }));
    return new Promise((resolve) => {
      const run = (): void => {
        const at = this.givesClock ? this.clock.now() + this.clockOffsetMs : undefined;
        if (this.readDelayMs > 0) this.clock.setTimeout(() => resolve(at), this.readDelayMs);
        else resolve(at);
      };
      if (this.runDelayMs > 0) this.clock.setTimeout(run, this.runDelayMs);
      else run();
    });
  }

  heartbeat(cpuIdle: number, sessions: number): void {
    this.cpuIdle = cpuIdle;
    this.currentSessions = sessions;
    for (const fn of [...this.beats]) fn();
  }

  endSocket(): void {
    for (const fn of [...this.losses]) fn('event socket closed');
  }
}

/** Two (or more) FreeSWITCH hosts: each connect() makes a fresh FakeServer while the host is reachable. */
export class FakeHosts {
  readonly reachable = new Map<string, boolean>();
  readonly connections = new Map<string, FakeServer[]>();
  /** When each connect() was tried, per host. */
  readonly attempts = new Map<string, number[]>();
  constructor(
    readonly names: string[],
    private readonly clock: VirtualClock,
  ) {
    for (const n of names) {
      this.reachable.set(n, true);
      this.connections.set(n, []);
      this.attempts.set(n, []);
    }
  }

  servers(): { name: string; connect: () => Promise<PooledServer<PoolLeg>> }[] {
    return this.names.map((name) => ({
      name,
      connect: () => {
        this.attempts.get(name)!.push(this.clock.now());
        if (!this.reachable.get(name)) return Promise.reject(new Error('connect ECONNREFUSED'));
        const s = new FakeServer(name, this.clock);
        this.connections.get(name)!.push(s);
        return Promise.resolve(s);
      },
    }));
  }

  /** The connection in use now (the last one made). */
  now(name: string): FakeServer {
    const list = this.connections.get(name)!;
    return list[list.length - 1]!;
  }

  /** Every live connection beats (the way FreeSWITCH does every event-heartbeat-interval). */
  beatAll(load: Record<string, [cpu: number, sessions: number]> = {}): void {
    for (const n of this.names) {
      const s = this.now(n);
      if (s && !s.disconnected) s.heartbeat(load[n]?.[0] ?? s.cpuIdle ?? 90, load[n]?.[1] ?? s.currentSessions);
    }
  }
}
