import type Mrf from 'drachtio-fsmrf';

/**
 * The endpoints' outbound event sockets (FreeSWITCH connects to fsmrf once per channel): what the app subscribes to
 * there, how its commands are written, and what crosses them, counted for capacity work (docs/capacity.md).
 */

/**
 * What a leg uses of the events fsmrf's Endpoint subscribes to (drachtio-fsmrf 4.1.2 EVENTS_OF_INTEREST plus modesl's
 * BACKGROUND_JOB): CHANNEL_EXECUTE_COMPLETE (every execute's result: modesl resolves on it), CHANNEL_CALLSTATE (fsmrf's
 * 'destroy' with the hang-up cause) and DTMF (MediaLeg.onDtmf: the agent's silent-script key).
 * The rest cost on every play, in proportion to the calls up: FreeSWITCH matches every such event of every channel
 * against the filter of every endpoint socket (mod_event_socket event_handler: a scan of all listeners under one
 * lock) and serialises each one it sends — CHANNEL_EXECUTE, PLAYBACK_START/STOP, CHANNEL_ANSWER with every channel
 * variable.
 */
export const SUBSCRIPTION = 'event json CHANNEL_EXECUTE_COMPLETE CHANNEL_CALLSTATE DTMF';

/** fsmrf's other events, dropped with nixevent where its subscription could not be rewritten (trimSubscription). */
export const UNUSED_EVENTS = [
  'CHANNEL_EXECUTE',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_ANSWER',
  'DETECTED_TONE',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'BACKGROUND_JOB',
  // CUSTOM last: FreeSWITCH reads every word after it as a subclass to drop.
  'CUSTOM',
  'conference::maintenance',
] as const;

/** What crosses the endpoint sockets. A port, so metrics can count it without src/media knowing prom-client. */
export interface EslTrafficObserver {
  /** An event FreeSWITCH sent (Event-Name, or the reply kind: command/reply, api/response), with its body's bytes. */
  received(name: string, bytes: number): void;
  /** A command the app sent: `execute <app>`, `api <command>`, or the socket command (event, filter, …). */
  sent(name: string): void;
  /** A socket closed: bytes read and written over its life (the connect handshake and CHANNEL_DATA included). */
  closed(bytesIn: number, bytesOut: number): void;
}

/**
 * A command as written to FreeSWITCH, in one piece. mod_event_socket reads its sockets one byte per recv() (and
 * yields the CPU after each), so every byte sent costs FreeSWITCH two system calls: fsmrf's subscription (the
 * connection's first `event json`; a later one is left as it is) becomes SUBSCRIPTION, and `sendmsg <uuid>` for the socket's own channel loses the uuid (FreeSWITCH takes the socket's
 * channel then, as it does for its own uuid). modesl would also write each header line with its own write().
 */
export function compactCommand(command: string, args: Record<string, unknown> | undefined, ownUuid: string | undefined, firstSubscription = true): string {
  let head = command;
  if (firstSubscription && command.startsWith('event json ')) head = SUBSCRIPTION;
  else if (ownUuid !== undefined && command === `sendmsg ${ownUuid}`) head = 'sendmsg';
  let out = `${head}\n`;
  for (const [k, v] of Object.entries(args ?? {})) out += `${k}: ${String(v)}\n`;
  return `${out}\n`;
}

/**
 * Take over a new endpoint connection as FreeSWITCH opens it, before fsmrf's Endpoint subscribes on it: its commands
 * are written compactly (compactCommand) and counted, its messages and bytes counted. `observer` is read at each use,
 * so a connection opened before metrics were attached still reports.
 */
export function tuneConnection(conn: Mrf.EslConnection, observer: () => EslTrafficObserver | undefined): void {
  const socket = conn.socket;
  if (!socket) return;
  countReceived(conn, observer);
  socket.once('close', () => observer()?.closed(socket.bytesRead, socket.bytesWritten));
  let subscribed = false;
  conn.send = (command: string, args?: Record<string, unknown>): void => {
    observer()?.sent(commandName(command, args));
    const own = conn.getInfo()?.getHeader('Unique-ID');
    const first = !subscribed && command.startsWith('event json ');
    if (first) subscribed = true;
    try {
      if (!conn.socket) throw new Error('event socket closed');
      conn.socket.write(compactCommand(command, args, own, first));
    } catch (e) {
      // As modesl's own send: a write on a closed socket is an 'error' event of the connection, not a throw.
      conn.emit('error', e);
    }
  };
}

/**
 * Fallback where the connections cannot be taken over as they open: drop the unused events from the endpoint's
 * subscription. fsmrf subscribes in its Endpoint constructor (event + filter, both awaiting a reply); this goes out
 * after them on the same socket, so FreeSWITCH applies it after them. sendRecv keeps modesl's reply queue aligned.
 */
export function trimSubscription(ep: Mrf.Endpoint): void {
  ep.conn?.sendRecv(`nixevent ${UNUSED_EVENTS.join(' ')}`, () => undefined);
}

/** Fallback counting on an endpoint already made (its connection's handshake is then not counted). */
export function watchTraffic(ep: Mrf.Endpoint, observer: EslTrafficObserver): void {
  const conn = ep.conn;
  const socket = conn?.socket;
  if (!conn || !socket) return;
  countReceived(conn, () => observer);
  const send = conn.send.bind(conn);
  conn.send = (command: string, args?: Record<string, unknown>): void => {
    observer.sent(commandName(command, args));
    send(command, args);
  };
  socket.once('close', () => observer.closed(socket.bytesRead, socket.bytesWritten));
}

/**
 * MEDIA_CONTROL=shared: the one inbound socket writes each command in one piece (as compactCommand, nothing rewritten)
 * and counts what crosses it (it stays open: no byte totals at close).
 */
export function watchShared(conn: Mrf.EslConnection, observer: () => EslTrafficObserver | undefined): void {
  countReceived(conn, observer);
  conn.send = (command: string, args?: Record<string, unknown>): void => {
    observer()?.sent(commandName(command, args));
    try {
      if (!conn.socket) throw new Error('event socket closed');
      conn.socket.write(compactCommand(command, args, undefined, false));
    } catch (e) {
      // As modesl's own send: a write on a closed socket is an 'error' event of the connection, not a throw.
      conn.emit('error', e);
    }
  };
}

function countReceived(conn: Mrf.EslConnection, observer: () => EslTrafficObserver | undefined): void {
  conn.parser?.on('esl::event', (event: Mrf.EslEvent, headers: Record<string, string | number | undefined>, body?: string) => {
    const o = observer();
    if (!o) return;
    const type = String(headers['Content-Type'] ?? '');
    const name = type.startsWith('text/event-') ? (event.getHeader('Event-Name') ?? 'unknown') : type;
    o.received(name, Number(headers['Content-Length'] ?? body?.length ?? 0) || 0);
  });
}

/** `execute playback`, `api uuid_break`, `filter`: the command without its arguments (bounded label values). */
export function commandName(command: string, args?: Record<string, unknown>): string {
  const [verb = '', second] = command.split(' ');
  if (verb === 'sendmsg') {
    const app = args?.['execute-app-name'];
    const cmd = args?.['call-command'];
    return typeof app === 'string' ? `execute ${app}` : `sendmsg ${typeof cmd === 'string' ? cmd : ''}`.trim();
  }
  if (verb === 'api' || verb === 'bgapi') return `${verb} ${second ?? ''}`.trim();
  return verb;
}
