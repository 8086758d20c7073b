import { createRequire } from 'node:module';
import type Mrf from 'drachtio-fsmrf';
import { linearEslParsing } from './esl-parse.js';

/**
 * Connecting to one FreeSWITCH, as drachtio-fsmrf 4.1.2's `Mrf#connect` does (lib/mrf.js), but holding the event
 * socket so a failed or abandoned attempt can be stopped. Why not `mrf.connect`:
 *
 * - drachtio-modesl's inbound Connection reconnects by itself on every error. Before its first connect succeeds its
 *   back-off variables are unset, so the delay is NaN: a refused connection is retried about every millisecond, for
 *   ever (measured: ~740 attempts in 2 s against a closed port). `mrf.connect` never hands out that Connection, so
 *   nothing can stop it, and if FreeSWITCH comes back the orphan builds a second MediaServer on the same listen port.
 * - After a reconnect of its own, modesl does not renew fsmrf's HEARTBEAT subscription, so load figures would freeze.
 * - fsmrf throws from inside an event callback (an uncaught exception) when the `drachtio_mrf` SIP profile is missing.
 *
 * So modesl's own reconnect is switched off (`closing`, which its retry path checks) and MediaPool reconnects with a
 * fresh Connection and MediaServer; the profile is checked here first. The modules are loaded from fsmrf's own
 * location so they are the very instances it uses.
 */
const fsmrfRequire = createRequire(createRequire(import.meta.url).resolve('drachtio-fsmrf'));
const esl = fsmrfRequire('drachtio-modesl') as { Connection: new (host: string, port: number, secret: string, ready: () => void) => EslInbound };
// modesl's event parsing without its quadratic Event construction (esl-parse.ts): every event of every socket.
linearEslParsing(fsmrfRequire('drachtio-modesl/lib/esl/Parser') as Parameters<typeof linearEslParsing>[0], fsmrfRequire('drachtio-modesl/lib/esl/Event') as Parameters<typeof linearEslParsing>[1]);
const MediaServerCtor = fsmrfRequire('./mediaserver') as new (
  conn: EslInbound,
  mrf: Mrf,
  listenAddress: string,
  listenPort: number,
  advertisedAddress: string | undefined,
  advertisedPort: number | undefined,
  profile: string,
) => Mrf.MediaServer;

/** The slice of drachtio-modesl's inbound Connection used here. */
interface EslInbound {
  closing?: boolean;
  on(event: string, fn: (...a: unknown[]) => void): unknown;
  removeAllListeners(): unknown;
  api(command: string, cb: (res: { getBody(): string }) => void): unknown;
  disconnect(): void;
}

export interface FsmrfConnectOptions {
  address: string;
  port: number;
  secret: string;
  listenAddress: string;
  listenPort: number;
  /** The FreeSWITCH SIP profile fsmrf sends its INVITEs to. */
  profile?: string;
}

export interface FsmrfAttempt {
  readonly result: Promise<Mrf.MediaServer>;
  /** Stop an attempt still under way (our time-out): closes its socket; a MediaServer not yet handed out too. */
  abort(): void;
}

export function connectFsmrf(mrf: Mrf, opts: FsmrfConnectOptions): FsmrfAttempt {
  const profile = opts.profile ?? 'drachtio_mrf';
  let conn: EslInbound | undefined;
  let ms: Mrf.MediaServer | undefined;
  let settled = false;
  let fail!: (e: Error) => void;
  let listening = false;
  const stop = (): void => {
    const server = ms;
    // fsmrf's disconnect() closes its outbound listener, which exists only once it listens ('connect'): until then,
    // close it when it does, or it would hold the port the next attempt listens on.
    if (server && listening) closeFsmrf(server);
    else {
      if (server) server.once('connect', () => closeFsmrf(server));
      try {
        conn?.removeAllListeners();
        conn?.disconnect();
      } catch {
        // the socket is already gone
      }
    }
  };
  const result = new Promise<Mrf.MediaServer>((resolve, reject) => {
    fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      stop();
      reject(e);
    };
    const c = new esl.Connection(opts.address, opts.port, opts.secret, () => {
      // Authenticated. Check the SIP profile before fsmrf's MediaServer does (it would throw uncaught).
      c.api('sofia status', (res) => {
        if (settled) return;
        const status = res.getBody();
        if (!new RegExp(`^\\s*${profile}\\s.*sip:mod_sofia@`, 'm').test(status)) {
          fail(new Error(`FreeSWITCH has no "${profile}" SIP profile running (sofia status)`));
          return;
        }
        const server = new MediaServerCtor(c, mrf, opts.listenAddress, opts.listenPort, undefined, undefined, profile);
        ms = server;
        server.once('connect', () => {
          listening = true;
        });
        server.once('ready', () => {
          if (settled) return;
          settled = true;
          resolve(server);
        });
        server.once('error', (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
      });
    });
    conn = c;
    // No reconnects inside modesl (see above): MediaPool owns reconnecting.
    c.closing = true;
    c.on('error', (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
    c.on('esl::event::auth::fail', () => fail(new Error('event-socket authentication failed (wrong secret?)')));
    c.on('esl::event::raw::text/rude-rejection', () => fail(new Error('refused by the event socket ACL (apply-inbound-acl)')));
    c.on('esl::end', () => fail(new Error('connection closed before it was ready')));
  });
  return {
    result,
    abort: () => fail(new Error('connect aborted')),
  };
}

/**
 * Close a MediaServer for good: its event socket, its outbound listener (so the port is free for the next
 * connection) — modesl's reconnect is off for connections made by connectFsmrf, so nothing comes back by itself.
 */
export function closeFsmrf(ms: Mrf.MediaServer): void {
  try {
    ms.disconnect();
  } catch {
    // already closed
  }
}
