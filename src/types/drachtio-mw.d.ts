// The two drachtio middlewares ship no types; declared from their sources (0.3.3 and 0.1.2).
declare module 'drachtio-mw-digest-auth' {
  import type Srf from 'drachtio-srf';
  type Password = string | { ha1: string } | null | undefined;
  interface DigestOptions {
    realm?: string | ((req: Srf.SrfRequest) => string | null | undefined);
    /** Answer null for an unknown user (→ 403); an error re-challenges (401). */
    passwordLookup: (username: string, realm: string, callback: (err: Error | null, password?: Password) => void) => void;
    proxy?: boolean;
    qop?: string;
  }
  function digestAuth(opts: DigestOptions): (req: Srf.SrfRequest, res: Srf.SrfResponse, next: () => void) => void;
  export = digestAuth;
}

declare module 'drachtio-mw-registration-parser' {
  import type Srf from 'drachtio-srf';
  function parseRegistration(req: Srf.SrfRequest, res: Srf.SrfResponse, next: () => void): void;
  export = parseRegistration;
}
