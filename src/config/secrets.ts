import type { Config } from './index.js';
import { parseServerList } from './media-servers.js';

/** The secrets drachtio-server and FreeSWITCH ship with: anyone who reaches the port knows them. */
const WELL_KNOWN = { drachtio: 'cymru', freeswitch: 'ClueCon' } as const;

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * One warning per well-known default secret used towards a host beyond loopback (issue 9 item 18). A warning, not a
 * refusal: a lab on a private network may run with them, but the operator must have been told.
 */
export function defaultSecretWarnings(config: Pick<Config, 'DRACHTIO_HOST' | 'DRACHTIO_SECRET' | 'FREESWITCH_HOST' | 'FREESWITCH_SECRET'> & Partial<Pick<Config, 'FREESWITCH_SERVERS'>>): string[] {
  const out: string[] = [];
  if (config.DRACHTIO_SECRET === WELL_KNOWN.drachtio && !isLoopbackHost(config.DRACHTIO_HOST)) {
    out.push(`DRACHTIO_SECRET is drachtio-server's well-known default "${WELL_KNOWN.drachtio}" and drachtio-server is at ${config.DRACHTIO_HOST}, beyond loopback: set a secret of your own`);
  }
  // Each media server of FREESWITCH_SERVERS (its own secret@ or FREESWITCH_SECRET), else the one FREESWITCH_HOST.
  const listed = parseServerList(config.FREESWITCH_SERVERS ?? '', config.FREESWITCH_SECRET);
  const servers = listed.length > 0 ? listed : [{ host: config.FREESWITCH_HOST, secret: config.FREESWITCH_SECRET }];
  for (const s of servers) {
    if (s.secret === WELL_KNOWN.freeswitch && !isLoopbackHost(s.host)) {
      out.push(`FREESWITCH_SECRET is FreeSWITCH's well-known default event-socket password "${WELL_KNOWN.freeswitch}" and FreeSWITCH is at ${s.host}, beyond loopback: set a password of your own`);
    }
  }
  return out;
}
