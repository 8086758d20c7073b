import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../src/core/clock.js';
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
