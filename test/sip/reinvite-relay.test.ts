import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { SrfMediaPeer } from '../../src/sip/media-peer.js';
import { ReinviteRelay } from '../../src/sip/reinvite-relay.js';

interface Pending {
  sdp: string | undefined;
  noAck: boolean;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/**
 * A stand-in for a drachtio Dialog (the caller's or the seat's): modify() as srf 5.0.29 does it (local.sdp set
 * before sending, its re-INVITE gate counted and kept on a failure), each re-INVITE we send answered by the test;
 * reinviteFromFarEnd() is srf's handling of an incoming re-INVITE (lib/dialog.js, case 'INVITE').
 */
class FakeDialog extends EventEmitter {
  local: { sdp?: string; contact: string };
  remote: { sdp?: string } = {};
  _reinvitesInProgress = { count: 0, admitOne: [] as (() => void)[] };
  pending: Pending[] = [];
  acks: string[] = [];

  constructor(localSdp: string, contact: string) {
    super();
    this.local = { sdp: localSdp, contact };
  }

  modify(sdp: string | undefined, opts?: { noAck?: boolean }): Promise<unknown> {
    const admitted = this._reinvitesInProgress.count++ === 0;
    const send = (resolve: (v: unknown) => void, reject: (e: unknown) => void): void => {
      this.local.sdp = sdp;
      this.pending.push({ sdp, noAck: opts?.noAck === true, resolve, reject });
    };
    return new Promise((resolve, reject) => {
      if (admitted) send(resolve, reject);
      else this._reinvitesInProgress.admitOne.push(() => send(resolve, reject));
    });
  }

  /** The far end's 200 OK to our re-INVITE: its answer, or its offer (noAck) whose ACK we must send. */
  ok(body: string): void {
    const p = this.pending.shift()!;
    this.remote.sdp = body;
    const done = (): void => {
      this._reinvitesInProgress.count--;
      const next = this._reinvitesInProgress.admitOne.shift();
      if (next) setImmediate(next);
    };
    if (p.noAck) {
      p.resolve({
        sdp: body,
        ack: (sdp: string) => {
          this.acks.push(sdp);
          done();
        },
      });
    } else {
      done();
      p.resolve(body);
    }
  }

  /** A failure answer: srf 5.0.29 rejects with a SipError and keeps its gate count. */
  refuse(status: number): void {
    this.pending.shift()!.reject(Object.assign(new Error(`${status}`), { status }));
  }

  /** No final answer (the dialog went away under the re-INVITE): srf frees its gate and rejects without status. */
  fail(): void {
    this._reinvitesInProgress.count--;
    this.pending.shift()!.reject(new Error('dialog was destroyed'));
  }

  /** A re-INVITE from the far end, handled as srf does: auto-answered unless someone listens to 'modify'. */
  reinviteFromFarEnd(body: string): FakeRes {
    const res = new FakeRes();
    this.remote.sdp = body;
    if (this.listenerCount('modify') === 0) {
      res.send(200, { body: this.local.sdp, headers: { Contact: this.local.contact, 'Content-Type': 'application/sdp' } });
    } else {
      this.emit('modify', { body }, res);
    }
    return res;
  }
}

class FakeRes {
  sent: { status: number; opts: { body?: string; headers?: Record<string, string> } }[] = [];
  get finalResponseSent(): boolean {
    return this.sent.length > 0;
  }
  send(status: number, opts: { body?: string; headers?: Record<string, string> } = {}): void {
    if (this.finalResponseSent) throw new Error('final response already sent');
    this.sent.push({ status, opts });
  }
}

class FakeLeg {
  constructor(readonly localSdp: string) {}
  release(): Promise<void> {
    return Promise.resolve();
  }
}

const sdpAnswer = (body: string, contact: string) => ({
  status: 200,
  opts: { body, headers: { Contact: contact, 'Content-Type': 'application/sdp' } },
});

/** A direct talk: the caller had the seat's offer ('v=0 seat-offer'), the seat the caller's answer in its ACK. */
async function directTalk() {
  const caller = new FakeDialog('v=0 fs-caller-leg', 'sip:hotline@10.0.0.1:5060');
  const seat = new FakeDialog('v=0 caller-answer', 'sip:hotline@10.0.0.1:5060;seat');
  const legs: FakeLeg[] = [];
  const peer = new SrfMediaPeer(
    caller as never,
    {
      legForRemoteSdp: () => {
        const leg = new FakeLeg('v=0 fs-new-leg');
        legs.push(leg);
        return Promise.resolve(leg as never);
      },
    },
    silentLogger,
  );
  const released = peer.reinvite('v=0 seat-offer');
  await flushMicrotasks();
  caller.ok('v=0 caller-answer');
  await released;
  const stop = peer.relayWith(seat as never);
  return { caller, seat, peer, stop, legs };
}

describe('ReinviteRelay (media release)', () => {
  it("the caller's hold goes to the seat, and the seat's answer back to the caller", async () => {
    const { caller, seat } = await directTalk();
    const res = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    await flushMicrotasks();
    expect(seat.pending.map((p) => p.sdp)).toEqual(['v=0 caller a=sendonly']);
    expect(res.sent).toEqual([]);
    seat.ok('v=0 seat a=recvonly');
    await flushMicrotasks();
    expect(res.sent).toEqual([sdpAnswer('v=0 seat a=recvonly', 'sip:hotline@10.0.0.1:5060')]);
    // Each dialog's local SDP is what its party last had from us.
    expect(caller.local.sdp).toBe('v=0 seat a=recvonly');
    expect(seat.local.sdp).toBe('v=0 caller a=sendonly');
  });

  it("the seat's re-INVITE (new RTP address) goes to the caller, and the caller's answer back to the seat", async () => {
    const { caller, seat } = await directTalk();
    const res = seat.reinviteFromFarEnd('v=0 seat c=IN IP4 10.9.9.9');
    await flushMicrotasks();
    expect(caller.pending.map((p) => p.sdp)).toEqual(['v=0 seat c=IN IP4 10.9.9.9']);
    caller.ok('v=0 caller-answer-2');
    await flushMicrotasks();
    expect(res.sent).toEqual([sdpAnswer('v=0 caller-answer-2', 'sip:hotline@10.0.0.1:5060;seat')]);
    expect(seat.local.sdp).toBe('v=0 caller-answer-2');
    expect(caller.local.sdp).toBe('v=0 seat c=IN IP4 10.9.9.9');
  });

  it("a 491 from the seat goes back to the caller; the seat's SDP and srf's gate are as before, the next relay passes", async () => {
    const { caller, seat } = await directTalk();
    const refused = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    await flushMicrotasks();
    seat.refuse(491);
    await flushMicrotasks();
    expect(refused.sent).toEqual([{ status: 491, opts: {} }]);
    expect(seat.local.sdp).toBe('v=0 caller-answer');
    expect(seat._reinvitesInProgress.count).toBe(0);
    const again = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    await flushMicrotasks();
    expect(seat.pending).toHaveLength(1);
    seat.ok('v=0 seat a=recvonly');
    await flushMicrotasks();
    expect(again.sent[0]!.status).toBe(200);
  });

  it('other refusals go back as 488, no answer at all as 500', async () => {
    const { caller, seat } = await directTalk();
    const a = seat.reinviteFromFarEnd('v=0 seat-codec-change');
    await flushMicrotasks();
    caller.refuse(488);
    await flushMicrotasks();
    expect(a.sent).toEqual([{ status: 488, opts: {} }]);
    const b = seat.reinviteFromFarEnd('v=0 seat-codec-change');
    await flushMicrotasks();
    caller.refuse(606);
    await flushMicrotasks();
    expect(b.sent).toEqual([{ status: 488, opts: {} }]);
    expect(caller._reinvitesInProgress.count).toBe(0);
    const c = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    await flushMicrotasks();
    seat.fail();
    await flushMicrotasks();
    expect(c.sent).toEqual([{ status: 500, opts: {} }]);
  });

  it('a 200 OK without SDP from the other party: 500 to the asker (there is no answer to give it)', async () => {
    const { caller, seat } = await directTalk();
    const res = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    await flushMicrotasks();
    seat.ok('');
    await flushMicrotasks();
    expect(res.sent).toEqual([{ status: 500, opts: {} }]);
    expect(caller.local.sdp).toBe('v=0 seat-offer');
  });

  it('an offerless re-INVITE is answered here with what the party last had from us, not relayed', async () => {
    const { caller, seat } = await directTalk();
    const res = caller.reinviteFromFarEnd('');
    await flushMicrotasks();
    expect(seat.pending).toHaveLength(0);
    expect(res.sent).toEqual([sdpAnswer('v=0 seat-offer', 'sip:hotline@10.0.0.1:5060')]);
  });

  it('a re-INVITE from the caller while ours to it is in progress (glare) is answered 491', async () => {
    const { caller, seat } = await directTalk();
    const fromSeat = seat.reinviteFromFarEnd('v=0 seat-new');
    await flushMicrotasks();
    expect(caller.pending).toHaveLength(1);
    const fromCaller = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    expect(fromCaller.sent).toEqual([{ status: 491, opts: {} }]);
    caller.ok('v=0 caller-answer-2');
    await flushMicrotasks();
    expect(fromSeat.sent[0]!.status).toBe(200);
  });

  it("stops at the caller's re-anchor: its re-INVITEs are then answered by srf with the new leg's SDP", async () => {
    const { caller, seat, peer } = await directTalk();
    const leg = peer.reanchor({});
    expect(caller.listenerCount('modify')).toBe(0);
    expect(seat.listenerCount('modify')).toBe(0);
    await flushMicrotasks();
    caller.ok('v=0 caller-offer');
    await leg;
    const res = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    expect(seat.pending).toHaveLength(0);
    expect(res.sent).toEqual([sdpAnswer('v=0 fs-new-leg', 'sip:hotline@10.0.0.1:5060')]);
  });

  it('stops at revert, at the stop function (seat hangup), and when either dialog ends', async () => {
    const t1 = await directTalk();
    const back = t1.peer.revert();
    expect(t1.caller.listenerCount('modify')).toBe(0);
    await flushMicrotasks();
    t1.caller.ok('v=0 caller-answer-3');
    await back;

    const t2 = await directTalk();
    t2.stop();
    expect([t2.caller.listenerCount('modify'), t2.seat.listenerCount('modify')]).toEqual([0, 0]);

    const t3 = await directTalk();
    t3.seat.emit('destroy');
    expect([t3.caller.listenerCount('modify'), t3.caller.listenerCount('destroy')]).toEqual([0, 0]);

    const t4 = await directTalk();
    t4.caller.emit('destroy');
    expect([t4.seat.listenerCount('modify'), t4.seat.listenerCount('destroy')]).toEqual([0, 0]);
  });

  it('a relay in flight when it stops still answers the caller; the re-anchor waits for that answer', async () => {
    const { caller, seat, peer } = await directTalk();
    const res = caller.reinviteFromFarEnd('v=0 caller a=sendonly');
    await flushMicrotasks();
    expect(seat.pending).toHaveLength(1);
    const leg = peer.reanchor({});
    expect(seat.listenerCount('modify')).toBe(0);
    await flushMicrotasks();
    // One INVITE transaction at a time on the caller's dialog: no re-anchor while its re-INVITE is unanswered.
    expect(caller.pending).toHaveLength(0);
    seat.ok('v=0 seat a=recvonly');
    await flushMicrotasks();
    expect(res.sent).toEqual([sdpAnswer('v=0 seat a=recvonly', 'sip:hotline@10.0.0.1:5060')]);
    expect(caller.pending.map((p) => p.sdp)).toEqual([undefined]);
    caller.ok('v=0 caller-offer');
    await expect(leg).resolves.toBeInstanceOf(FakeLeg);
  });

  it('a re-INVITE still waiting its turn when the relay stops is answered as srf would, not relayed', async () => {
    const caller = new FakeDialog('v=0 seat-offer', 'sip:caller-side');
    const seat = new FakeDialog('v=0 caller-answer', 'sip:seat-side');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const relay = new ReinviteRelay(caller as never, seat as never, (work) => gate.then(work), silentLogger);
    const res = seat.reinviteFromFarEnd('v=0 seat-new');
    relay.stop();
    release();
    await flushMicrotasks();
    expect(caller.pending).toHaveLength(0);
    expect(res.sent).toEqual([sdpAnswer('v=0 caller-answer', 'sip:seat-side')]);
  });
});
