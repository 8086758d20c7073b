import { describe, expect, it } from 'vitest';
import { configGate, limitedGate, type CallbackGate } from '../../src/callbacks/ports.js';

const plan = (allowed: boolean, maxSeats: number): CallbackGate => ({ callbacksAllowed: () => Promise.resolve({ allowed, maxSeats }) });

describe('callback seats under the peak plan (limitedGate)', () => {
  it.each([
    // [CALLBACK_MAX_SEATS, plan allows, plan seats] → result
    [5, true, Number.POSITIVE_INFINITY, { allowed: true, maxSeats: 5 }], // no plan: the configured seats
    [5, true, 2, { allowed: true, maxSeats: 2 }], // campaign: at most 2
    [1, true, 2, { allowed: true, maxSeats: 1 }], // configured fewer than the campaign's limit
    [5, false, 0, { allowed: false, maxSeats: 0 }], // plan level ≥ 1: paused
    [0, true, Number.POSITIVE_INFINITY, { allowed: false, maxSeats: 0 }], // callbacks switched off
  ])('max %d, plan allowed=%s seats=%d', async (max, allowed, seats, want) => {
    expect(await limitedGate(max, plan(allowed, seats)).callbacksAllowed()).toEqual(want);
  });

  it('the config gate alone allows its seats', async () => {
    expect(await configGate(3).callbacksAllowed()).toEqual({ allowed: true, maxSeats: 3 });
  });
});
