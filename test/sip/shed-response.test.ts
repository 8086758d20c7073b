import { describe, expect, it } from 'vitest';
import { AdmissionController } from '../../src/call/admission.js';
import { CallRegistry } from '../../src/call/registry.js';
import { VirtualClock } from '../../src/core/clock.js';
import { shedResponse } from '../../src/sip/shed-response.js';

describe("shedResponse: what a caller refused by load shedding gets (the INVITE handler's 503)", () => {
  it('503 with Retry-After from the admission state and the reason, for every kind of refusal', () => {
    const clock = new VirtualClock();
    let idle = 20;
    const r = new CallRegistry(clock, 1, new AdmissionController(clock, { softIdleCpu: 30, hardIdleCpu: 10, latencyTargetMs: 500, maxSetups: 20, initialSetups: 20 }, () => idle));
    const refused = r.admit(); // half the calls at 20 % idle: this one is refused
    if (refused.ok) throw new Error('admitted');
    expect(shedResponse(refused)).toEqual({ status: 503, headers: { 'Retry-After': '3', Reason: 'SIP;cause=503;text="media-cpu"' } });
    idle = 90;
    expect(r.admit().ok).toBe(true);
    const full = r.admit();
    if (full.ok) throw new Error('admitted');
    expect(shedResponse(full)).toEqual({ status: 503, headers: { 'Retry-After': '5', Reason: 'SIP;cause=503;text="overloaded"' } });
  });

  it('Retry-After is a whole number of seconds, at least 1', () => {
    expect(shedResponse({ reason: 'setup-limit', retryAfterSec: 0.2 }).headers['Retry-After']).toBe('1');
    expect(shedResponse({ reason: 'setup-limit', retryAfterSec: 2.6 }).headers['Retry-After']).toBe('3');
  });
});
