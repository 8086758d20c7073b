import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { ReinviteRelay, type RelayDialog } from '../../src/sip/reinvite-relay.js';

/**
 * The relay against drachtio-srf 5.0.29's own Dialog (lib/dialog.js), not a fake: its handling of an incoming
 * re-INVITE (the 'modify' event, the auto-answer without listener) and its modify() with the re-INVITE gate. Only
 * the wire is stubbed: the drachtio agent (requests we send) and the SIP messages a Dialog is built from.
 */
const require = createRequire(import.meta.url);
const Dialog = require('drachtio-srf/lib/dialog.js') as new (srf: unknown, type: 'uas' | 'uac', opts: unknown) => RelayDialog & EventEmitter & { handle(req: unknown, res: unknown): void };

/** A SIP message as srf reads it when it builds a Dialog. */
function msg(headers: Record<string, string>, body = '') {
  return {
    method: 'INVITE',
    uri: 'sip:x@127.0.0.1',
    body,
    stackDialogId: `dlg-${Math.random()}`,
    get: (h: string) => headers[h],
    getParsedHeader: (h: string) => (h === 'Contact' ? [{ uri: headers.Contact!.replace(/[<>]/g, '') }] : { params: { tag: 't' } }),
  };
}

/** The drachtio agent under one Dialog: each request we send is answered by the test. */
class Wire {
  sent: { method: string; body: string; respond(status: number, body?: string): void }[] = [];
  request(opts: { method: string; body: string }, cb: (err: unknown, req: EventEmitter) => void): void {
    const req = new EventEmitter();
    this.sent.push({
      method: opts.method,
      body: opts.body,
      respond: (status, body = '') => req.emit('response', { status, reason: `r${status}`, body }, () => undefined),
    });
    cb(null, req);
  }
}

function dialog(contact: string, localSdp: string, remoteSdp: string) {
  const wire = new Wire();
  const sent = msg({ Contact: contact }, localSdp);
  const res = { ...msg({ 'Call-ID': 'c' }), agent: wire };
  const req = msg({ Contact: '<sip:far@10.0.0.9>' }, remoteSdp);
  const d = new Dialog({ removeDialog: () => undefined }, 'uas', { req, res, sent });
  return { d, wire };
}

class Res {
  sent: { status: number; opts: { body?: string; headers?: Record<string, string> } }[] = [];
  get finalResponseSent(): boolean {
    return this.sent.length > 0;
  }
  send(status: number, opts: { body?: string; headers?: Record<string, string> } = {}): void {
    this.sent.push({ status, opts });
  }
}

const reinvite = (d: { handle(req: unknown, res: unknown): void }, body: string): Res => {
  const res = new Res();
  d.handle({ method: 'INVITE', body, meta: {} }, res);
  return res;
};

const immediate = () => new Promise<void>((r) => setImmediate(r));

describe('ReinviteRelay over drachtio-srf 5.0.29 Dialog', () => {
  function talk() {
    const caller = dialog('<sip:hotline@10.0.0.1>', 'v=0 seat-offer\r\n', 'v=0 caller-answer\r\n');
    const seat = dialog('<sip:hotline@10.0.0.1;seat>', 'v=0 caller-answer\r\n', 'v=0 seat-offer\r\n');
    let tail: Promise<unknown> = Promise.resolve();
    const queue = <T>(work: () => Promise<T>): Promise<T> => {
      const run = tail.then(work, work);
      tail = run.catch(() => undefined);
      return run;
    };
    const relay = new ReinviteRelay(caller.d, seat.d, queue, silentLogger);
    return { caller, seat, relay };
  }

  it("relays the caller's hold through srf's modify event and modify(); the 200 carries the seat's answer", async () => {
    const { caller, seat } = talk();
    const res = reinvite(caller.d, 'v=0 caller\r\na=sendonly\r\n');
    await flushMicrotasks();
    expect(seat.wire.sent.map((s) => [s.method, s.body])).toEqual([['INVITE', 'v=0 caller\r\na=sendonly\r\n']]);
    seat.wire.sent[0]!.respond(200, 'v=0 seat\r\na=recvonly\r\n');
    await flushMicrotasks();
    expect(res.sent).toEqual([
      { status: 200, opts: { body: 'v=0 seat\r\na=recvonly\r\n', headers: { Contact: '<sip:hotline@10.0.0.1>', 'Content-Type': 'application/sdp' } } },
    ]);
    expect(caller.d.local.sdp).toBe('v=0 seat\r\na=recvonly\r\n');
    expect(seat.d._reinvitesInProgress!.count).toBe(0);
  });

  it("a 491 from the seat goes back to the caller and srf's gate of the seat dialog is freed: the next re-INVITE goes out", async () => {
    const { caller, seat } = talk();
    const first = reinvite(caller.d, 'v=0 caller\r\na=sendonly\r\n');
    await flushMicrotasks();
    seat.wire.sent[0]!.respond(491);
    await flushMicrotasks();
    expect(first.sent.map((s) => s.status)).toEqual([491]);
    expect(seat.d._reinvitesInProgress!.count).toBe(0);
    expect(seat.d.local.sdp).toBe('v=0 caller-answer\r\n');
    const second = reinvite(caller.d, 'v=0 caller\r\na=sendonly\r\n');
    await flushMicrotasks();
    await immediate();
    expect(seat.wire.sent).toHaveLength(2);
    seat.wire.sent[1]!.respond(200, 'v=0 seat\r\na=recvonly\r\n');
    await flushMicrotasks();
    expect(second.sent.map((s) => s.status)).toEqual([200]);
  });

  it('after stop() srf answers by itself again, with what the caller last had from us', () => {
    const { caller, seat, relay } = talk();
    relay.stop();
    const res = reinvite(caller.d, 'v=0 caller\r\na=sendonly\r\n');
    expect(seat.wire.sent).toHaveLength(0);
    expect(res.sent).toEqual([
      { status: 200, opts: { body: 'v=0 seat-offer\r\n', headers: { Contact: '<sip:hotline@10.0.0.1>', 'Content-Type': 'application/sdp' } } },
    ]);
  });
});
