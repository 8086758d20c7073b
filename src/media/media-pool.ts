import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { MediaError, type MediaErrorCode, type MediaObserver } from './errors.js';
import type { MediaLeg } from './leg.js';
import { chooseServer, type ServerLoad } from './pool-chooser.js';
import { ServerSlot, type PooledServer, type SlotOptions } from './server-slot.js';

export type { PooledServer } from './server-slot.js';

/** How long a leg lost with its server is remembered for `near` (a call's set-up of its next leg is shorter). */
const LOST_LEG_MEMORY_MS = 60_000;

/** A leg the pool can end when its server is lost (FsmrfLeg.serverLost). */
export interface PooledLeg extends MediaLeg {
  serverLost(reason: string): void;
}

/** Where a new leg goes: `near` names a live leg (MediaLeg.id) whose server the new one must share (one call, one server). */
export interface LegPlacement {
  near?: string;
}

/** What the SIP side needs to make legs (src/sip's dialers and INVITE handler); MediaPool implements it. */
export interface MediaLegFactory<L> {
  /** An endpoint for a far end's SDP (an inbound INVITE's offer, a seat's late-offer answer). */
  legForRemoteSdp(remoteSdp: string, opts?: LegPlacement): Promise<L>;
  /** An endpoint that offers first (outbound INVITE through the trunk). */
  offerLeg(opts?: LegPlacement): Promise<L>;
}

/** One media server as /healthz and /metrics show it. */
export interface MediaServerStat {
  /** host:port */
  name: string;
  /** Taking calls: connected, heartbeat fresh, not taken out for set-up time-outs. */
  up: boolean;
  state: 'connecting' | 'up' | 'down' | 'closed';
  /** Session-Count from its last heartbeat (0 before one). */
  sessions: number;
  /** Idle-CPU percent from its last heartbeat; undefined before one. */
  cpuIdle: number | undefined;
  /** Live legs this process holds there. */
  legs: number;
  /** Milliseconds since its last heartbeat (or connect); undefined while not connected. */
  heartbeatAgeMs: number | undefined;
  /** Its event socket's answer time now (ServerSlot.controlLagMs); undefined with MEDIA_PING_MS=0 or before the first. */
  controlLagMs: number | undefined;
}

export interface MediaPoolServer<L extends PooledLeg> {
  /** host:port, for logs, metrics and health (never the secret). */
  name: string;
  /** Open one connection (bounded by its own connect time-out); rejects when the server cannot be reached. */
  connect(): Promise<PooledServer<L>>;
}

export interface MediaPoolOptions extends SlotOptions {
  /** After a set-up failed on a server, prefer the others this long (MEDIA_BACKOFF_MS; 0 = never). */
  backoffMs: number;
}

/**
 * The media servers of FREESWITCH_SERVERS as one factory of legs. New calls go to the least-loaded healthy server
 * (pool-chooser.ts); a call's further legs go `near` its first (one call, one server: a bridge cannot span two
 * FreeSWITCH). Each server has a ServerSlot that connects, watches its heartbeat and reconnects; when one is taken
 * out, its live legs end at once (serverLost), so their calls' normal cleanup writes the records and frees the agents.
 */
export class MediaPool<L extends PooledLeg> implements MediaLegFactory<L> {
  private readonly slots: ServerSlot<L>[];
  /** Live legs → their server, for `near`. Dropped when the leg is gone. */
  private readonly legSlot = new Map<string, ServerSlot<L>>();
  /**
   * Legs ended because their server went out of service, for a while: a call's next leg `near` one of them must
   * fail (its call is ending), not quietly start on another server.
   */
  private readonly lostLegs = new Map<string, { server: string; at: number }>();
  private setupFailed: (() => void) | undefined;
  private observer: MediaObserver | undefined;
  private readonly report: MediaObserver = { error: (code: MediaErrorCode, op: string) => this.observer?.error(code, op) };

  constructor(
    servers: readonly MediaPoolServer<L>[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: MediaPoolOptions,
  ) {
    if (servers.length === 0) throw new MediaError('MEDIA_UNAVAILABLE', 'connect', 'no media server configured');
    this.slots = servers.map((s, i) => new ServerSlot(i, s.name, () => s.connect(), clock, log.child({ mediaServer: s.name }), opts, this.report));
  }

  /**
   * Connect every server once (in parallel, each bounded by its connect time-out). Resolves when at least one is up
   * (the others keep retrying in the background); rejects with MEDIA_UNAVAILABLE, one line naming each, when none is.
   */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.start()));
    const up = this.slots.filter((s) => s.healthy);
    if (up.length === 0) {
      // One line naming each server (MediaServerConnection's own messages already name theirs).
      const why = this.slots.map((s) => (s.lastError?.includes(s.name) ? s.lastError : `${s.name}: ${s.lastError ?? 'not reachable'}`)).join('; ');
      this.close();
      throw new MediaError('MEDIA_UNAVAILABLE', 'connect', `no FreeSWITCH reachable: ${why}`);
    }
    const down = this.slots.filter((s) => !s.healthy).map((s) => s.name);
    this.log.info({ up: up.map((s) => s.name), down }, down.length > 0 ? 'media servers: starting with those up, retrying the others' : 'media servers: all up');
  }

  legForRemoteSdp(remoteSdp: string, opts?: LegPlacement): Promise<L> {
    // The far end's SDP is in hand: a failure now is the media server's doing (overload signal), as before the pool.
    return this.create('createEndpoint', opts, (server) => server.legForRemoteSdp(remoteSdp), true);
  }

  offerLeg(opts?: LegPlacement): Promise<L> {
    return this.create('createEndpoint', opts, (server) => server.offerLeg(), false);
  }

  private async create(op: string, placement: LegPlacement | undefined, make: (s: PooledServer<L>) => Promise<L>, anyFailureIsOverload: boolean): Promise<L> {
    const slot = this.place(op, placement);
    const server = slot.server;
    if (!server) throw new MediaError('MEDIA_UNAVAILABLE', op, `media server ${slot.name} is not connected`);
    slot.inFlight++;
    let leg: L;
    try {
      leg = await make(server);
    } catch (e) {
      const timedOut = e instanceof MediaError && (e.code === 'MEDIA_TIMEOUT' || /timeout/i.test(e.message));
      if (timedOut || anyFailureIsOverload) this.noteSetupFailure(slot, timedOut);
      throw e;
    } finally {
      slot.inFlight--;
    }
    slot.setupSucceeded();
    if (slot.server !== server) {
      // The server was taken out while this leg was being made: it belongs to a dead connection.
      leg.serverLost(`${slot.name} went out of service during set-up`);
      throw new MediaError('MEDIA_UNAVAILABLE', op, `media server ${slot.name} went out of service during set-up`);
    }
    slot.adopt(leg);
    this.legSlot.set(leg.id, slot);
    leg.onGone(() => {
      if (this.legSlot.get(leg.id) !== slot) return;
      this.legSlot.delete(leg.id);
      if (!slot.healthy) this.rememberLost(leg.id, slot.name);
    });
    return leg;
  }

  private rememberLost(id: string, server: string): void {
    const now = this.clock.now();
    this.lostLegs.set(id, { server, at: now });
    // Insertion order is age order: drop the remembered legs older than a call's set-up could still refer to.
    for (const [k, v] of this.lostLegs) {
      if (now - v.at <= LOST_LEG_MEMORY_MS) break;
      this.lostLegs.delete(k);
    }
  }

  /** The server for a new leg: the `near` leg's (which must be up), else the least-loaded healthy one. */
  private place(op: string, placement: LegPlacement | undefined): ServerSlot<L> {
    const near = placement?.near;
    if (near !== undefined) {
      const slot = this.legSlot.get(near);
      if (slot) {
        // Never split a call over two servers (a bridge cannot span them): its server down means the call cannot go on.
        if (!slot.healthy) throw new MediaError('MEDIA_UNAVAILABLE', op, `media server ${slot.name} of this call is out of service`);
        return slot;
      }
      const lost = this.lostLegs.get(near);
      if (lost) throw new MediaError('MEDIA_UNAVAILABLE', op, `media server ${lost.server} of this call went out of service`);
      // Otherwise the near leg has ended normally (every live leg is known here): its call is ending; place as new.
    }
    const chosen = this.choose();
    if (!chosen) throw new MediaError('MEDIA_UNAVAILABLE', op, 'no media server in service');
    return chosen;
  }

  private choose(): ServerSlot<L> | undefined {
    const now = this.clock.now();
    const loads: ServerLoad[] = this.slots.filter((s) => s.healthy).map((s) => s.load(now));
    const pick = chooseServer(loads);
    return pick === undefined ? undefined : this.slots[pick.index];
  }

  private noteSetupFailure(slot: ServerSlot<L>, timedOut: boolean): void {
    slot.setupFailed(timedOut, this.clock.now() + this.opts.backoffMs);
    // Refuse new calls (the overload guard) only when no healthy server is left without a recent failure: with one
    // server that is every failure, as before the pool; with several, the others take the calls meanwhile.
    const now = this.clock.now();
    if (!this.slots.some((s) => s.healthy && !s.load(now).backingOff)) this.setupFailed?.();
  }

  /** Idle CPU of the server the next call would go to (undefined if unknown or none): the overload guard's figure. */
  get cpuIdle(): number | undefined {
    return this.choose()?.cpuIdle;
  }

  /** Control lag (ms) of the server the next call would go to (undefined if unknown or none): admission's figure. */
  get controlLagMs(): number | undefined {
    return this.choose()?.controlLagMs(this.clock.now());
  }

  /** Servers taking calls now. */
  get healthyCount(): number {
    return this.slots.filter((s) => s.healthy).length;
  }

  servers(): MediaServerStat[] {
    const now = this.clock.now();
    return this.slots.map((s) => s.stat(now));
  }

  /** Told when a call could not get its media and no other server is free of recent failures (load shedding). */
  onSetupFailure(fn: () => void): void {
    this.setupFailed = fn;
  }

  /** Told of every failed media operation on every server and leg (metrics). */
  observe(observer: MediaObserver): void {
    this.observer = observer;
  }

  /** Disconnect every server and stop reconnecting. */
  close(): void {
    for (const s of this.slots) s.close();
  }
}
