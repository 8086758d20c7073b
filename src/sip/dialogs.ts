import type Srf from 'drachtio-srf';
import type { AnsweredSeat, DialogSignal, MediaPeer } from '../call/ports.js';
import type { MediaLeg } from '../media/leg.js';
import { startDialogKeepalive, type KeepaliveOptions } from './dialog-keepalive.js';
import { dialogRef } from './orphans.js';

/**
 * A DialogSignal over a drachtio Dialog: BYE in both directions, each listener removable by reference. With
 * `keepalive`, a far end that stops answering in-dialog OPTIONS counts as gone: its listeners are told as for a
 * BYE, and our side of the dialog is ended too.
 */
export class SrfDialogSignal implements DialogSignal {
  private ended = false;
  private readonly fns = new Set<() => void>();
  private readonly stopKeepalive: () => void;
  private readonly onDestroy = (): void => {
    if (this.ended) return;
    this.ended = true;
    this.stopKeepalive();
    for (const fn of [...this.fns]) fn();
    this.fns.clear();
  };
  private readonly onGone = (): void => {
    if (this.ended) return;
    this.dialog.off('destroy', this.onDestroy);
    // Best effort: the BYE most likely goes unanswered, and srf forgets the dialog either way.
    try {
      (this.dialog.destroy() as unknown as Promise<unknown> | undefined)?.catch(() => undefined);
    } catch {
      // Gone already.
    }
    this.onDestroy();
  };

  readonly ref: Readonly<Record<string, string>> | undefined;

  /**
   * `proxy`: where in-dialog requests must go instead of the far end's Contact (it is behind NAT). `media`: the far
   * end's media can be moved by re-INVITE (a hotline caller's dialog). `keepalive`: ping the far end with in-dialog
   * OPTIONS (SIP_KEEPALIVE_SEC) while the dialog is up.
   */
  constructor(
    protected readonly dialog: Srf.Dialog,
    proxy?: string,
    readonly media?: MediaPeer,
    keepalive?: KeepaliveOptions,
  ) {
    dialog.on('destroy', this.onDestroy);
    this.stopKeepalive = keepalive ? startDialogKeepalive(dialog, keepalive, this.onGone) : () => undefined;
    const ref = dialogRef(dialog, proxy);
    this.ref = ref ? { ...ref } : undefined;
  }

  async hangup(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopKeepalive();
    this.dialog.off('destroy', this.onDestroy);
    this.fns.clear();
    try {
      // drachtio-srf's types say void; it returns a Promise when no callback is given.
      await (this.dialog.destroy() as unknown as Promise<unknown>);
    } catch {
      // The dialog is gone already (the far end's BYE crossed ours): nothing left to end.
    }
  }

  onHangup(fn: () => void): () => void {
    if (this.ended) {
      // The far end left before this listener came (BYE right after the 200 OK): tell it anyway, once.
      queueMicrotask(fn);
      return () => undefined;
    }
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }
}

/** The user part of a Refer-To URI (a number, a queue id or a flow name). */
export function referTarget(referTo: string): string | undefined {
  const m = /<?sips?:([^@;>]+)/.exec(referTo);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/**
 * A seat's answered dialog with its FreeSWITCH leg, or none when its media goes straight to the caller (media
 * released); REFER (blind transfer) is accepted with 202.
 */
export class SrfSeat extends SrfDialogSignal implements AnsweredSeat {
  private readonly referFns = new Set<(target: string) => void>();
  private readonly onReferReq = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    const target = referTarget(req.get('Refer-To') ?? '');
    if (!target) {
      res.send(400);
      return;
    }
    res.send(202);
    for (const fn of [...this.referFns]) fn(target);
  };

  /**
   * `stopRelay`: ends the relay of re-INVITEs between this seat and the caller whose media it has (media released).
   * srf drops the seat dialog's listeners itself once our BYE is answered, not the caller's: the relay must stop.
   */
  constructor(
    dialog: Srf.Dialog,
    readonly leg: MediaLeg | undefined,
    proxy?: string,
    private readonly stopRelay?: () => void,
    keepalive?: KeepaliveOptions,
  ) {
    super(dialog, proxy, undefined, keepalive);
    dialog.on('refer', this.onReferReq);
  }

  onRefer(fn: (target: string) => void): () => void {
    this.referFns.add(fn);
    return () => {
      this.referFns.delete(fn);
    };
  }

  override async hangup(): Promise<void> {
    this.stopRelay?.();
    this.dialog.off('refer', this.onReferReq);
    await super.hangup();
  }
}
