import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
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
});
