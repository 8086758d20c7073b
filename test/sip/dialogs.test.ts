import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks, VirtualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { SrfDialogSignal, SrfSeat, referTarget } from '../../src/sip/dialogs.js';

/** A stand-in for a drachtio Dialog: emits 'destroy' on the far end's BYE, records our destroy(). */
class FakeDialog extends EventEmitter {
  destroyed = 0;
  destroy(): Promise<void> {
    this.destroyed++;
    return Promise.resolve();
  }
}

describe('SrfDialogSignal', () => {
  it("tells hangup listeners of the far end's BYE once, even when it came before they subscribed", async () => {
    const d = new FakeDialog();
    const s = new SrfDialogSignal(d as never);
    d.emit('destroy');
    let told = 0;
    s.onHangup(() => told++);
    await flushMicrotasks();
    expect(told).toBe(1);
    d.emit('destroy');
    await flushMicrotasks();
    expect(told).toBe(1);
    await s.hangup();
    expect(d.destroyed).toBe(0); // the far end already ended it: no BYE from us
  });

  it('our hangup sends one BYE, removes its listener by reference, and is idempotent', async () => {
    const d = new FakeDialog();
    const s = new SrfDialogSignal(d as never);
    let told = 0;
    const off = s.onHangup(() => told++);
    await Promise.all([s.hangup(), s.hangup()]);
    expect(d.destroyed).toBe(1);
    expect(d.listenerCount('destroy')).toBe(0);
    off();
    expect(told).toBe(0);
  });
});

describe('REFER (blind transfer)', () => {
  it.each([
    ['<sip:complaints@hotline.local>', 'complaints'],
    ['sip:12366@10.0.0.1;transport=udp', '12366'],
    ['<sips:%E6%8A%95%E8%AF%89@h>', '投诉'],
    ['garbage', undefined],
  ])('Refer-To %s → %s', (h, target) => {
    expect(referTarget(h)).toBe(target);
  });

  it('a seat REFER gets 202 and reaches the listeners; a REFER without a target gets 400', () => {
    const d = new FakeDialog();
    const seat = new SrfSeat(d as never, { id: 'leg' } as never);
    const targets: string[] = [];
    seat.onRefer((t) => targets.push(t));
    const sent: number[] = [];
    const res = { send: (status: number) => sent.push(status) };
    d.emit('refer', { get: () => '<sip:complaints@h>' }, res);
    d.emit('refer', { get: () => '' }, res);
    expect(sent).toEqual([202, 400]);
    expect(targets).toEqual(['complaints']);
  });
});

/** FakeDialog that also takes in-dialog requests: each one waits until the test answers or fails it. */
class PingedDialog extends FakeDialog {
  readonly id = 'dlg-1';
  readonly sip = { callId: 'call-1@test' };
  readonly sent: { method: string; answer(status: number): void; fail(err: Error): void }[] = [];
  /** srf's callback form: called once per response (provisional ones too), or with the error. */
  request(opts: { method: string }, cb: (err: unknown, res?: { status: number }) => void): this {
    this.sent.push({ method: opts.method, answer: (status) => cb(null, { status }), fail: (err) => cb(err) });
    return this;
  }
}

function keepaliveRig(intervalSec = 30) {
  const clock = new VirtualClock();
  const warnings: unknown[] = [];
  const log = { ...silentLogger, warn: (obj: unknown) => warnings.push(obj) };
  const d = new PingedDialog();
  const s = new SrfDialogSignal(d as never, undefined, undefined, { intervalSec, clock, log });
  let told = 0;
  s.onHangup(() => told++);
  return { clock, d, s, warnings, told: () => told };
}

describe('in-dialog keepalive (SIP_KEEPALIVE_SEC)', () => {
  it.each([200, 405, 501, 486])('an OPTIONS answered %i keeps the call, and the next goes out one interval later', async (status) => {
    const { clock, d, told } = keepaliveRig();
    await clock.advanceAsync(29_999);
    expect(d.sent).toHaveLength(0);
    await clock.advanceAsync(1);
    expect(d.sent.map((r) => r.method)).toEqual(['OPTIONS']);
    d.sent[0]!.answer(status);
    await clock.advanceAsync(30_000);
    expect(d.sent).toHaveLength(2);
    d.sent[1]!.answer(status);
    await clock.advanceAsync(1);
    expect(told()).toBe(0);
    expect(d.destroyed).toBe(0);
  });

  it('503 (the stack answers so when the port refuses the datagram): asked again 5 s later; a second 503 in a row ends the call, one between others does not', async () => {
    const { clock, d, told, warnings } = keepaliveRig();
    await clock.advanceAsync(30_000);
    d.sent[0]!.answer(503);
    await clock.advanceAsync(4_999);
    expect(d.sent).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(d.sent).toHaveLength(2);
    // A 200 in between: alive, the count starts again and the pace is the interval again.
    d.sent[1]!.answer(200);
    await clock.advanceAsync(30_000);
    d.sent[2]!.answer(503);
    await clock.advanceAsync(5_000);
    expect(told()).toBe(0);
    d.sent[3]!.answer(503);
    await flushMicrotasks();
    expect(told()).toBe(1);
    expect(d.destroyed).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ reason: 'OPTIONS answered 503 twice in a row (the far end unreachable)' })]);
  });

  it.each([408, 481])('an OPTIONS answered %i ends the call as a BYE would: listeners told once, our side destroyed, one warning', async (status) => {
    const { clock, d, s, warnings, told } = keepaliveRig();
    await clock.advanceAsync(30_000);
    d.sent[0]!.answer(status);
    await flushMicrotasks();
    expect(told()).toBe(1);
    expect(d.destroyed).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ sipCallId: 'call-1@test', dialogId: 'dlg-1', reason: `OPTIONS answered ${status}` })]);
    // Nothing more: no further OPTIONS, a late BYE or our own hang-up changes nothing.
    expect(clock.pending()).toBe(0);
    d.emit('destroy');
    await s.hangup();
    await clock.advanceAsync(120_000);
    expect(d.sent).toHaveLength(1);
    expect(told()).toBe(1);
    expect(d.destroyed).toBe(1);
    // A listener that comes later still hears of it.
    let late = 0;
    s.onHangup(() => late++);
    await flushMicrotasks();
    expect(late).toBe(1);
  });

  it('a provisional answer is not the answer: 100 then 408 ends the call, 100 then silence too', async () => {
    const late = keepaliveRig();
    await late.clock.advanceAsync(30_000);
    late.d.sent[0]!.answer(100);
    await late.clock.advanceAsync(5_000);
    expect(late.told()).toBe(0);
    late.d.sent[0]!.answer(408);
    expect(late.told()).toBe(1);
    expect(late.d.destroyed).toBe(1);

    const silent = keepaliveRig();
    await silent.clock.advanceAsync(30_000);
    silent.d.sent[0]!.answer(100);
    await silent.clock.advanceAsync(31_999);
    expect(silent.told()).toBe(0);
    expect(silent.d.sent).toHaveLength(1);
    await silent.clock.advanceAsync(1);
    expect(silent.told()).toBe(1);
  });

  it('a failed OPTIONS request ends the call', async () => {
    const { clock, d, warnings, told } = keepaliveRig();
    await clock.advanceAsync(30_000);
    d.sent[0]!.fail(new Error('socket closed'));
    await flushMicrotasks();
    expect(told()).toBe(1);
    expect(d.destroyed).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ reason: 'OPTIONS failed: socket closed' })]);
  });

  it('one OPTIONS out at a time; one unanswered for 32 s ends the call, and a late answer changes nothing', async () => {
    const { clock, d, told } = keepaliveRig(10);
    await clock.advanceAsync(10_000);
    await clock.advanceAsync(31_999);
    expect(d.sent).toHaveLength(1);
    expect(told()).toBe(0);
    await clock.advanceAsync(1);
    expect(told()).toBe(1);
    expect(d.destroyed).toBe(1);
    d.sent[0]!.answer(200);
    await clock.advanceAsync(60_000);
    expect(d.sent).toHaveLength(1);
    expect(told()).toBe(1);
  });

  it("stops at our hang-up (even with an OPTIONS out) and at the far end's BYE", async () => {
    const idle = keepaliveRig();
    await idle.clock.advanceAsync(15_000);
    await idle.s.hangup();
    expect(idle.clock.pending()).toBe(0);
    await idle.clock.advanceAsync(120_000);
    expect(idle.d.sent).toHaveLength(0);

    for (const status of [200, 481]) {
      const ours = keepaliveRig();
      await ours.clock.advanceAsync(30_000);
      await ours.s.hangup();
      expect(ours.clock.pending()).toBe(0);
      ours.d.sent[0]!.answer(status);
      await ours.clock.advanceAsync(120_000);
      expect(ours.d.sent).toHaveLength(1);
      expect(ours.d.destroyed).toBe(1);
      expect(ours.told()).toBe(0);
      expect(ours.warnings).toEqual([]);
    }

    const theirs = keepaliveRig();
    await theirs.clock.advanceAsync(15_000);
    theirs.d.emit('destroy');
    expect(theirs.told()).toBe(1);
    expect(theirs.clock.pending()).toBe(0);
    await theirs.clock.advanceAsync(120_000);
    expect(theirs.d.sent).toHaveLength(0);
    expect(theirs.d.destroyed).toBe(0);
  });

  it('0 sends no OPTIONS and sets no timer', async () => {
    const { clock, d } = keepaliveRig(0);
    expect(clock.pending()).toBe(0);
    await clock.advanceAsync(600_000);
    expect(d.sent).toHaveLength(0);
  });

  it('a seat is kept alive the same way (SrfSeat passes the option on); its relay stops at its hang-up', async () => {
    const clock = new VirtualClock();
    const d = new PingedDialog();
    let relayStopped = 0;
    const seat = new SrfSeat(d as never, undefined, undefined, () => relayStopped++, { intervalSec: 30, clock, log: silentLogger });
    let told = 0;
    seat.onHangup(() => told++);
    await clock.advanceAsync(30_000);
    d.sent[0]!.answer(481);
    await flushMicrotasks();
    expect(told).toBe(1);
    expect(d.destroyed).toBe(1);
    await seat.hangup();
    expect(relayStopped).toBe(1);
    expect(d.destroyed).toBe(1);
  });
});
