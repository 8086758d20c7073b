import type Srf from 'drachtio-srf';
import digestAuth from 'drachtio-mw-digest-auth';
import type { FailureLimiter } from './failure-limiter.js';

/** What the registrar needs to check a digest response: the agents table's HA1, never a password. */
export interface CredentialLookup {
  findCredential(sipUsername: string): Promise<{ agentId: string; realm: string; ha1: string } | undefined>;
}

export type Authenticator = (req: Srf.SrfRequest, res: Srf.SrfResponse) => Promise<string | undefined>;

/**
 * Digest authentication (drachtio-mw-digest-auth) against HA1 from the agents table, as a promise: resolves with
 * the authenticated SIP username, or undefined once a 401 challenge or a 403 was sent. Every 403 (unknown user,
 * wrong password, wrong realm) counts as a failure of the source address for the block list.
 */
export function createAuthenticator(creds: CredentialLookup, realm: string, limiter: FailureLimiter): Authenticator {
  const mw = digestAuth({
    realm,
    passwordLookup: (username, askedRealm, cb) => {
      creds.findCredential(username).then(
        (c) => cb(null, c && c.realm === askedRealm ? { ha1: c.ha1 } : null),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
  return (req, res) =>
    new Promise<string | undefined>((resolve) => {
      const source = req.source_address;
      const original = res.send.bind(res) as (...args: unknown[]) => void;
      const patched = (...args: unknown[]): void => {
        const status = args[0];
        if (status === 403) limiter.recordFailure(source);
        original(...args);
        resolve(undefined);
      };
      (res as unknown as { send: typeof patched }).send = patched;
      mw(req, res, () => {
        (res as unknown as { send: typeof original }).send = original;
        const auth = (req as unknown as { authorization?: { username?: string } }).authorization;
        resolve(auth?.username);
      });
    });
}
