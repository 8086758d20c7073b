// drachtio-fsmrf 4.x ships no types. This declares only the surface src/media uses, checked against
// node_modules/drachtio-fsmrf/lib/{mrf,mediaserver,endpoint}.js (4.1.2).
declare module 'drachtio-fsmrf' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';
  import type Srf from 'drachtio-srf';

  namespace Mrf {
    interface ConnectOptions {
      address: string;
      port?: number;
      secret?: string;
      /** Where fsmrf listens for FreeSWITCH's outbound event-socket connections (one per endpoint). */
      listenAddress?: string;
      listenPort?: number;
      advertisedAddress?: string;
      advertisedPort?: number;
      /** The FreeSWITCH SIP profile fsmrf sends its INVITEs to (default drachtio_mrf). */
      profile?: string;
    }

    interface EndpointOptions {
      remoteSdp?: string;
      codecs?: string | string[];
      headers?: Record<string, string>;
    }

    interface EslEvent {
      getHeader(name: string): string | undefined;
      getBody(): string;
    }

    /**
     * The endpoint's outbound event socket (drachtio-modesl 1.3 lib/esl/Connection.js): only what src/media/esl-socket.ts
     * uses. `send` writes a command without awaiting its reply; `sendRecv` queues a callback for the next command/reply.
     */
    interface EslConnection {
      socket: Socket | null;
      parser?: EventEmitter;
      send(command: string, args?: Record<string, unknown>): void;
      sendRecv(command: string, cb: (evt: EslEvent) => void): void;
      /** The CHANNEL_DATA FreeSWITCH sent on connecting; null before it arrives. */
      getInfo(): EslEvent | null;
      emit(event: string, ...args: unknown[]): boolean;
    }

    interface PlayOptions {
      file: string;
      timeoutSecs?: number;
      seekOffset?: number;
    }

    interface PlayResult {
      playbackSeconds?: string;
      playbackMilliseconds?: string;
    }

    interface PlayCollectOptions {
      file: string;
      min?: number;
      max?: number;
      tries?: number;
      timeout?: number;
      terminators?: string;
      invalidFile?: string;
      varName?: string;
      regexp?: string;
      digitTimeout?: number;
    }

    interface PlayCollectResult {
      digits?: string;
      invalidDigits?: string;
      terminatorUsed?: string;
    }

    interface RecordOptions {
      timeLimitSecs?: number;
      silenceThresh?: number;
      silenceHits?: number;
    }

    interface RecordResult {
      terminatorUsed?: string;
      recordSeconds?: string;
      recordMilliseconds?: string;
    }

    interface DtmfEvent {
      dtmf: string;
      duration?: string;
      source?: string;
    }

    interface NetworkConnection {
      sdp: string;
      mediaIp?: string;
      mediaPort?: string;
    }

    class Endpoint extends EventEmitter {
      readonly uuid: string;
      readonly local: NetworkConnection;
      readonly remote: NetworkConnection;
      readonly connected: boolean;
      /** null once the socket has closed. */
      readonly conn: EslConnection | null;
      dialog: Srf.Dialog;
      play(file: string | string[] | PlayOptions): Promise<PlayResult>;
      playCollect(opts: PlayCollectOptions): Promise<PlayCollectResult>;
      record(file: string, opts?: RecordOptions): Promise<RecordResult>;
      bridge(other: Endpoint | string): Promise<void>;
      unbridge(): Promise<void>;
      execute(app: string, arg?: string): Promise<EslEvent>;
      api(command: string, args?: string | string[]): Promise<EslEvent>;
      set(param: string | Record<string, string>, value?: string): Promise<void>;
      modify(sdp: string): Promise<string>;
      destroy(): Promise<void>;
      on(event: 'dtmf', listener: (evt: DtmfEvent) => void): this;
      on(event: 'destroy', listener: (evt?: { reason?: string }) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
      off(event: 'dtmf', listener: (evt: DtmfEvent) => void): this;
      off(event: 'destroy', listener: (evt?: { reason?: string }) => void): this;
      off(event: string, listener: (...args: unknown[]) => void): this;
    }

    class MediaServer extends EventEmitter {
      readonly address: string;
      /** The inbound event socket fsmrf opened to FreeSWITCH (HEARTBEAT; MEDIA_CONTROL=shared drives parked channels on it). */
      readonly conn: EslConnection & {
        execute(app: string, arg: string, uuid: string, cb: (evt: EslEvent) => void): unknown;
        api(command: string, args: string | string[], cb: (evt: EslEvent) => void): unknown;
        on(event: string, fn: (evt: EslEvent) => void): unknown;
        off(event: string, fn: (evt: EslEvent) => void): unknown;
      };
      /** Where FreeSWITCH's drachtio_mrf profile listens (from `sofia status`). */
      readonly sip: { ipv4: { udp: { address?: string } } };
      maxSessions: number;
      currentSessions: number;
      cps: number;
      /** Percent idle CPU from FreeSWITCH's last HEARTBEAT event; undefined before the first one. */
      cpuIdle?: number;
      /** The inbound event socket (drachtio-modesl Connection, an EventEmitter2 with `::` wildcards). */
      readonly conn: {
        on(event: string, listener: (...args: unknown[]) => void): unknown;
        off(event: string, listener: (...args: unknown[]) => void): unknown;
      };
      createEndpoint(opts?: EndpointOptions): Promise<Endpoint>;
      connectCaller(
        req: Srf.SrfRequest,
        res: Srf.SrfResponse,
        opts?: EndpointOptions & { headers?: Record<string, string> },
      ): Promise<{ endpoint: Endpoint; dialog: Srf.Dialog }>;
      api(command: string): Promise<string>;
      disconnect(): void;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: Srf, opts?: { debugDir?: string; customEvents?: string[] });
    readonly srf: Srf;
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }

  export = Mrf;
}
