import type { Logger } from '../core/logger.js';

/** srf's one-re-INVITE-at-a-time gate of a Dialog (lib/dialog.js, `_reinvitesInProgress`; not in its types). */
export interface SrfReinviteGate {
  _reinvitesInProgress?: { count: number; admitOne: (() => void)[] };
}

/**
 * drachtio-srf 5.0.29 lets one re-INVITE per dialog through at a time, but a failure answer (488, 491, 408) to a
 * modify() never gives its turn back (only a 200 OK does): every later modify() of that dialog would wait for ever.
 * Give it back; call once per modify() that was answered with a failure status.
 */
export function freeSrfGate(dialog: SrfReinviteGate, log: Logger): void {
  const gate = dialog._reinvitesInProgress;
  if (!gate || gate.count <= 0) return;
  gate.count--;
  const next = gate.admitOne.shift();
  if (next) setImmediate(next);
  log.debug({ waiting: gate.count }, 're-INVITE refused: srf re-INVITE gate released');
}

/** An outgoing re-INVITE (modify) of this dialog is in progress or waiting: a re-INVITE from the far end now is glare. */
export function srfReinviteInProgress(dialog: SrfReinviteGate): boolean {
  return (dialog._reinvitesInProgress?.count ?? 0) > 0;
}
