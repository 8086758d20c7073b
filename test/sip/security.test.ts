import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { route } from '../../src/sip/dialplan.js';
import { FailureLimiter } from '../../src/sip/failure-limiter.js';
import { isScannerUserAgent } from '../../src/sip/scanners.js';

describe('scanner user-agents', () => {
  it.each(['friendly-scanner', 'sipvicious', 'sipcli/v1.8', 'sundayddr', 'VaxSIPUserAgent/3.1', 'SIPScan'])('%s is rejected', (ua) => {
    expect(isScannerUserAgent(ua)).toBe(true);
  });
  it.each(['Linphone/5.2', 'MicroSIP/3.21', 'Zoiper rv2.10', 'baresip v3', 'sipp', undefined])('%s is a softphone', (ua) => {
    expect(isScannerUserAgent(ua)).toBe(false);
  });
});

describe('FailureLimiter', () => {
  it('blocks an address after N failures within the window, for the block time, then forgets it', () => {
    const clock = new VirtualClock();
    const l = new FailureLimiter(clock, { maxFailures: 3, windowMs: 60_000, blockMs: 600_000 });
    expect(l.recordFailure('1.2.3.4')).toBe(false);
    expect(l.recordFailure('1.2.3.4')).toBe(false);
    expect(l.isBlocked('1.2.3.4')).toBe(false);
    expect(l.recordFailure('1.2.3.4')).toBe(true);
    expect(l.isBlocked('1.2.3.4')).toBe(true);
    expect(l.isBlocked('5.6.7.8')).toBe(false);
    clock.advance(599_999);
    expect(l.isBlocked('1.2.3.4')).toBe(true);
    clock.advance(1);
    expect(l.isBlocked('1.2.3.4')).toBe(false);
  });

  it('failures spread wider than the window do not block; a success clears the count', () => {
    const clock = new VirtualClock();
    const l = new FailureLimiter(clock, { maxFailures: 3, windowMs: 10_000, blockMs: 60_000 });
    l.recordFailure('a');
    clock.advance(6000);
    l.recordFailure('a');
    clock.advance(6000);
    expect(l.recordFailure('a')).toBe(false);
    l.recordSuccess('a');
    l.recordFailure('a');
    expect(l.recordFailure('a')).toBe(false);
  });

  it('tracks a bounded number of addresses', () => {
    const clock = new VirtualClock();
    const l = new FailureLimiter(clock, { maxFailures: 2, windowMs: 10_000, blockMs: 60_000, maxTracked: 2 });
    l.recordFailure('a');
    l.recordFailure('b');
    l.recordFailure('c'); // evicts a
    expect(l.recordFailure('a')).toBe(false);
  });
});

describe('dialplan', () => {
  const hotline = (n: string): boolean => n === '12345' || n === '12366';
  it('routes hotline numbers from anyone', () => {
    expect(route({ dialled: '12345', fromSeat: false, isHotlineNumber: hotline, seatOutboundPattern: undefined })).toEqual({ kind: 'hotline', number: '12345' });
    expect(route({ dialled: '12366', fromSeat: true, isHotlineNumber: hotline, seatOutboundPattern: undefined }).kind).toBe('hotline');
  });
  it('unknown numbers from outside are 404', () => {
    expect(route({ dialled: '999', fromSeat: false, isHotlineNumber: hotline, seatOutboundPattern: undefined })).toMatchObject({ kind: 'reject', status: 404 });
    expect(route({ dialled: '*1', fromSeat: false, isHotlineNumber: hotline, seatOutboundPattern: undefined })).toMatchObject({ kind: 'reject', status: 404 });
  });
  it('seats dial feature codes, and outside numbers only when the pattern allows (no toll fraud)', () => {
    expect(route({ dialled: '*21', fromSeat: true, isHotlineNumber: hotline, seatOutboundPattern: undefined })).toEqual({ kind: 'feature-code', code: '*21' });
    expect(route({ dialled: '0086138000', fromSeat: true, isHotlineNumber: hotline, seatOutboundPattern: undefined })).toMatchObject({ kind: 'reject', status: 403 });
    expect(route({ dialled: '021555', fromSeat: true, isHotlineNumber: hotline, seatOutboundPattern: /^0[1-9]\d+$/ })).toEqual({ kind: 'seat-to-outside', number: '021555' });
    expect(route({ dialled: '00441', fromSeat: true, isHotlineNumber: hotline, seatOutboundPattern: /^0[1-9]\d+$/ })).toMatchObject({ kind: 'reject', status: 403 });
  });
});

describe('seat contact behind NAT', () => {
  it('uses the REGISTER source only when the Contact names another address', async () => {
    const { behindNat } = await import('../../src/sip/seat-dialer.js');
    expect(behindNat('sip:1001@192.168.1.20:5060', '203.0.113.7:40123')).toBe(true);
    expect(behindNat('sip:1001@127.0.0.1:5071;transport=udp', '127.0.0.1:5070')).toBe(false);
    expect(behindNat('sip:127.0.0.1:5071', '127.0.0.1:5070')).toBe(false);
  });
});
