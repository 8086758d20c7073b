import type Mrf from 'drachtio-fsmrf';

/**
 * One endpoint's outbound event socket (FreeSWITCH connects to fsmrf once per channel): what the app subscribes to
 * there, and what crosses it, counted for capacity work (docs/capacity.md).
 */

/**
 * Events fsmrf's Endpoint subscribes to (drachtio-fsmrf 4.1.2 lib/endpoint.js EVENTS_OF_INTEREST, plus modesl's
 * BACKGROUND_JOB) that nothing here uses. FreeSWITCH matches every such event of every channel against the filter of
 * every endpoint socket (mod_event_socket event_handler: a scan of all listeners under one lock), and serialises each
 * one it sends — CHANNEL_EXECUTE, PLAYBACK_START/STOP and CHANNEL_ANSWER with every channel variable — so they cost
 * FreeSWITCH and the app on every play, in proportion to the calls up.
 * Kept: CHANNEL_EXECUTE_COMPLETE (the result of every execute: modesl resolves on it), CHANNEL_CALLSTATE (fsmrf's
 * 'destroy' with the hangup cause) and DTMF (MediaLeg.onDtmf: the agent's silent-script key).
 * CUSTOM comes last: FreeSWITCH reads every word after it as a subclass to drop.
 */
export const UNUSED_EVENTS = [
  'CHANNEL_EXECUTE',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_ANSWER',
  'DETECTED_TONE',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'BACKGROUND_JOB',
  'CUSTOM',
  'conference::maintenance',
] as const;

/**
 * Drop the unused events from the endpoint's subscription. fsmrf subscribes in its Endpoint constructor (event +
 * filter, both awaiting a reply); this goes out after them on the same socket, so FreeSWITCH applies it after them.
 * sendRecv keeps modesl's reply queue aligned (a bare send would let this reply be taken for the next command's).
 */
export function trimSubscription(ep: Mrf.Endpoint): void {
  const conn = ep.conn;
  if (!conn) return;
  conn.sendRecv(`nixevent ${UNUSED_EVENTS.join(' ')}`, () => undefined);
}

/** What crosses one endpoint's event socket. A port, so metrics can count it without src/media knowing prom-client. */
export interface EslTrafficObserver {
  /** An event FreeSWITCH sent (Event-Name, or the reply kind: command/reply, api/response), with its body's bytes. */
  received(name: string, bytes: number): void;
  /** A command the app sent: `execute <app>`, `api <command>`, or the socket command (event, filter, nixevent, …). */
  sent(name: string): void;
  /** The socket closed: bytes read and written over its life (the connect handshake and CHANNEL_DATA included). */
  closed(bytesIn: number, bytesOut: number): void;
}

/**
 * Count what crosses the endpoint's socket: its parser's messages, the commands written (modesl's `send`, which
 * every execute, api and subscription goes through, is wrapped on this one connection) and the byte totals at close.
 */
export function watchTraffic(ep: Mrf.Endpoint, observer: EslTrafficObserver): void {
  const conn = ep.conn;
  const socket = conn?.socket;
  if (!conn || !socket) return;
  conn.parser?.on('esl::event', (event: Mrf.EslEvent, headers: Record<string, string | number | undefined>, body?: string) => {
    const type = String(headers['Content-Type'] ?? '');
    const name = type.startsWith('text/event-') ? (event.getHeader('Event-Name') ?? 'unknown') : type;
    observer.received(name, Number(headers['Content-Length'] ?? body?.length ?? 0) || 0);
  });
  const send = conn.send.bind(conn);
  conn.send = (command: string, args?: Record<string, unknown>): void => {
    observer.sent(commandName(command, args));
    send(command, args);
  };
  socket.once('close', () => observer.closed(socket.bytesRead, socket.bytesWritten));
}

/** `execute playback`, `api uuid_break`, `nixevent`: the command without its arguments (bounded label values). */
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
