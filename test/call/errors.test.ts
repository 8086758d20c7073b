import { describe, expect, it } from 'vitest';
import { AcdError } from '../../src/acd/errors.js';
import { CallError, seatFailureOwner } from '../../src/call/errors.js';
import { MediaError } from '../../src/media/errors.js';

describe('seatFailureOwner: whose failure a seat leg that did not come up is', () => {
  it("the seat's: a SIP failure answer from the seat, or no live registration", () => {
    expect(seatFailureOwner(new CallError('SEAT_REJECTED', '486', { agentId: 'a', status: 486 }))).toBe('seat');
    expect(seatFailureOwner(new CallError('SEAT_REJECTED', '603', { agentId: 'a', status: 603 }))).toBe('seat');
    expect(seatFailureOwner(new CallError('SEAT_UNREACHABLE', 'no registration'))).toBe('seat');
  });

  it('ours: media set-up timed out or failed, the store failed, the SIP stack failed without an answer from the seat', () => {
    expect(seatFailureOwner(new MediaError('MEDIA_TIMEOUT', 'createEndpoint', 'timed out'))).toBe('ours');
    expect(seatFailureOwner(new MediaError('MEDIA_FAILED', 'createEndpoint', 'refused'))).toBe('ours');
    expect(seatFailureOwner(new MediaError('MEDIA_UNAVAILABLE', 'createEndpoint', 'no media server'))).toBe('ours');
    expect(seatFailureOwner(new AcdError('STORE_UNAVAILABLE', 'redis down'))).toBe('ours');
    expect(seatFailureOwner(new CallError('SEAT_REJECTED', 'socket closed', { agentId: 'a' }))).toBe('ours');
    expect(seatFailureOwner(new Error('drachtio connection lost'))).toBe('ours');
  });
});
