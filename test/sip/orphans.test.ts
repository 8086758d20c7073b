import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TrackedCall } from '../../src/acd/store.js';
import { silentLogger } from '../../src/core/logger.js';
import { OrphanDialogs, dialogRef } from '../../src/sip/orphans.js';

// A dead instance's dialogs, ended by the instance that reaped it (src/sip/orphans.ts): what is kept of a dialog,
// and the BYE built from it. End to end (drachtio-server, FreeSWITCH, SIPp): test/e2e/scale-out.test.ts.

function fakeDialog(type: 'uas' | 'uac', cseq = '1 INVITE'): unknown {
  const headers: Record<string, { uri: string }> = {
    From: { uri: 'sip:13900000001@198.51.100.7:5060' },
    To: { uri: 'sip:7100@hotline.example' },
  };
  return {
    type,
    sip: { callId: 'abc@198.51.100.7', localTag: 'ours', remoteTag: 'theirs' },
    remote: { uri: 'sip:13900000001@198.51.100.7:5062;transport=udp' },
    req: { getParsedHeader: (n: string) => headers[n], get: (n: string) => (n === 'CSeq' ? cseq : undefined) },
  };
}

describe('dialogRef', () => {
  it("keeps a UAS dialog's Call-ID, tags, the far end's Contact and both addresses, with a CSeq of our own", () => {
    expect(dialogRef(fakeDialog('uas') as never)).toEqual({
      callId: 'abc@198.51.100.7',
      localTag: 'ours',
      remoteTag: 'theirs',
      target: 'sip:13900000001@198.51.100.7:5062;transport=udp',
      localUri: 'sip:7100@hotline.example',
      remoteUri: 'sip:13900000001@198.51.100.7:5060',
      cseq: '1000000',
    });
  });

  it('a UAC dialog (a seat we rang, a FreeSWITCH leg): From is ours, the CSeq above our INVITE, and the NAT proxy kept', () => {
    expect(dialogRef(fakeDialog('uac', '7 INVITE') as never, 'sip:203.0.113.9:40112')).toMatchObject({
      localUri: 'sip:13900000001@198.51.100.7:5060',
      remoteUri: 'sip:7100@hotline.example',
      cseq: '1000007',
      proxy: 'sip:203.0.113.9:40112',
    });
  });

  it('is undefined for a dialog without what a BYE needs', () => {
    expect(dialogRef({ type: 'uas', sip: {}, remote: {} } as never)).toBeUndefined();
    expect(dialogRef(new EventEmitter() as never)).toBeUndefined();
  });
});

interface Sent {
  uri: string;
  opts: Record<string, unknown>;
}

/** srf.request as drachtio-srf calls back: the request sent, whose 'response' the test emits (or not). */
function fakeSrf(answer: (uri: string) => number | 'error' | 'silent'): { srf: unknown; sent: Sent[] } {
  const sent: Sent[] = [];
  const srf = {
    request(uri: string, opts: Record<string, unknown>, cb: (err: unknown, req?: EventEmitter) => void): void {
      sent.push({ uri, opts });
      const a = answer(uri);
      if (a === 'error') return cb(new Error('drachtio: no route'));
      const req = new EventEmitter();
      cb(null, req);
      if (typeof a === 'number') queueMicrotask(() => req.emit('response', { status: a }));
    },
  };
  return { srf, sent };
}

const call = (callId: string, dialogs: Record<string, string>[]): TrackedCall => ({ callId, ownerInstance: 'dead', callerNumber: '1', calledNumber: '7100', at: 0, dialogs });

describe('OrphanDialogs', () => {
  const caller = { callId: 'c1@x', localTag: 'l1', remoteTag: 'r1', target: 'sip:caller@127.0.0.1:5070', localUri: 'sip:7100@h', remoteUri: 'sip:caller@127.0.0.1', cseq: '100' };
  const seat = { callId: 'c2@x', localTag: 'l2', remoteTag: 'r2', target: 'sip:seat@10.0.0.5:5060', localUri: 'sip:caller@h', remoteUri: 'sip:seat@h', cseq: '102', proxy: 'sip:203.0.113.9:40112' };

  it("sends one BYE per dialog with the dead dialog's Call-ID, tags and CSeq, through the seat's NAT address", async () => {
    const { srf, sent } = fakeSrf(() => 200);
    const r = await new OrphanDialogs(srf as never, silentLogger).hangUp([call('k1', [caller, seat])]);
    expect(r).toEqual({ tried: 2, answered: 2 });
    expect(sent).toEqual([
      {
        uri: 'sip:caller@127.0.0.1:5070',
        opts: {
          method: 'BYE',
          headers: { 'Call-ID': 'c1@x', From: '<sip:7100@h>;tag=l1', To: '<sip:caller@127.0.0.1>;tag=r1', CSeq: '100 BYE', Reason: expect.stringContaining('SIP;cause=503') },
        },
      },
      { uri: 'sip:seat@10.0.0.5:5060', opts: expect.objectContaining({ method: 'BYE', proxy: 'sip:203.0.113.9:40112' }) },
    ]);
  });

  it('skips what is not a dialog or would break a header line, and settles on errors and silence alike', async () => {
    const { srf, sent } = fakeSrf((uri) => (uri.includes('caller') ? 'error' : 'silent'));
    const r = await new OrphanDialogs(srf as never, silentLogger, 50).hangUp([
      call('k2', [caller, seat, { callId: 'x' }, { ...caller, remoteTag: 'r\r\nX-Evil: 1' }]),
      { callId: 'k3', ownerInstance: 'dead', callerNumber: '1', calledNumber: '7100', at: 0 },
    ]);
    expect(sent.map((s) => s.uri)).toEqual(['sip:caller@127.0.0.1:5070', 'sip:seat@10.0.0.5:5060']);
    expect(r).toEqual({ tried: 2, answered: 0 });
  });
});
