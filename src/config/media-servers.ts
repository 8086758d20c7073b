import type { Env } from './schema.js';

/** One FreeSWITCH media server from FREESWITCH_SERVERS (or the single FREESWITCH_HOST:FREESWITCH_PORT). */
export interface MediaServerAddress {
  host: string;
  port: number;
  secret: string;
  /** Where fsmrf listens for this server's outbound event-socket connections: FSMRF_LISTEN_PORT + its index. */
  listenPort: number;
  /** host:port, the server's name in logs, metrics and /healthz (never the secret). */
  name: string;
}

type MediaEnv = Pick<Env, 'FREESWITCH_SERVERS' | 'FREESWITCH_HOST' | 'FREESWITCH_PORT' | 'FREESWITCH_SECRET' | 'FSMRF_LISTEN_PORT'>;

/** One entry: `[secret@]host:port`, host an IPv4 address, a name or a bracketed IPv6 address. */
const ENTRY = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/**
 * Parse FREESWITCH_SERVERS (comma-separated `[secret@]host:port`). Throws an Error whose message names the bad
 * entry without its secret; an empty list is empty (the caller falls back to FREESWITCH_HOST).
 */
export function parseServerList(value: string, defaultSecret: string): { host: string; port: number; secret: string }[] {
  const out: { host: string; port: number; secret: string }[] = [];
  const seen = new Set<string>();
  const entries = value.split(',').map((s) => s.trim());
  if (value.trim() === '') return out;
  for (const [i, raw] of entries.entries()) {
    if (raw === '') throw new Error(`entry ${i + 1} is empty`);
    const m = ENTRY.exec(raw);
    const shown = redactServerEntry(raw);
    if (!m) throw new Error(`entry ${i + 1} "${shown}" is not [secret@]host:port`);
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new Error(`entry ${i + 1} "${shown}" has port ${port}, not 1..65535`);
    const host = m[2]!.replace(/^\[|\]$/g, '');
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) throw new Error(`entry ${i + 1} "${shown}" names ${key} a second time`);
    seen.add(key);
    out.push({ host, port, secret: m[1] ?? defaultSecret });
  }
  return out;
}

/** The list with every `secret@` replaced by `***@`, for error messages. */
export function redactServerEntry(value: string): string {
  return value.replace(/[^,@\s]+@/g, '***@');
}

/**
 * The media servers to use: FREESWITCH_SERVERS, or the one FREESWITCH_HOST:FREESWITCH_PORT when it is empty (so
 * setups from before the list keep working). Server i gets listen port FSMRF_LISTEN_PORT + i: fsmrf opens one
 * outbound event-socket listener per connected server (drachtio-fsmrf lib/mediaserver.js), so they cannot share one.
 */
export function mediaServersFromEnv(e: MediaEnv): MediaServerAddress[] {
  const list = parseServerList(e.FREESWITCH_SERVERS, e.FREESWITCH_SECRET);
  const servers = list.length > 0 ? list : [{ host: e.FREESWITCH_HOST, port: e.FREESWITCH_PORT, secret: e.FREESWITCH_SECRET }];
  return servers.map((s, i) => ({
    ...s,
    listenPort: e.FSMRF_LISTEN_PORT + i,
    name: `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`,
  }));
}

/** Cross-field problems (one line each): the listen ports of the last servers must exist. */
export function mediaServerProblems(e: MediaEnv): string[] {
  let servers: MediaServerAddress[];
  try {
    servers = mediaServersFromEnv(e);
  } catch {
    return []; // the schema reports a malformed list itself
  }
  const last = e.FSMRF_LISTEN_PORT + servers.length - 1;
  if (last > 65535) return [`FSMRF_LISTEN_PORT: ${servers.length} media servers need listen ports ${e.FSMRF_LISTEN_PORT}..${last}, past 65535`];
  return [];
}
