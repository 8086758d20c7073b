import { isFeatureCode } from '../call/feature-codes.js';

/**
 * What an INVITE asks for, decided from who sent it and the number dialled. Pure, so the security rules (no
 * toll fraud, 404 for numbers no flow serves) are tested without SIP.
 */
export type Route =
  | { kind: 'feature-code'; code: string }
  | { kind: 'hotline'; number: string }
  | { kind: 'seat-to-outside'; number: string }
  | { kind: 'reject'; status: 403 | 404; reason: string };

export interface DialplanInput {
  /** The user part of the Request-URI. */
  dialled: string;
  /** True when the INVITE came from an authenticated seat. */
  fromSeat: boolean;
  /** Numbers some IVR flow serves. */
  isHotlineNumber: (n: string) => boolean;
  /** Seats may call numbers matching this (empty: never — no toll fraud). */
  seatOutboundPattern: RegExp | undefined;
}

export function route(input: DialplanInput): Route {
  const n = input.dialled.trim();
  if (input.isHotlineNumber(n)) return { kind: 'hotline', number: n };
  if (input.fromSeat) {
    if (isFeatureCode(n)) return { kind: 'feature-code', code: n };
    if (input.seatOutboundPattern?.test(n)) return { kind: 'seat-to-outside', number: n };
    return { kind: 'reject', status: 403, reason: 'outside calls are not allowed from seats' };
  }
  return { kind: 'reject', status: 404, reason: 'no flow serves this number' };
}
