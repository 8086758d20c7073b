import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { SipSeatDialer } from '../../src/sip/seat-dialer.js';
import { RegistrationStore } from '../../src/sip/registrations.js';
import { uniqueHotline } from '../support/redis.js';

// Real Redis for the seat's registration, isolated by a hotline id unique to this file and run.
const HOTLINE = uniqueHotline('seatdial');
let redis: Redis;

beforeAll(() => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = await redis.keys(`{${HOTLINE}}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/** A seat that answers the late-offer INVITE, but whose ACK fails (e.g. its 200 OK had no Contact). */
class AnsweringSrf {
  destroyed = 0;
  createUAC(): Promise<unknown> {
    return Promise.resolve({
      sdp: 'v=0 seat',
      ack: () => Promise.reject(new Error('createUAC: no Contact header in response')),
      destroy: () => {
        this.destroyed++;
        return Promise.resolve();
      },
    });
  }
}

class FakeLeg {
  released = 0;
  localSdp = 'v=0 fs';
  release(): Promise<void> {
    this.released++;
    return Promise.resolve();
  }
}

describe('SipSeatDialer', () => {
  it('releases the FreeSWITCH leg and ends the seat call when the ACK fails (no owner would ever free them)', async () => {
    const clock = new VirtualClock(1_000_000);
    const regs = new RegistrationStore(redis, HOTLINE);
    await regs.register(
      { agentId: '1001', contact: 'sip:1001@127.0.0.1:5070', source: '127.0.0.1:5070', transport: 'udp', userAgent: 't', expiresAt: clock.now() + 60_000 },
      clock.now(),
    );
    const srf = new AnsweringSrf();
    const leg = new FakeLeg();
    const media = { legForRemoteSdp: () => Promise.resolve(leg) };
    const dialer = new SipSeatDialer(srf as never, media as never, regs, clock, silentLogger, 'hotline.test');
    const ringing = await dialer.ring('1001', { callId: 'c1', callerNumber: '13800000000' });
    await expect(ringing.answered).rejects.toThrow(/no Contact/);
    expect(leg.released).toBe(1);
    expect(srf.destroyed).toBe(1);
    // A later cancel (the session giving up) has nothing left to free twice.
    await ringing.cancel();
    expect(leg.released).toBe(1);
  });

  describe('media release (direct)', () => {
    /** The seat's dialog once ACKed: BYE both ways. */
    class FakeDialog extends EventEmitter {
      destroyed = 0;
      destroy(): Promise<void> {
        this.destroyed++;
        return Promise.resolve();
      }
    }

    /** A seat that answers the late-offer INVITE with its offer; records the ACK's answer. */
    class SeatSrf {
      acked: string[] = [];
      destroyed = 0;
      readonly dialog = new FakeDialog();
      createUAC(): Promise<unknown> {
        return Promise.resolve({
          sdp: 'v=0 seat-offer',
          ack: (sdp: string) => {
            this.acked.push(sdp);
            return Promise.resolve(this.dialog);
          },
          destroy: () => {
            this.destroyed++;
            return Promise.resolve();
          },
        });
      }
    }

    /** The caller's MediaPeer as the session hands it out: each re-INVITE answered (or refused) by the test. */
    class ScriptedPeer {
      offers: string[] = [];
      private settle: { ok(sdp: string): void; fail(e: unknown): void } | undefined;
      reinvite(offer: string): Promise<string> {
        this.offers.push(offer);
        return new Promise((ok, fail) => (this.settle = { ok, fail }));
      }
      reverted = 0;
      reanchor(): Promise<never> {
        return Promise.reject(new Error('unused'));
      }
      revert(): Promise<void> {
        this.reverted++;
        return Promise.resolve();
      }
      answer(sdp: string): void {
        this.settle!.ok(sdp);
      }
      refuse(status: number): void {
        this.settle!.fail(Object.assign(new Error(`re-INVITE answered ${status}`), { code: 'REINVITE_REFUSED', details: { status } }));
      }
    }

    async function setUp(agentId: string) {
      const clock = new VirtualClock(1_000_000);
      const regs = new RegistrationStore(redis, HOTLINE);
      await regs.register(
        { agentId, contact: `sip:${agentId}@127.0.0.1:5070`, source: '127.0.0.1:5070', transport: 'udp', userAgent: 't', expiresAt: clock.now() + 60_000 },
        clock.now(),
      );
      const srf = new SeatSrf();
      const legs: FakeLeg[] = [];
      const media = {
        legForRemoteSdp: () => {
          const leg = new FakeLeg();
          legs.push(leg);
          return Promise.resolve(leg);
        },
      };
      const dialer = new SipSeatDialer(srf as never, media as never, regs, clock, silentLogger, 'hotline.test');
      return { srf, legs, dialer };
    }

    it("the seat's offer goes to the caller, the caller's answer in the seat's ACK: a seat with no media leg", async () => {
      const { srf, legs, dialer } = await setUp('2001');
      const peer = new ScriptedPeer();
      let asked = 0;
      const ringing = await dialer.ring('2001', {
        callId: 'c2',
        callerNumber: '1380',
        direct: () => {
          asked++;
          return peer;
        },
      });
      await flushMicrotasks();
      expect(asked).toBe(1);
      expect(peer.offers).toEqual(['v=0 seat-offer']);
      expect(srf.acked).toEqual([]);
      peer.answer('v=0 caller-answer');
      const seat = await ringing.answered;
      expect(srf.acked).toEqual(['v=0 caller-answer']);
      expect(seat.leg).toBeUndefined();
      expect(legs).toHaveLength(0);
      expect(peer.reverted).toBe(0);
      // An answer the session did not take (it stopped waiting at that moment): BYE to the seat, and the caller's
      // media back to its media-server leg, which the session still holds.
      await ringing.cancel();
      expect(srf.dialog.destroyed).toBe(1);
      expect(peer.reverted).toBe(1);
    });

    it("a caller's peer that relays re-INVITEs: relaying with the seat's dialog from the ACK on, stopped at the seat's hangup", async () => {
      const { srf, dialer } = await setUp('2006');
      const peer = Object.assign(new ScriptedPeer(), {
        relays: [] as unknown[],
        stopped: 0,
        relayWith(seat: unknown): () => void {
          this.relays.push(seat);
          return () => {
            this.stopped++;
          };
        },
      });
      const ringing = await dialer.ring('2006', { callId: 'c7', callerNumber: '1380', direct: () => peer });
      await flushMicrotasks();
      expect(peer.relays).toEqual([]);
      peer.answer('v=0 caller-answer');
      const seat = await ringing.answered;
      expect(peer.relays).toEqual([srf.dialog]);
      expect(peer.stopped).toBe(0);
      await seat.hangup();
      expect(peer.stopped).toBe(1);
      expect(srf.dialog.destroyed).toBe(1);
    });

    it('no peer at the answer (the whisper needs a leg): anchored in the media server as usual', async () => {
      const { srf, legs, dialer } = await setUp('2002');
      const ringing = await dialer.ring('2002', { callId: 'c3', callerNumber: '1380', direct: () => undefined });
      const seat = await ringing.answered;
      expect(seat.leg).toBe(legs[0]);
      expect(srf.acked).toEqual(['v=0 fs']);
    });

    it('the caller refuses the re-INVITE: the seat is anchored in a media leg instead', async () => {
      const { srf, legs, dialer } = await setUp('2003');
      const peer = new ScriptedPeer();
      const ringing = await dialer.ring('2003', { callId: 'c4', callerNumber: '1380', direct: () => peer });
      await flushMicrotasks();
      peer.refuse(488);
      const seat = await ringing.answered;
      expect(legs).toHaveLength(1);
      expect(seat.leg).toBe(legs[0]);
      expect(srf.acked).toEqual(['v=0 fs']);
    });

    it('a CANCEL crossing the re-INVITE: the seat is ACKed and ended, answered rejects SEAT_CANCELLED', async () => {
      const { srf, legs, dialer } = await setUp('2004');
      const peer = new ScriptedPeer();
      const ringing = await dialer.ring('2004', { callId: 'c5', callerNumber: '1380', direct: () => peer });
      await flushMicrotasks();
      await ringing.cancel();
      peer.answer('v=0 caller-answer');
      await expect(ringing.answered).rejects.toMatchObject({ code: 'SEAT_CANCELLED' });
      expect(srf.acked).toEqual(['v=0 caller-answer']);
      expect(srf.dialog.destroyed).toBe(1);
      expect(legs).toHaveLength(0);
      // The caller's media goes back to its media-server leg, which the session still holds.
      expect(peer.reverted).toBe(1);
    });

    it('a CANCEL crossing a refused re-INVITE: the seat is ended without a media leg', async () => {
      const { srf, legs, dialer } = await setUp('2005');
      const peer = new ScriptedPeer();
      const ringing = await dialer.ring('2005', { callId: 'c6', callerNumber: '1380', direct: () => peer });
      await flushMicrotasks();
      await ringing.cancel();
      peer.refuse(488);
      await expect(ringing.answered).rejects.toMatchObject({ code: 'SEAT_CANCELLED' });
      expect(srf.destroyed).toBe(1);
      expect(legs).toHaveLength(0);
      expect(peer.reverted).toBe(0);
    });
  });
});
