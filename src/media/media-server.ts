import Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { MediaError, type MediaErrorCode, type MediaObserver } from './errors.js';
import { closeFsmrf, connectFsmrf } from './fsmrf-connect.js';
import { DEFAULT_MEDIA_LIMITS, FsmrfLeg, type MediaLimits } from './fsmrf-leg.js';
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
}

/**
 * The connection to one FreeSWITCH and the factory of its legs (MediaPool holds one per media server). Raw fsmrf
 * objects stay in src/media and src/sip.
 */
export class MediaServerConnection implements PooledServer<FsmrfLeg> {
  private setupFailed: (() => void) | undefined;
  private observer: MediaObserver | undefined;
  /** Late-bound, so legs made before observe() still report. */
  private readonly report: MediaObserver = { error: (code: MediaErrorCode, op: string) => this.observer?.error(code, op) };

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
    return new MediaServerConnection(ms, clock, opts.limits ?? DEFAULT_MEDIA_LIMITS, timeoutMs);
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
    return { leg: new FsmrfLeg(endpoint, this.clock, this.limits, this.report), dialog };
  }

  /**
   * An endpoint facing a seat that answered a late-offer INVITE: FreeSWITCH takes the seat's SDP as the remote
   * offer and its answer goes back in the ACK (the way audio flowed both ways in trials).
   */
  async legForRemoteSdp(remoteSdp: string): Promise<FsmrfLeg> {
    const ep = await withTimeout(this.ms.createEndpoint({ remoteSdp }), this.timeoutMs, this.clock, 'createEndpoint', {
      // An endpoint created after the time-out would hold a FreeSWITCH channel for ever: destroy it.
      onLate: (late) => late.destroy(),
    }).catch((e: unknown) => {
      // The seat has answered with its SDP; failing now can only be the media server's doing.
      this.setupFailed?.();
      if (e instanceof MediaError) this.report.error(e.code, 'createEndpoint');
      throw e;
    });
    return new FsmrfLeg(ep, this.clock, this.limits, this.report);
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
  opts: { listenAddress: string; connectTimeoutMs?: number; limits?: MediaLimits },
  clock: Clock,
  log: Logger,
): MediaPoolServer<FsmrfLeg>[] {
  const mrf = new Mrf(srf);
  return servers.map((m) => ({
    name: m.name,
    connect: () =>
      MediaServerConnection.connect(
        mrf,
        { host: m.host, port: m.port, secret: m.secret, listenAddress: opts.listenAddress, listenPort: m.listenPort, connectTimeoutMs: opts.connectTimeoutMs, limits: opts.limits },
        clock,
        log.child({ mediaServer: m.name }),
      ),
  }));
}
