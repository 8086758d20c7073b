import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { ControlLag } from './control-lag.js';
import { MediaError, type MediaObserver } from './errors.js';
import type { MediaLeg } from './leg.js';
import type { ServerLoad } from './pool-chooser.js';

/** What MediaPool needs of one connected media server: MediaServerConnection implements it, tests pass a fake. */
export interface PooledServer<L> {
  legForRemoteSdp(remoteSdp: string): Promise<L>;
  offerLeg(): Promise<L>;
  /** Idle-CPU percent from the last HEARTBEAT; undefined before one. */
  readonly cpuIdle: number | undefined;
  /** Session-Count from the last HEARTBEAT. */
  readonly currentSessions: number;
  /** Each HEARTBEAT event (FreeSWITCH sends one every event-heartbeat-interval). Returns the unsubscribe. */
  onHeartbeat(fn: () => void): () => void;
  /** The event socket ended or failed. Returns the unsubscribe. */
  onLost(fn: (why: string) => void): () => void;
  /**
   * A command on its event socket that answers with the server's own monotonic clock (ms) when it ran it, or
   * undefined if it gave none. Both the control-lag ping (control-lag.ts) and, when the heartbeat is late, the probe
   * that tells a busy FreeSWITCH (alive, its heartbeat delayed behind its calls) from a hung one. May never settle.
   */
  ping(): Promise<number | undefined>;
  observe(observer: MediaObserver): void;
  disconnect(): void;
}

export interface SlotOptions {
  /**
   * A server whose last heartbeat is older than this is out of service (MEDIA_HEARTBEAT_STALE_MS), or than 2.5
   * heartbeat intervals as observed, whichever is longer: a FreeSWITCH beating every 20 s (its stock setting) is not
   * taken for dead between two beats.
   */
  heartbeatStaleMs: number;
  /** Before two heartbeats have shown the interval: how long a connected server may stay silent (default 25 s). */
  firstBeatGraceMs?: number;
  /**
   * Once the heartbeat is stale, how long the server has to answer a probe before it is taken out of service
   * (default 3 s). Meanwhile it takes no new calls; its calls go on.
   */
  probeTimeoutMs?: number;
  /**
   * How often the event socket is pinged (a command and its answer) to measure the server's control lag
   * (MEDIA_PING_MS; 0 or absent: never, and controlLagMs stays undefined). One ping out at a time.
   */
  pingIntervalMs?: number;
  /** Consecutive set-up time-outs that take a server out of service (it reconnects afterwards). */
  maxSetupTimeouts?: number;
  /** Reconnect back-off: first delay, doubling up to the last. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

type SlotState = 'connecting' | 'up' | 'down' | 'closed';

/**
 * One media server of the pool and its health: connecting → up → (event socket ended, heartbeat stale, or set-ups
 * kept timing out) → down → reconnect after a back-off (1 s doubling to 30 s) → up again. Taking a server down
 * disconnects it, so the next connection starts clean, and ends its live legs (serverLost) at once. State changes
 * are logged once each; failed reconnects only when the reason changes.
 */
export class ServerSlot<L extends MediaLeg & { serverLost(reason: string): void }> {
  private state: SlotState = 'connecting';
  /** The connection in service (only while `up`). */
  server: PooledServer<L> | undefined;
  lastError: string | undefined;
  private lastBeatAt = 0;
  /** Whether a HEARTBEAT event (not only the connect) set lastBeatAt, and the shortest interval seen between two. */
  private beaten = false;
  private minGapMs: number | undefined;
  private consecutiveTimeouts = 0;
  private backoffUntil = 0;
  /** Set-ups under way, and legs made since the last heartbeat (which its Session-Count does not yet include). */
  inFlight = 0;
  private sinceBeat = 0;
  /** Heartbeats that went stale while the server still answered its probe (logged with each). */
  private lateBeats = 0;
  /** The probe of a stale heartbeat in flight, if any: its outcome counts only while it is still this one. */
  private probing: object | undefined;
  private readonly legs = new Set<L>();
  private attempts = 0;
  /** The control lag of the connection in service (control-lag.ts). */
  private readonly lag = new ControlLag();
  private pingTimer: TimerHandle | undefined;
  private staleTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private offs: (() => void)[] = [];

  constructor(
    readonly index: number,
    readonly name: string,
    private readonly connector: () => Promise<PooledServer<L>>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: SlotOptions,
    private readonly report: MediaObserver,
  ) {}

  /** The first connection attempt; settles either way (a failure schedules the next). */
  async start(): Promise<void> {
    await this.attempt();
  }

  get healthy(): boolean {
    return this.state === 'up' && this.clock.now() - this.lastBeatAt <= this.staleAfterMs();
  }

  /**
   * How old the last heartbeat may be. The shortest interval seen is FreeSWITCH's event-heartbeat-interval (a late
   * beat only lengthens one gap); until two beats have shown it, the first-beat grace.
   */
  private staleAfterMs(): number {
    const learnt = this.minGapMs === undefined ? (this.opts.firstBeatGraceMs ?? 25_000) : Math.ceil(this.minGapMs * 2.5);
    return Math.max(this.opts.heartbeatStaleMs, learnt);
  }

  get cpuIdle(): number | undefined {
    return this.server?.cpuIdle;
  }

  /**
   * How far behind the server's control plane is now (ms; control-lag.ts). Undefined while not in service, with
   * pings off, or before the first answer.
   */
  controlLagMs(now: number): number | undefined {
    return this.state === 'up' ? this.lag.reading(now) : undefined;
  }

  load(now: number): ServerLoad {
    return {
      index: this.index,
      cpuIdle: this.server?.cpuIdle,
      sessions: (this.server?.currentSessions ?? 0) + this.sinceBeat + this.inFlight,
      backingOff: now < this.backoffUntil,
      controlLagMs: this.controlLagMs(now),
    };
  }

  stat(now: number): { name: string; up: boolean; state: SlotState; sessions: number; cpuIdle: number | undefined; legs: number; heartbeatAgeMs: number | undefined; controlLagMs: number | undefined } {
    return {
      name: this.name,
      up: this.healthy,
      state: this.state,
      sessions: this.server?.currentSessions ?? 0,
      cpuIdle: this.server?.cpuIdle,
      legs: this.legs.size,
      heartbeatAgeMs: this.state === 'up' ? now - this.lastBeatAt : undefined,
      controlLagMs: this.controlLagMs(now),
    };
  }

  /** A leg made here: ended with the server if it is taken out. */
  adopt(leg: L): void {
    this.sinceBeat++;
    this.legs.add(leg);
    leg.onGone(() => this.legs.delete(leg));
  }

  setupSucceeded(): void {
    this.consecutiveTimeouts = 0;
  }

  /** A set-up failed here: prefer other servers until `backoffUntil`; enough time-outs in a row take it out. */
  setupFailed(timedOut: boolean, backoffUntil: number): void {
    this.backoffUntil = Math.max(this.backoffUntil, backoffUntil);
    if (!timedOut) return;
    this.consecutiveTimeouts++;
    const max = this.opts.maxSetupTimeouts ?? 3;
    if (this.consecutiveTimeouts >= max) this.down(`${this.consecutiveTimeouts} set-ups in a row timed out`);
  }

  /** A getter, so a check after an await reads the state as it is now. */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    this.state = 'closed';
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.staleTimer);
    this.clock.clearTimeout(this.pingTimer);
    this.release();
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.state === 'closed') return;
    this.state = 'connecting';
    let server: PooledServer<L>;
    try {
      server = await this.connector();
    } catch (e) {
      if (this.closed) return;
      // A MediaError's message starts with its operation ("connect: "), which says nothing here.
      const why = e instanceof MediaError ? e.message.slice(e.op.length + 2) : e instanceof Error ? e.message : String(e);
      // Logged when the reason changes, not on every retry of a server that stays away.
      if (why !== this.lastError) this.log.warn({ err: e, attempt: this.attempts + 1 }, 'media server not reachable; retrying in the background');
      this.lastError = why;
      this.state = 'down';
      this.scheduleRetry();
      return;
    }
    if (this.closed) {
      // Closed while connecting: this connection has no owner.
      server.disconnect();
      return;
    }
    this.attempts = 0;
    this.lastError = undefined;
    this.consecutiveTimeouts = 0;
    this.backoffUntil = 0;
    this.sinceBeat = 0;
    this.server = server;
    this.state = 'up';
    server.observe(this.report);
    // The connection itself proves the server alive: the heartbeat clock starts now, not at its first beat.
    this.beaten = false;
    this.minGapMs = undefined;
    this.beat(false);
    this.offs = [server.onHeartbeat(() => this.beat(true)), server.onLost((why) => this.down(why))];
    this.lag.reset();
    this.schedulePing(server);
    this.log.info('media server in service');
  }

  private schedulePing(server: PooledServer<L>): void {
    const every = this.opts.pingIntervalMs ?? 0;
    if (every <= 0) return;
    this.clock.clearTimeout(this.pingTimer);
    this.pingTimer = this.clock.setTimeout(() => this.ping(server), every);
  }

  /**
   * Measure the control lag. The heartbeat says something of it only every few seconds and, on a loaded box, seconds
   * late; a ping every half second shows FreeSWITCH's control threads falling behind its calls while there is still
   * time to stop admitting more (src/call/admission.ts). The next ping goes out an interval after this one's answer
   * (or failure): never two out at once, so the connection alone says whose answer this is.
   */
  private ping(server: PooledServer<L>): void {
    this.pingTimer = undefined;
    if (this.server !== server || this.state !== 'up') return;
    this.lag.sent(this.clock.now());
    const settle = (answered: boolean, serverClockMs?: number): void => {
      // A ping of a connection since replaced or taken out measures nothing that is in service (a new connection is
      // a new object, and release() has reset the lag).
      if (this.server !== server || this.state !== 'up') return;
      if (answered) this.lag.answered(this.clock.now(), serverClockMs);
      else this.lag.failed();
      this.schedulePing(server);
    };
    server.ping().then(
      (serverClockMs) => settle(true, serverClockMs),
      () => settle(false),
    );
  }

  /** A HEARTBEAT (`real`), or the connect, which proves the server alive too: the staleness clock restarts. */
  private beat(real: boolean): void {
    const now = this.clock.now();
    if (real) {
      if (this.beaten) this.minGapMs = Math.min(this.minGapMs ?? Infinity, now - this.lastBeatAt);
      this.beaten = true;
      this.sinceBeat = 0;
    }
    this.lastBeatAt = now;
    this.probing = undefined;
    this.clock.clearTimeout(this.staleTimer);
    const limit = this.staleAfterMs();
    this.staleTimer = this.clock.setTimeout(() => this.probeLate(limit), limit + 1);
  }

  /**
   * The heartbeat is `limit` ms late. A FreeSWITCH busy with its calls can send it that late (on the load bench, at
   * normal priority on a full 2-core box, 5 s late on both app instances at once) while its event socket still
   * answers; taking it out then refused every new call and tore down its socket (and its calls with it, in socket
   * mode). So ask it first: an answer within probeTimeoutMs keeps it in service (the staleness clock restarts), none
   * takes it out as before. While the probe is out it is not `healthy`, so no new call goes to it.
   */
  private probeLate(limit: number): void {
    const server = this.server;
    if (this.state !== 'up' || !server) return;
    const waitMs = this.opts.probeTimeoutMs ?? 3000;
    const probe = {};
    this.probing = probe;
    const settle = (answered: boolean, why = ''): void => {
      // Settled once; and a heartbeat that came meanwhile (beat() ends the probe) has already decided.
      if (this.probing !== probe) return;
      this.probing = undefined;
      this.clock.clearTimeout(this.staleTimer);
      // A late outcome for a connection already replaced or closed has nothing left to decide.
      if (this.server !== server || this.state !== 'up') return;
      if (!answered) {
        this.down(`no heartbeat for ${limit} ms; ${why}`);
        return;
      }
      this.lateBeats++;
      this.log.warn({ heartbeatLateMs: this.clock.now() - this.lastBeatAt, lateBeats: this.lateBeats }, 'media server heartbeat late, but it answers: kept in service');
      this.beat(false);
    };
    this.staleTimer = this.clock.setTimeout(() => settle(false, `no answer to a probe within ${waitMs} ms`), waitMs);
    server.ping().then(
      () => settle(true),
      (err: unknown) => settle(false, `probe failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** Take the server out of service: disconnect, end its legs, reconnect later. */
  private down(why: string): void {
    if (this.state !== 'up') return;
    this.state = 'down';
    this.lastError = why;
    this.clock.clearTimeout(this.staleTimer);
    const legs = this.release();
    this.log.error({ why, legsEnded: legs }, 'media server out of service; its calls end, reconnecting in the background');
    this.scheduleRetry();
  }

  /** Disconnect the server in service and end its legs; returns how many legs ended. */
  private release(): number {
    for (const off of this.offs) off();
    this.offs = [];
    const server = this.server;
    this.server = undefined;
    this.clock.clearTimeout(this.staleTimer);
    this.clock.clearTimeout(this.pingTimer);
    this.lag.reset();
    const legs = [...this.legs];
    this.legs.clear();
    for (const leg of legs) leg.serverLost(this.lastError ?? 'closed');
    server?.disconnect();
    return legs.length;
  }

  private scheduleRetry(): void {
    const min = this.opts.retryMinMs ?? 1000;
    const max = this.opts.retryMaxMs ?? 30_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempts, 16));
    this.attempts++;
    this.retryTimer = this.clock.setTimeout(() => {
      this.attempt().catch((err: unknown) => this.log.error({ err }, 'media server reconnect failed'));
    }, delay);
  }
}
