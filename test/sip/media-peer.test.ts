import { describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { SrfMediaPeer, isMediaPeerError } from '../../src/sip/media-peer.js';

interface Pending {
  sdp: string | undefined;
  noAck: boolean;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/**
 * A stand-in for the caller's drachtio Dialog: modify() as srf 5.0.29 does it (local.sdp set before sending, its
 * re-INVITE gate counted), each re-INVITE answered by the test.
 */
class FakeDialog {
  local: { sdp?: string } = { sdp: 'v=0 fs-original' };
  _reinvitesInProgress = { count: 0, admitOne: [] as (() => void)[] };
  pending: Pending[] = [];
  acks: string[] = [];

  modify(sdp: string | undefined, opts?: { noAck?: boolean }): Promise<unknown> {
    this._reinvitesInProgress.count++;
    this.local.sdp = sdp;
    return new Promise((resolve, reject) => this.pending.push({ sdp, noAck: opts?.noAck === true, resolve, reject }));
  }

  /** The far end's 200 OK: an answer to our offer, or its offer (noAck) whose ACK we must send. */
  ok(body: string): void {
    const p = this.pending.shift()!;
    if (p.noAck) {
      p.resolve({
        sdp: body,
        ack: (sdp: string) => {
          this.acks.push(sdp);
          this._reinvitesInProgress.count--;
        },
      });
    } else {
      this.acks.push('(srf)');
      this._reinvitesInProgress.count--;
      p.resolve(body);
    }
  }

  /** A failure answer: srf 5.0.29 rejects with a SipError and keeps its gate count. */
  refuse(status: number): void {
    this.pending.shift()!.reject(Object.assign(new Error(`${status}`), { status }));
  }
}

class FakeLeg {
  released = 0;
  constructor(
    readonly localSdp: string,
    readonly remoteSdp: string,
  ) {}
  release(): Promise<void> {
    this.released++;
    return Promise.resolve();
  }
}

function peerOver(d: FakeDialog, media: { legForRemoteSdp(sdp: string, o?: { near?: string }): Promise<FakeLeg> }, clock = new VirtualClock(0)) {
  return new SrfMediaPeer(d as never, media as never, silentLogger, { clock, legTimeoutMs: 5_000 });
}

describe('SrfMediaPeer.reinvite', () => {
  it("offers the seat's SDP to the caller and resolves with its answer", async () => {
    const d = new FakeDialog();
    const peer = peerOver(d, { legForRemoteSdp: () => Promise.reject(new Error('unused')) });
    const answer = peer.reinvite('v=0 seat');
    await flushMicrotasks();
    expect(d.pending[0]!.sdp).toBe('v=0 seat');
    d.ok('v=0 caller-answer');
    await expect(answer).resolves.toBe('v=0 caller-answer');
    expect(d.local.sdp).toBe('v=0 seat');
  });

  it("a refusal rejects REINVITE_REFUSED, keeps the caller's last SDP, and frees srf's gate for the next re-INVITE", async () => {
    const d = new FakeDialog();
    const peer = peerOver(d, { legForRemoteSdp: () => Promise.reject(new Error('unused')) });
    const first = peer.reinvite('v=0 seat');
    await flushMicrotasks();
    d.refuse(488);
    const err: unknown = await first.catch((e: unknown) => e);
    expect(isMediaPeerError(err, 'REINVITE_REFUSED')).toBe(true);
    expect((err as { details: { status: number } }).details.status).toBe(488);
    expect(d.local.sdp).toBe('v=0 fs-original');
    expect(d._reinvitesInProgress.count).toBe(0);
  });

  it('one re-INVITE at a time, in call order', async () => {
    const d = new FakeDialog();
    const leg = new FakeLeg('v=0 fs-new', '');
    const peer = peerOver(d, { legForRemoteSdp: () => Promise.resolve(leg) });
    const a = peer.reinvite('v=0 seat');
    const b = peer.reanchor({});
    await flushMicrotasks();
    expect(d.pending).toHaveLength(1);
    d.ok('v=0 caller-answer');
    await flushMicrotasks();
    expect(d.pending).toHaveLength(1);
    expect(d.pending[0]!.sdp).toBeUndefined();
    d.ok('v=0 caller-offer');
    await expect(a).resolves.toBe('v=0 caller-answer');
    await expect(b).resolves.toBe(leg);
  });
});

describe('SrfMediaPeer.reanchor', () => {
  it("gives the caller's offer to a new leg near the placement and ACKs with the leg's answer", async () => {
    const d = new FakeDialog();
    const asked: { sdp: string; near?: string }[] = [];
    const leg = new FakeLeg('v=0 fs-new', 'v=0 caller-offer');
    const peer = peerOver(d, {
      legForRemoteSdp: (sdp, o) => {
        asked.push({ sdp, near: o?.near });
        return Promise.resolve(leg);
      },
    });
    const got = peer.reanchor({ mediaNear: 'leg-1' });
    await flushMicrotasks();
    expect(d.pending[0]).toMatchObject({ sdp: undefined, noAck: true });
    d.ok('v=0 caller-offer');
    await expect(got).resolves.toBe(leg);
    expect(asked).toEqual([{ sdp: 'v=0 caller-offer', near: 'leg-1' }]);
    expect(d.acks).toEqual(['v=0 fs-new']);
    expect(d.local.sdp).toBe('v=0 fs-new');
  });

  it('no leg: still ACKs (with the last SDP the caller had from us) and rejects REANCHOR_FAILED', async () => {
    const d = new FakeDialog();
    const peer = peerOver(d, { legForRemoteSdp: () => Promise.reject(new Error('createEndpoint refused')) });
    const released = peer.reinvite('v=0 seat');
    await flushMicrotasks();
    d.ok('v=0 caller-answer');
    await released;
    const got = peer.reanchor({});
    await flushMicrotasks();
    d.ok('v=0 caller-offer');
    const err: unknown = await got.catch((e: unknown) => e);
    expect(isMediaPeerError(err, 'REANCHOR_FAILED')).toBe(true);
    expect(d.acks).toEqual(['(srf)', 'v=0 seat']);
    expect(d.local.sdp).toBe('v=0 seat');
    expect(d._reinvitesInProgress.count).toBe(0);
  });

  it('a leg that comes after the time limit: ACKed without it, then released (nobody else will own it)', async () => {
    const d = new FakeDialog();
    const clock = new VirtualClock(0);
    const leg = new FakeLeg('v=0 fs-late', '');
    let deliver!: (l: FakeLeg) => void;
    const peer = peerOver(d, { legForRemoteSdp: () => new Promise<FakeLeg>((r) => (deliver = r)) }, clock);
    const got = peer.reanchor({});
    await flushMicrotasks();
    d.ok('v=0 caller-offer');
    await flushMicrotasks();
    expect(d.acks).toEqual([]);
    clock.advance(5_000);
    const err: unknown = await got.catch((e: unknown) => e);
    expect(isMediaPeerError(err, 'REANCHOR_FAILED')).toBe(true);
    expect(d.acks).toEqual(['v=0 fs-original']);
    deliver(leg);
    await flushMicrotasks();
    expect(leg.released).toBe(1);
  });

  it('the caller refuses the offerless re-INVITE: REINVITE_REFUSED, no leg asked for', async () => {
    const d = new FakeDialog();
    let asked = 0;
    const peer = peerOver(d, {
      legForRemoteSdp: () => {
        asked++;
        return Promise.reject(new Error('unused'));
      },
    });
    const got = peer.reanchor({});
    await flushMicrotasks();
    d.refuse(491);
    const err: unknown = await got.catch((e: unknown) => e);
    expect(isMediaPeerError(err, 'REINVITE_REFUSED')).toBe(true);
    expect(asked).toBe(0);
    expect(d.local.sdp).toBe('v=0 fs-original');
  });

  it('revert: the caller gets back the SDP it had before the last reinvite (its media-server leg), once', async () => {
    const d = new FakeDialog();
    const peer = peerOver(d, { legForRemoteSdp: () => Promise.reject(new Error('unused')) });
    const answered = peer.reinvite('v=0 seat');
    await flushMicrotasks();
    d.ok('v=0 caller-answer');
    await answered;
    const back = peer.revert();
    await flushMicrotasks();
    expect(d.pending[0]!.sdp).toBe('v=0 fs-original');
    d.ok('v=0 caller-answer-2');
    await back;
    expect(d.local.sdp).toBe('v=0 fs-original');
    await peer.revert();
    expect(d.pending).toHaveLength(0);
  });

  it('revert never throws (the caller hung up meanwhile)', async () => {
    const d = new FakeDialog();
    const peer = peerOver(d, { legForRemoteSdp: () => Promise.reject(new Error('unused')) });
    const answered = peer.reinvite('v=0 seat');
    await flushMicrotasks();
    d.ok('v=0 caller-answer');
    await answered;
    const back = peer.revert();
    await flushMicrotasks();
    d.refuse(481);
    await expect(back).resolves.toBeUndefined();
  });
});
