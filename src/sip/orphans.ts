import type Srf from 'drachtio-srf';
import type { TrackedCall } from '../acd/store.js';
import type { Logger } from '../core/logger.js';

/**
 * A SIP dialog described as plain data (DialogSignal.ref), kept with the call in the ACD store so that another
 * instance can end it: drachtio-server does not hand a dead application's dialogs to another application, and
 * nothing ends them by itself. FreeSWITCH hangs up its channels when the dead instance's event sockets close,
 * but its BYE stops at drachtio-server (481: no application for that dialog): without this the caller would hold
 * a silent line, and a seat on a call would keep one open while the ACD offers it the next call.
 */
export interface DialogRef {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** The remote target (the far end's Contact URI): the BYE's request URI. */
  target: string;
  /** The address of record on our side (From of our requests) and on theirs (To). */
  localUri: string;
  remoteUri: string;
  /** CSeq for our BYE: above every request we sent in the dialog. */
  cseq: string;
  /** Where to send it when the far end is behind NAT (its REGISTER's or INVITE's source address). */
  proxy?: string;
}

/** srf.request as it is at run time (its shipped types want a method and body arguments it does not take). */
interface SentRequest {
  once(event: 'response', fn: (res: { status: number }) => void): void;
  removeListener(event: 'response', fn: (res: { status: number }) => void): void;
}
type Requester = (uri: string, opts: Record<string, unknown>, cb: (err: unknown, req: SentRequest) => void) => void;

interface DialogInternals {
  type: 'uas' | 'uac';
  sip: { callId: string; localTag: string; remoteTag: string };
  remote: { uri: string };
  req: Srf.SrfRequest;
}

/** How far above the last CSeq we had sent when the dialog was set up the reaper's BYE goes (dialogRef). */
const CSEQ_HEADROOM = 1_000_000;

/**
 * The coordinates of an established drachtio-srf dialog; undefined when the dialog lacks what a BYE needs. `proxy`:
 * the address requests must go to instead of the Contact (NAT), when the dialog was set up through one.
 */
export function dialogRef(dialog: Srf.Dialog, proxy?: string): DialogRef | undefined {
  try {
    const d = dialog as unknown as DialogInternals;
    const from = d.req.getParsedHeader('From').uri;
    const to = d.req.getParsedHeader('To').uri;
    const uas = d.type === 'uas';
    // As UAS we have sent nothing in the dialog yet; as UAC, the INVITE. Every request we send in the dialog after
    // this takes the next CSeq (an OPTIONS keepalive each SIP_KEEPALIVE_SEC, the re-INVITEs of media release), so the
    // BYE stays a million above: a year of keepalives at 30 s. Below 2^31, as RFC 3261 requires.
    const sent = uas ? 0 : Number(/^\s*(\d+)/.exec(d.req.get('CSeq') ?? '')?.[1] ?? 0);
    const ref: DialogRef = {
      callId: d.sip.callId,
      localTag: d.sip.localTag,
      remoteTag: d.sip.remoteTag,
      target: d.remote.uri,
      localUri: uas ? to : from,
      remoteUri: uas ? from : to,
      cseq: String(Math.min(sent + CSEQ_HEADROOM, 2 ** 31 - 1)),
    };
    if (proxy !== undefined) ref.proxy = proxy;
    const ok = [ref.callId, ref.localTag, ref.remoteTag, ref.target, ref.localUri, ref.remoteUri].every((v) => typeof v === 'string' && v !== '');
    return ok ? ref : undefined;
  } catch {
    return undefined;
  }
}

function asRef(v: Readonly<Record<string, string>>): DialogRef | undefined {
  const keys = ['callId', 'localTag', 'remoteTag', 'target', 'localUri', 'remoteUri', 'cseq'] as const;
  if (!keys.every((k) => typeof v[k] === 'string' && v[k] !== '')) return undefined;
  // The values go into SIP headers: nothing that could end a header line.
  if (Object.values(v).some((x) => typeof x !== 'string' || /[\r\n]/.test(x))) return undefined;
  return v as unknown as DialogRef;
}

/**
 * Ends the dialogs of calls a dead instance left behind (ReapResult.orphans), from whichever instance reaped it:
 * a BYE outside any dialog of ours, carrying the dead dialog's Call-ID, tags and our side's CSeq, sent through
 * drachtio-server (which keeps From/To tags and Call-ID as given). The far end answers 200 (or 481 when it had hung
 * up already); either way the line is closed.
 */
export class OrphanDialogs {
  constructor(
    private readonly srf: Srf,
    private readonly log: Logger,
    private readonly timeoutMs = 5_000,
  ) {}

  /** BYE every dialog of these calls; resolves when each was answered, failed or timed out (tried: the valid ones). Never rejects. */
  async hangUp(calls: readonly TrackedCall[]): Promise<{ tried: number; answered: number }> {
    const results = await Promise.all(calls.flatMap((c) => (c.dialogs ?? []).map((d) => this.bye(c.callId, d))));
    return { tried: results.filter((r) => r !== 'invalid').length, answered: results.filter((r) => typeof r === 'number').length };
  }

  private bye(callId: string, raw: Readonly<Record<string, string>>): Promise<number | 'invalid' | 'failed' | 'timeout'> {
    const ref = asRef(raw);
    if (!ref) return Promise.resolve('invalid');
    const log = this.log.child({ callId, sipCallId: ref.callId });
    return new Promise((resolve) => {
      const opts = {
        method: 'BYE',
        headers: {
          'Call-ID': ref.callId,
          From: `<${ref.localUri}>;tag=${ref.localTag}`,
          To: `<${ref.remoteUri}>;tag=${ref.remoteTag}`,
          CSeq: `${ref.cseq} BYE`,
          Reason: 'SIP;cause=503;text="instance of the hotline failed"',
        },
        ...(ref.proxy ? { proxy: ref.proxy } : {}),
      };
      const request = (this.srf.request as unknown as Requester).bind(this.srf);
      request(ref.target, opts, (err, req) => {
        if (err) {
          log.warn({ err }, 'BYE for a dead instance\'s dialog not sent');
          resolve('failed');
          return;
        }
        const timer = setTimeout(() => {
          req.removeListener('response', onResponse);
          log.warn({ timeoutMs: this.timeoutMs }, 'BYE for a dead instance\'s dialog: no answer');
          resolve('timeout');
        }, this.timeoutMs);
        const onResponse = (res: { status: number }): void => {
          clearTimeout(timer);
          log.info({ status: res.status }, 'BYE sent for a dead instance\'s dialog');
          resolve(res.status);
        };
        req.once('response', onResponse);
      });
    });
  }
}
