import type { NotReadyReason } from '../acd/model.js';

/**
 * Feature codes dialled from a seat: *1 ready, *2 not ready (optionally with a reason digit: *21 break, *22 lunch,
 * *23 training, *24 meeting, *25 leave, *29 other), *0 log out. Pure parsing; AgentService applies them.
 */
export type FeatureAction = { action: 'ready' } | { action: 'not-ready'; reason: NotReadyReason } | { action: 'logout' };

const REASON_DIGITS: Readonly<Record<string, NotReadyReason>> = {
  '1': 'break',
  '2': 'lunch',
  '3': 'training',
  '4': 'meeting',
  '5': 'leave',
  '9': 'other',
};

export function isFeatureCode(dialled: string): boolean {
  return /^\*\d{1,3}$/.test(dialled);
}

/** The action for `dialled`, or undefined when it is not a known code. */
export function parseFeatureCode(dialled: string): FeatureAction | undefined {
  const m = /^\*(\d)(\d?)$/.exec(dialled);
  if (!m) return undefined;
  const [, code, arg] = m;
  if (code === '1' && arg === '') return { action: 'ready' };
  if (code === '0' && arg === '') return { action: 'logout' };
  if (code === '2') {
    if (arg === '') return { action: 'not-ready', reason: 'other' };
    const reason = REASON_DIGITS[arg!];
    return reason ? { action: 'not-ready', reason } : undefined;
  }
  return undefined;
}
