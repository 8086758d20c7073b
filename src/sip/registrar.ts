import type Srf from 'drachtio-srf';
import parseRegistration from 'drachtio-mw-registration-parser';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Authenticator, CredentialLookup } from './auth.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { RegistrationStore } from './registrations.js';
import { isScannerUserAgent } from './scanners.js';
import { onRequest } from './srf-routes.js';

export interface RegistrarDeps {
  authenticate: Authenticator;
  creds: CredentialLookup;
  registrations: RegistrationStore;
  limiter: FailureLimiter;
  clock: Clock;
  log: Logger;
  /** Called after each successful registration (e.g. log the agent in as not-ready). */
  onRegistered?: (agentId: string) => void;
  /** Called after a seat un-registers (Expires: 0), so the ACD stops offering calls to a phone that is not there. */
  onUnregistered?: (agentId: string) => void;
  minExpires: number;
  maxExpires: number;
}

/** Scanners and blocked addresses are turned away before any challenge. */
export function rejectHostile(req: Srf.SrfRequest, res: Srf.SrfResponse, limiter: FailureLimiter): boolean {
  if (isScannerUserAgent(req.get('User-Agent'))) {
    res.send(403);
    return true;
  }
  if (limiter.isBlocked(req.source_address)) {
    res.send(403, { headers: { Reason: 'SIP;cause=403;text="blocked after repeated failures"' } });
    return true;
  }
  return false;
}

/** REGISTER: digest auth against HA1, contacts in Redis with their expiry; OPTIONS: 200. */
export function installRegistrar(srf: Srf, deps: RegistrarDeps): void {
  // srf types `next` as Function; it is a plain callback.
  srf.use('register', (req, res, next) => {
    if (!rejectHostile(req, res, deps.limiter)) (next as () => void)();
  });
  srf.use('register', (req, res, next) => parseRegistration(req, res, next as () => void));
  onRequest(srf, 'register', (req, res) => {
    handleRegister(req, res, deps).catch((err: unknown) => {
      deps.log.error({ err }, 'REGISTER failed');
      if (!res.finalResponseSent) res.send(500);
    });
  });
  onRequest(srf, 'options', (_req, res) => {
    res.send(200, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, INFO' } });
  });
}

async function handleRegister(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: RegistrarDeps): Promise<void> {
  const username = await deps.authenticate(req, res);
  if (!username) return;
  const cred = await deps.creds.findCredential(username);
  const reg = req.registration;
  if (!cred || !reg) {
    res.send(403);
    return;
  }
  // A seat registers its own address of record only.
  if (!new RegExp(`^sips?:${escapeRe(username)}@`).test(reg.aor)) {
    deps.limiter.recordFailure(req.source_address);
    res.send(403, { headers: { Reason: 'SIP;cause=403;text="AOR does not match the credentials"' } });
    return;
  }
  const now = deps.clock.now();
  const contactHeader = (req.get('Contact') ?? '').trim();
  if (reg.type === 'unregister') {
    if (contactHeader === '*') await deps.registrations.unregisterAll(cred.agentId);
    else for (const c of reg.contact) await deps.registrations.unregister(cred.agentId, c.uri);
    res.send(200);
    deps.onUnregistered?.(cred.agentId);
    return;
  }
  if (reg.expires < deps.minExpires) {
    res.send(423, { headers: { 'Min-Expires': String(deps.minExpires) } });
    return;
  }
  const expires = Math.min(reg.expires, deps.maxExpires);
  const contact = reg.contact[0];
  if (!contact) {
    res.send(400);
    return;
  }
  await deps.registrations.register(
    {
      agentId: cred.agentId,
      contact: contact.uri,
      source: `${req.source_address}:${req.source_port}`,
      transport: req.protocol,
      userAgent: req.get('User-Agent') ?? '',
      expiresAt: now + expires * 1000,
    },
    now,
  );
  deps.limiter.recordSuccess(req.source_address);
  res.send(200, { headers: { Contact: `<${contact.uri}>;expires=${expires}`, Expires: String(expires) } });
  deps.onRegistered?.(cred.agentId);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
