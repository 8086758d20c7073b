/**
 * The outbound callback call above its ports, on the virtual clock: the agent's seat first under the three-ring
 * rule, then the customer through the trunk with ring-back and early media bridged to the agent.
 */
import { describe, expect, it } from 'vitest';
import { CallbackCalls } from '../../src/call/callback-call.js';
import { CallError } from '../../src/call/errors.js';
import type { CustomerLeg, DialingCustomer, TrunkDialer } from '../../src/call/ports.js';
import { VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { MediaLeg } from '../../src/media/leg.js';
import { FakeSignal, ScriptedLeg, ScriptedSeats } from './harness.js';

const T0 = Date.parse('2026-06-01T02:00:00Z');
type TrunkScript = { earlyAfterMs?: number; answerAfterMs: number } | { failAfterMs: number; code: 'CUSTOMER_BUSY' | 'CUSTOMER_NO_ANSWER' | 'CUSTOMER_FAILED' } | 'never';

class CustomerSide extends FakeSignal implements CustomerLeg {
  constructor(readonly leg: ScriptedLeg) {
    super();
  }
}

class ScriptedTrunk implements TrunkDialer {
  script: TrunkScript = 'never';
  dialled: string[] = [];
  /** The media leg each dial asked its customer leg to share a server with. */
  mediaNear: Array<string | undefined> = [];
  cancelled = 0;
  customer: CustomerSide | undefined;
  constructor(private readonly clock: VirtualClock) {}

  dial(number: string, call?: { mediaNear?: string }): Promise<DialingCustomer> {
    this.dialled.push(number);
    this.mediaNear.push(call?.mediaNear);
    const leg = new ScriptedLeg(`customer-${number}`, this.clock);
    let resolveMedia!: (l: MediaLeg) => void;
    const media = new Promise<MediaLeg>((r) => (resolveMedia = r));
    let settle!: { ok: (c: CustomerLeg) => void; fail: (e: unknown) => void };
    const answered = new Promise<CustomerLeg>((ok, fail) => (settle = { ok, fail }));
    answered.catch(() => undefined);
    const timers: ReturnType<VirtualClock['setTimeout']>[] = [];
    const s = this.script;
    if (s !== 'never' && 'answerAfterMs' in s) {
      if (s.earlyAfterMs !== undefined) timers.push(this.clock.setTimeout(() => resolveMedia(leg), s.earlyAfterMs));
      timers.push(this.clock.setTimeout(() => {
        resolveMedia(leg);
        this.customer = new CustomerSide(leg);
        settle.ok(this.customer);
      }, s.answerAfterMs));
    } else if (s !== 'never') {
      timers.push(this.clock.setTimeout(() => settle.fail(new CallError(s.code, 'trunk said no')), s.failAfterMs));
    }
    return Promise.resolve({
      media,
      answered,
      cancel: () => {
        this.cancelled++;
        for (const t of timers) this.clock.clearTimeout(t);
        settle.fail(new CallError('CUSTOMER_CANCELLED', 'cancelled'));
        return Promise.resolve();
      },
    });
  }
}

function setup() {
  const clock = new VirtualClock(T0);
  const seats = new ScriptedSeats(clock);
  const trunk = new ScriptedTrunk(clock);
  const calls = new CallbackCalls({ seats, trunk, clock, log: silentLogger, ring: { rings: 3, onMs: 1000, offMs: 4000 }, customerRingMs: 30_000, ringback: 'tone://ringback', callerId: '12345' });
  const answeredHook: number[] = [];
  const place = () => calls.place({ callId: 'cb-1', agentId: 'a1', number: '13800000001' }, { agentAnswered: () => Promise.resolve(void answeredHook.push(clock.now())) });
  return { clock, seats, trunk, place, answeredHook };
}

describe('the callback call (agent first, then the customer through the trunk)', () => {
  it('agent answers, hears ring-back then early media through the bridge; the customer answers and later hangs up', async () => {
    const { clock, seats, trunk, place, answeredHook } = setup();
    seats.scripts.set('a1', { answerAfterMs: 2000 });
    trunk.script = { earlyAfterMs: 1000, answerAfterMs: 6000 };
    const done = place();
    await clock.advanceAsync(2000);
    expect(answeredHook).toEqual([T0 + 2000]);
    expect(trunk.dialled).toEqual(['13800000001']);
    const agentLeg = seats.answered.get('a1')!.leg;
    // The customer's leg is asked for on the agent's media server (the two are bridged there).
    expect(trunk.mediaNear).toEqual([agentLeg.id]);
    expect(agentLeg.events).toEqual(['music:tone://ringback']);
    await clock.advanceAsync(1000); // early media: ring-back stops, the bridge carries the trunk's audio
    expect(agentLeg.events).toEqual(['music:tone://ringback', 'stop', 'bridge:customer-13800000001']);
    await clock.advanceAsync(5000);
    await clock.advanceAsync(60_000);
    trunk.customer!.remoteBye();
    const r = await done;
    expect(r).toEqual({ outcome: 'answered', agentAnsweredAt: T0 + 2000, customerAnsweredAt: T0 + 8000, endedAt: T0 + 68_000, endedBy: 'caller' });
    expect(seats.answered.get('a1')!.hangups).toBe(1);
    expect(agentLeg.gone && trunk.customer!.leg.gone).toBe(true);
  });

  it('the agent does not answer within three rings: agent-missed, nobody dialled', async () => {
    const { clock, seats, trunk, place } = setup();
    seats.scripts.set('a1', 'never');
    const done = place();
    await clock.advanceAsync(15_000);
    expect(await done).toMatchObject({ outcome: 'agent-missed', endedBy: 'system' });
    expect(seats.cancelled).toEqual(['a1']);
    expect(trunk.dialled).toEqual([]);
  });

  it.each([
    ['CUSTOMER_BUSY', 'busy'],
    ['CUSTOMER_NO_ANSWER', 'no-answer'],
    ['CUSTOMER_FAILED', 'failed'],
  ] as const)('the trunk answers %s: %s, the agent is hung up', async (code, outcome) => {
    const { clock, seats, trunk, place } = setup();
    seats.scripts.set('a1', { answerAfterMs: 1000 });
    trunk.script = { failAfterMs: 3000, code };
    const done = place();
    await clock.advanceAsync(4000);
    expect(await done).toMatchObject({ outcome, agentAnsweredAt: T0 + 1000 });
    expect(seats.answered.get('a1')!.hangups).toBe(1);
  });

  it('the customer rings out: no-answer after the ring time, the INVITE cancelled', async () => {
    const { clock, seats, trunk, place } = setup();
    seats.scripts.set('a1', { answerAfterMs: 1000 });
    trunk.script = 'never';
    const done = place();
    await clock.advanceAsync(31_000);
    expect(await done).toMatchObject({ outcome: 'no-answer', endedAt: T0 + 31_000 });
    expect(trunk.cancelled).toBe(1);
  });
});
