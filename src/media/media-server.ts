import Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { MediaError, type MediaErrorCode, type MediaObserver } from './errors.js';
import { closeFsmrf, connectFsmrf } from './fsmrf-connect.js';
import { trimSubscription, tuneConnection, watchShared, watchTraffic, type EslTrafficObserver } from './esl-socket.js';
import { DEFAULT_MEDIA_LIMITS, FsmrfLeg, type MediaLimits } from './fsmrf-leg.js';
import { PARK_HEADER, ParkedEndpoint, SharedExecutions, UUID_HEADER } from './parked-endpoint.js';
import type { MediaPoolServer } from './media-pool.js';
import type { PooledServer } from './server-slot.js';
import { withTimeout } from './timeout.js';

export interface MediaServerOptions {
  host: string;
  port: number;
  secret: string;
  /** Where FreeSWITCH connects back for each endpoint (its dialplan `socket` app): never all addresses. */
  listenAddress: string;
  listenPort: number;
  /** Limit for connecting and for creating one endpoint, ms. */
  connectTimeoutMs?: number;
  limits?: MediaLimits;
  /**
   * How the caller's and the seat's channels are driven (MEDIA_CONTROL): `socket`, each through its own event socket
   * (fsmrf's endpoints); `shared`, parked by the dialplan and driven over the one inbound socket (docs/capacity.md).
   */
  control?: 'socket' | 'shared';
  /** Told what crosses each endpoint's event socket (metrics: events, commands, bytes per call). */
  esl?: EslTrafficObserver;
}

/** The applications the drachtio_mrf dialplan's hotline_parked extension runs (freeswitch-conf), never the app. */
export const PARK_DIALPLAN_APPS = ['multiset', 'answer', 'park'] as const;

/**
 * The connection to one FreeSWITCH and the factory of its legs (MediaPool holds one per media server). Raw fsmrf
 * objects stay in src/media and src/sip.
 */
export class MediaServerConnection implements PooledServer<FsmrfLeg> {
  private setupFailed: (() => void) | undefined;
  private observer: MediaObserver | undefined;
  /** Late-bound, so legs made before observe() still report. */
  private readonly report: MediaObserver = { error: (code: MediaErrorCode, op: string) => this.observer?.error(code, op) };
  private esl: EslTrafficObserver | undefined;
  /** Endpoint connections are taken over as they open (esl-socket.ts tuneConnection); else trimmed per endpoint. */
  private tuned = false;
  /** MEDIA_CONTROL=shared: caller and seat channels are parked ones, made with this drachtio-srf. */
  private shared: Srf | undefined;
  /** MEDIA_CONTROL=shared: the parked channels' executes over the inbound socket, matched to their results. */
  private executions: SharedExecutions | undefined;

  private constructor(
    private readonly ms: Mrf.MediaServer,
    private readonly clock: Clock,
    private readonly limits: MediaLimits,
    private readonly timeoutMs: number,
  ) {}

  /** `mrf` is one drachtio-fsmrf Mrf for all servers (it only carries the Srf); each connection listens on its own port. */
  static async connect(mrf: Mrf, opts: MediaServerOptions, clock: Clock, log: Logger): Promise<MediaServerConnection> {
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    const attempt = connectFsmrf(mrf, {
      address: opts.host,
      port: opts.port,
      secret: opts.secret,
      listenAddress: opts.listenAddress,
      listenPort: opts.listenPort,
    });
    const ms = await withTimeout(attempt.result, timeoutMs, clock, 'connect', {
      // A connection that completes after we gave up would hold an event socket nobody uses: close it.
      onLate: (late) => closeFsmrf(late),
      onTimeout: () => attempt.abort(),
    }).catch((e: unknown) => {
      // withTimeout wraps fsmrf's error as MEDIA_FAILED "connect: ...": its reason is the part worth a line.
      const why = e instanceof MediaError ? e.message.slice(e.op.length + 2) : e instanceof Error ? e.message : String(e);
      throw new MediaError('MEDIA_UNAVAILABLE', 'connect', `FreeSWITCH at ${opts.host}:${opts.port}: ${why}`, { cause: e });
    });
    // Always one 'error' listener: an EventEmitter 'error' nobody listens to would crash the process.
    ms.on('error', (err: unknown) => log.error({ err }, 'media server error'));
    log.info({ address: ms.address, listenPort: opts.listenPort }, 'connected to FreeSWITCH');
    // fsmrf prints "lost connection ..., attempting to reconnect" on console when the socket ends unless it is
    // `closing`; nothing reconnects it (MediaPool makes a new connection) and the pool logs the loss itself.
    (ms as unknown as { closing: boolean }).closing = true;
    const conn = new MediaServerConnection(ms, clock, opts.limits ?? DEFAULT_MEDIA_LIMITS, timeoutMs);
    conn.esl = opts.esl;
    conn.takeOverSockets(log);
    if (opts.control === 'shared') await conn.shareSocket(mrf.srf, log);
    return conn;
  }

  /**
   * MEDIA_CONTROL=shared: the inbound socket also carries what parked channels send back — their execute results and
   * DTMF — and nothing else of FreeSWITCH's other channels (fsmrf's endpoints, a baseline's): filters on the channel
   * variable the dialplan sets (hotline_parked), DTMF (which carries no variables) and fsmrf's HEARTBEAT.
   */
  private async shareSocket(srf: Srf, log: Logger): Promise<void> {
    const conn = this.ms.conn;
    const subscribe = (): Promise<string[]> => {
      const commands = [
        'filter Event-Name HEARTBEAT',
        'filter Event-Name DTMF',
        'filter variable_hotline_parked true',
        // A `-` filter drops what matches it (mod_event_socket). The results of the drachtio_mrf dialplan's own
        // applications on a parked channel — its multiset and answer, and its park when the channel hangs up — carry
        // hotline_parked too: a third of the CHANNEL_EXECUTE_COMPLETE events (each with every channel variable) that
        // FreeSWITCH serialised and the app parsed per call, for nobody (the app runs none of these on parked channels).
        ...PARK_DIALPLAN_APPS.map((app) => `filter Application -${app}`),
        'event json CHANNEL_EXECUTE_COMPLETE DTMF HEARTBEAT',
      ];
      return Promise.all(commands.map((c) => new Promise<string>((resolve) => conn.sendRecv(c, (evt) => resolve(evt.getHeader('Reply-Text') ?? '')))));
    };
    // Without the dialplan's hotline_parked extension every call would fail at its first endpoint: say so once, now.
    const dialplan = await withTimeout(
      new Promise<string>((resolve) => this.ms.conn.api('xml_locate', 'dialplan context name drachtio_mrf', (evt) => resolve(evt.getBody() ?? ''))),
      this.timeoutMs,
      this.clock,
      'connect',
      { onLate: null },
    );
    const missing = parkedDialplanProblem(dialplan);
    if (missing) throw new MediaError('MEDIA_UNAVAILABLE', 'connect', `FreeSWITCH at ${this.ms.address}: ${missing}`);
    // onLate null: a late reply is a subscription already in place, nothing to release.
    const got = await withTimeout(subscribe(), this.timeoutMs, this.clock, 'connect', { onLate: null });
    const refused = got.filter((r) => !r.startsWith('+OK'));
    if (refused.length > 0) throw new MediaError('MEDIA_UNAVAILABLE', 'connect', `FreeSWITCH refused the shared socket's subscription: ${refused.join('; ')}`);
    // A new socket (FreeSWITCH restarted) has no filters or subscriptions.
    conn.on('esl::ready', () => {
      subscribe().catch((err: unknown) => log.error({ err }, 'shared event socket: subscribing again failed'));
    });
    watchShared(conn, () => this.esl);
    this.shared = srf;
    log.info('media control: parked channels over one event socket (MEDIA_CONTROL=shared)');
  }

  /**
   * fsmrf 4.1.2 keeps its event-socket server (modesl's esl.Server, which emits 'connection::open' for each of
   * FreeSWITCH's outbound connections before fsmrf's Endpoint subscribes on it) in the private field `_server`: the one
   * place we reach into fsmrf, to write each endpoint's commands compactly and count its traffic from the first byte.
   */
  private takeOverSockets(log: Logger): void {
    const server = (this.ms as unknown as { _server?: { on?: (event: 'connection::open', fn: (conn: Mrf.EslConnection) => void) => unknown } })._server;
    if (typeof server?.on !== 'function') {
      log.warn('drachtio-fsmrf has no _server: each endpoint socket is trimmed once made (nixevent), its commands written as modesl writes them');
      return;
    }
    server.on('connection::open', (conn) => tuneConnection(conn, () => this.esl));
    this.tuned = true;
  }

  /** Each HEARTBEAT event from FreeSWITCH (fsmrf subscribes to them and keeps cpuIdle / currentSessions). */
  onHeartbeat(fn: () => void): () => void {
    // fsmrf's own listener (registered first) has updated the figures by the time this one runs.
    const listener = (): void => fn();
    this.ms.conn.on('esl::event::HEARTBEAT::*', listener);
    return () => {
      this.ms.conn.off('esl::event::HEARTBEAT::*', listener);
    };
  }

  /**
   * `uptime us` on the inbound event socket: FreeSWITCH's monotonic clock (µs since it started, switch_core_uptime)
   * read by its event-socket thread as it runs the command, here in ms: the control-lag ping (control-lag.ts), and
   * the stale-heartbeat probe (answered by that thread even while FreeSWITCH's scheduler lags).
   */
  ping(): Promise<number | undefined> {
    return new Promise<number | undefined>((resolve) => {
      this.ms.conn.api('uptime', 'us', (evt) => {
        const us = Number((evt.getBody() ?? '').trim());
        resolve(Number.isFinite(us) && us > 0 ? us / 1000 : undefined);
      });
    });
  }

  /**
   * The event socket ended (FreeSWITCH stopped or the network cut it: modesl's 'esl::end', which fsmrf would turn
   * into the MediaServer's 'end' were it not marked closing) or the MediaServer failed ('error').
   */
  onLost(fn: (why: string) => void): () => void {
    const onEnd = (): void => fn('event socket closed');
    const onError = (err: unknown): void => fn(`event socket error: ${err instanceof Error ? err.message : String(err)}`);
    this.ms.conn.on('esl::end', onEnd);
    this.ms.on('error', onError);
    return () => {
      this.ms.conn.off('esl::end', onEnd);
      this.ms.off('error', onError);
    };
  }

  /**
   * Answer an inbound INVITE with a FreeSWITCH endpoint: media is anchored in FreeSWITCH from the first packet.
   * Returns the leg and the caller's SIP dialog (for src/sip to wrap).
   */
  async connectCaller(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<{ leg: FsmrfLeg; dialog: Srf.Dialog }> {
    const { endpoint, dialog } = await withTimeout(this.ms.connectCaller(req, res), this.timeoutMs, this.clock, 'connectCaller', {
      // The caller was answered after we gave up: end the dialog and free the FreeSWITCH channel.
      // (drachtio-srf's types say destroy() returns void; it returns a Promise when no callback is given.)
      onLate: (late) => Promise.allSettled([late.endpoint.destroy(), late.dialog.destroy() as unknown as Promise<unknown>]),
    }).catch(
      (e: unknown) => {
        // A caller who hangs up during set-up also fails here; only a media server that did not answer in time
        // (our limit, or fsmrf's own "Connection timeout") says it is saturated.
        if (e instanceof MediaError && (e.code === 'MEDIA_TIMEOUT' || /timeout/i.test(e.message))) this.setupFailed?.();
        if (e instanceof MediaError) this.report.error(e.code, 'connectCaller');
        throw e;
      },
    );
    return { leg: this.leg(endpoint), dialog };
  }

  /**
   * An endpoint facing a seat that answered a late-offer INVITE: FreeSWITCH takes the seat's SDP as the remote
   * offer and its answer goes back in the ACK (the way audio flowed both ways in trials).
   */
  async legForRemoteSdp(remoteSdp: string): Promise<FsmrfLeg> {
    if (this.shared) return this.parkedLeg(this.shared, (this.executions ??= new SharedExecutions(this.ms.conn)), remoteSdp);
    const ep = await withTimeout(this.ms.createEndpoint({ remoteSdp }), this.timeoutMs, this.clock, 'createEndpoint', {
      // An endpoint created after the time-out would hold a FreeSWITCH channel for ever: destroy it.
      onLate: (late) => late.destroy(),
    }).catch((e: unknown) => {
      // The seat has answered with its SDP; failing now can only be the media server's doing.
      this.setupFailed?.();
      if (e instanceof MediaError) this.report.error(e.code, 'createEndpoint');
      throw e;
    });
    return this.leg(ep);
  }

  /**
   * MEDIA_CONTROL=shared: INVITE FreeSWITCH with the far end's SDP and the park header; the dialplan answers with the
   * channel's uuid in a header and parks it. Its commands and results go over the shared socket.
   */
  private async parkedLeg(srf: Srf, esl: SharedExecutions, remoteSdp: string): Promise<FsmrfLeg> {
    const address = this.ms.sip.ipv4.udp.address;
    const fail = (e: unknown): never => {
      this.setupFailed?.();
      if (e instanceof MediaError) this.report.error(e.code, 'createEndpoint');
      throw e;
    };
    if (!address) return fail(new MediaError('MEDIA_UNAVAILABLE', 'createEndpoint', 'no drachtio_mrf profile address from FreeSWITCH yet'));
    const dialog = await withTimeout(srf.createUAC(`sip:drachtio@${address}`, { localSdp: remoteSdp, headers: { [PARK_HEADER]: '1' } }), this.timeoutMs, this.clock, 'createEndpoint', {
      // A channel answered after the time-out would stay parked for ever: hang it up.
      onLate: (late) => late.destroy() as unknown as Promise<unknown>,
    }).catch(fail);
    // drachtio-srf keeps the 200 OK on a UAC dialog (its types do not say so).
    const uuid = (dialog as unknown as { res?: { get(name: string): string | undefined } }).res?.get(UUID_HEADER);
    if (!uuid) {
      await (dialog.destroy() as unknown as Promise<unknown>).catch(() => undefined);
      return fail(new MediaError('MEDIA_FAILED', 'createEndpoint', `FreeSWITCH answered without ${UUID_HEADER}: its drachtio_mrf dialplan lacks the hotline_parked extension (freeswitch-conf)`));
    }
    return new FsmrfLeg(new ParkedEndpoint(uuid, dialog, esl), this.clock, this.limits, this.report);
  }

  /**
   * An endpoint that makes the offer (FreeSWITCH's SDP in `localSdp`), for an outbound INVITE through the trunk;
   * the far end's answer is applied with `answerWith` (early media or the 200 OK).
   */
  async offerLeg(): Promise<FsmrfLeg> {
    const ep = await withTimeout(this.ms.createEndpoint(), this.timeoutMs, this.clock, 'createEndpoint', {
      onLate: (late) => late.destroy(),
    }).catch((e: unknown) => {
      if (e instanceof MediaError) this.report.error(e.code, 'createEndpoint');
      throw e;
    });
    return this.leg(ep);
  }

  /** Every endpoint becomes a leg here (where its socket could not be taken over as it opened: trimmed and counted now). */
  private leg(ep: Mrf.Endpoint): FsmrfLeg {
    if (!this.tuned) {
      if (this.esl) watchTraffic(ep, this.esl);
      trimSubscription(ep);
    }
    return new FsmrfLeg(ep, this.clock, this.limits, this.report);
  }

  /** Told when a call could not get its media because the media server failed or was too slow (load shedding). */
  onSetupFailure(fn: () => void): void {
    this.setupFailed = fn;
  }

  /** Told of every failed media operation, on this connection and its legs (metrics). */
  observe(observer: MediaObserver): void {
    this.observer = observer;
  }

  /** FreeSWITCH's idle CPU in percent from its last heartbeat (switch.conf event-heartbeat-interval); undefined before. */
  get cpuIdle(): number | undefined {
    const v = this.ms.cpuIdle;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }

  /** Live sessions on the media server (for load shedding and health). */
  get currentSessions(): number {
    return this.ms.currentSessions;
  }

  /** Close the event socket and the outbound listener (its port is free for the next connection). */
  disconnect(): void {
    closeFsmrf(this.ms);
  }
}

/**
 * The pool's servers over one drachtio-srf connection: one fsmrf Mrf for all (it only carries the Srf), each server
 * connecting with its own address, secret and outbound listen port (fsmrf opens one listener per connection).
 */
export function fsmrfPoolServers(
  srf: Srf,
  servers: readonly { name: string; host: string; port: number; secret: string; listenPort: number }[],
  opts: { listenAddress: string; connectTimeoutMs?: number; limits?: MediaLimits; control?: 'socket' | 'shared'; esl?: EslTrafficObserver },
  clock: Clock,
  log: Logger,
): MediaPoolServer<FsmrfLeg>[] {
  const mrf = new Mrf(srf);
  return servers.map((m) => ({
    name: m.name,
    connect: () =>
      MediaServerConnection.connect(
        mrf,
        { host: m.host, port: m.port, secret: m.secret, listenAddress: opts.listenAddress, listenPort: m.listenPort, connectTimeoutMs: opts.connectTimeoutMs, limits: opts.limits, control: opts.control, esl: opts.esl },
        clock,
        log.child({ mediaServer: m.name }),
      ),
  }));
}

/**
 * What is wrong with FreeSWITCH's drachtio_mrf dialplan context (the XML `xml_locate dialplan context name
 * drachtio_mrf` returns) for MEDIA_CONTROL=shared, in one line; undefined when it has the hotline_parked extension.
 */
export function parkedDialplanProblem(contextXml: string): string | undefined {
  if (!/<context\b[^>]*name="drachtio_mrf"/.test(contextXml)) {
    return 'MEDIA_CONTROL=shared needs the drachtio_mrf dialplan context of freeswitch-conf/dialplan/drachtio_mrf.xml, and FreeSWITCH has none (copy the file and reloadxml, or set MEDIA_CONTROL=socket)';
  }
  if (!/<extension\b[^>]*name="hotline_parked"/.test(contextXml)) {
    return "MEDIA_CONTROL=shared needs the hotline_parked extension of freeswitch-conf/dialplan/drachtio_mrf.xml in FreeSWITCH's drachtio_mrf dialplan (copy the file and reloadxml, or set MEDIA_CONTROL=socket)";
  }
  return undefined;
}
