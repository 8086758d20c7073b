import { createHash } from 'node:crypto';

/**
 * The SIP digest credential (RFC 2617/3261): HA1 = MD5(username ":" realm ":" password). Storing HA1 lets the
 * registrar check digest responses without ever keeping the password; it only works for the realm it was made for,
 * so changing the realm means asking for the password again.
 */
export function digestHa1(username: string, realm: string, password: string): string {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}
