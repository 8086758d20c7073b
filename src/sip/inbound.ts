import { randomUUID } from 'node:crypto';
import Srf from 'drachtio-srf';
import type { Logger } from '../core/logger.js';
import type { AgentService } from '../call/agent-service.js';
import type { HotlineCalls } from '../call/hotline.js';
import type { SetupTicket } from '../call/admission.js';
import type { CallRegistry } from '../call/registry.js';
import type { Flow } from '../ivr/spec.js';
import type { FsmrfLeg } from '../media/fsmrf-leg.js';
import type { MediaLegFactory } from '../media/media-pool.js';
import type { Authenticator, CredentialLookup } from './auth.js';
import { route } from './dialplan.js';
import { SrfDialogSignal } from './dialogs.js';
import type { KeepaliveOptions } from './dialog-keepalive.js';
import type { FailureLimiter } from './failure-limiter.js';
import { SrfMediaPeer } from './media-peer.js';
import { rejectHostile } from './registrar.js';
import { behindNat } from './seat-dialer.js';
import { shedResponse } from './shed-response.js';
import { onRequest } from './srf-routes.js';

export interface InboundDeps {
  srf: Srf;
  /** New calls' legs go to the least-loaded media server (MediaPool). */
  media: Pick<MediaLegFactory<FsmrfLeg>, 'legForRemoteSdp'>;
  registry: CallRegistry;
  flows: { forNumber(number: string): Flow | undefined };
  creds: CredentialLookup;
  authenticate: Authenticator;
  limiter: FailureLimiter;
  agents: AgentService;
  hotline: HotlineCalls;
  log: Logger;
  /** Seats may call numbers matching this through `trunkUri` (undefined: never). */
  seatOutboundPattern: RegExp | undefined;
  trunkUri: string | undefined;
  /** Played to a seat after a feature code: it worked / it did not. */
  featurePrompts: { ok: readonly string[]; failed: readonly string[] };
  /** In-dialog OPTIONS to answered callers (SIP_KEEPALIVE_SEC); undefined: none. */
  keepalive?: KeepaliveOptions;
}

/**
 * INVITE handling: hostile sources and scanners 403; seats (a From user that is an agent) must authenticate;
 * the dialplan decides hotline / feature code / seat outbound / 403 / 404; above MAX_CONCURRENT_CALLS, while
 * draining, or as admission control reads the media server's live load (src/call/admission.ts), 503 with
 * Retry-After. A hotline call gets a FreeSWITCH endpoint first, then the 200 OK with its SDP — so the caller's
 * media is anchored in FreeSWITCH from the first packet — and is handed to HotlineCalls.
 */
export function installInbound(deps: InboundDeps): void {
  onRequest(deps.srf, 'invite', (req, res) => {
    handleInvite(req, res, deps).catch((err: unknown) => {
      deps.log.error({ err }, 'INVITE failed');
      if (!res.finalResponseSent) res.send(500);
    });
  });
}

async function handleInvite(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps): Promise<void> {
  if (rejectHostile(req, res, deps.limiter)) return;
  const dialled = req.calledNumber ?? '';
  const fromUser = Srf.parseUri(req.getParsedHeader('From').uri)?.user ?? '';
  let seatAgent: string | undefined;
  if (fromUser !== '' && (await deps.creds.findCredential(fromUser))) {
    // Someone claims to be a seat: prove it before it may use feature codes or dial out.
    const user = await deps.authenticate(req, res);
    if (!user) return;
    seatAgent = (await deps.creds.findCredential(user))?.agentId;
  }
  const r = route({
    dialled,
    fromSeat: seatAgent !== undefined,
    isHotlineNumber: (n) => deps.flows.forNumber(n) !== undefined,
    seatOutboundPattern: deps.seatOutboundPattern,
  });
  switch (r.kind) {
    case 'reject':
      res.send(r.status, { headers: { Reason: `SIP;cause=${r.status};text="${r.reason}"` } });
      return;
    case 'feature-code':
      return featureCode(req, res, deps, seatAgent!, r.code);
    case 'seat-to-outside':
      return seatOutbound(req, res, deps, r.number);
    case 'hotline':
      return hotlineCall(req, res, deps, r.number);
  }
}

/**
 * Answer with a FreeSWITCH endpoint, or respond and return undefined (cancelled, no media). `setup` learns how long
 * the endpoint took and whether it came (admission control): only that step, not the caller's side of the answer.
 * With `setup` (a hotline call) the dialog can also move the caller's media by re-INVITE (media release).
 */
async function answer(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps, setup?: SetupTicket): Promise<{ leg: FsmrfLeg; signal: SrfDialogSignal } | undefined> {
  let cancelled = false;
  req.on('cancel', () => {
    cancelled = true;
  });
  let leg: FsmrfLeg;
  try {
    leg = await deps.media.legForRemoteSdp(req.body);
    setup?.succeeded();
  } catch (err) {
    setup?.failed();
    deps.log.error({ err }, 'no media endpoint for an inbound call');
    if (!cancelled && !res.finalResponseSent) res.send(503, { headers: { 'Retry-After': '5' } });
    return undefined;
  }
  if (cancelled) {
    // drachtio-server answered the CANCEL (487) already; only our endpoint is left to release.
    await leg.release();
    return undefined;
  }
  try {
    const dialog = await deps.srf.createUAS(req, res, { localSdp: leg.localSdp });
    const media = setup ? new SrfMediaPeer(dialog, deps.media, deps.log) : undefined;
    return { leg, signal: new SrfDialogSignal(dialog, natProxy(req), media, deps.keepalive) };
  } catch (err) {
    deps.log.info({ err }, 'caller gone before the answer');
    await leg.release();
    return undefined;
  }
}

/** A caller behind NAT is reached at the INVITE's source address, not at its private Contact (as seats are). */
function natProxy(req: Srf.SrfRequest): string | undefined {
  try {
    const contact = req.getParsedHeader('Contact')[0]?.uri ?? '';
    const source = `${req.source_address}:${req.source_port}`;
    return contact !== '' && behindNat(contact, source) ? `sip:${source}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Callers refused (503) leave a trace an operator can find, without a log line per call under a flood: the first
 * refusal of a burst is logged at once, the rest are counted into the next line at most every 10 s.
 */
const refusals = {
  lastAt: 0,
  suppressed: 0,
  note(reason: string, log: InboundDeps['log']): void {
    const now = Date.now();
    if (now - this.lastAt < 10_000) {
      this.suppressed++;
      return;
    }
    log.warn({ reason, alsoRefusedSinceLastLine: this.suppressed }, 'caller refused with 503');
    this.lastAt = now;
    this.suppressed = 0;
  },
};

async function hotlineCall(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps, number: string): Promise<void> {
  const flow = deps.flows.forNumber(number);
  if (!flow) {
    res.send(404);
    return;
  }
  const admission = deps.registry.admit();
  if (!admission.ok) {
    const r = shedResponse(admission);
    res.send(r.status, { headers: r.headers });
    refusals.note(admission.reason, deps.log);
    return;
  }
  const answered = await answer(req, res, deps, admission.setup)
    .catch((err: unknown) => {
      deps.registry.abandon();
      throw err;
    })
    // Whatever happened, the set-up slot is free now (a no-op once answer() reported the outcome).
    .finally(() => admission.setup.dropped());
  if (!answered) {
    deps.registry.abandon();
    return;
  }
  const callId = randomUUID();
  const sipCallId = req.get('Call-ID');
  deps.log.info({ callId, sipCallId, from: req.callingNumber, to: number, flow: flow.id }, 'hotline call');
  await deps.hotline.handle({ callId, sipCallId, callerNumber: req.callingNumber ?? '', calledNumber: number, flow, ...answered });
}

async function featureCode(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps, agentId: string, code: string): Promise<void> {
  let ok = true;
  try {
    await deps.agents.featureCode(agentId, code);
    deps.log.info({ agentId, code }, 'feature code applied');
  } catch (err) {
    ok = false;
    deps.log.info({ err, agentId, code }, 'feature code refused');
  }
  // A short confirmation in the ear of the agent; without media, the SIP status alone tells the softphone.
  const answered = await answer(req, res, deps).catch(() => undefined);
  if (!answered) {
    if (!res.finalResponseSent) res.send(ok ? 480 : 403);
    return;
  }
  await answered.leg.play(ok ? deps.featurePrompts.ok : deps.featurePrompts.failed, { timeoutMs: 10_000 }).catch(() => undefined);
  await Promise.all([answered.signal.hangup(), answered.leg.release()]);
}

/** Seat to an outside number, only when configured: a plain B2BUA to the trunk (no IVR, no ACD). */
async function seatOutbound(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps, number: string): Promise<void> {
  if (!deps.trunkUri) {
    res.send(403, { headers: { Reason: 'SIP;cause=403;text="no trunk configured"' } });
    return;
  }
  const uri = `sip:${number}@${deps.trunkUri}`;
  try {
    const { uas, uac } = await deps.srf.createB2BUA(req, res, uri, { localSdpB: req.body });
    // srf types destroy() as void; it returns a Promise that rejects if the dialog is already gone.
    const end = (d: Srf.Dialog) => (): void => {
      (d.destroy() as unknown as Promise<unknown>).catch(() => undefined);
    };
    uas.on('destroy', end(uac));
    uac.on('destroy', end(uas));
  } catch (err) {
    deps.log.info({ err, number }, 'outbound seat call failed');
  }
}
