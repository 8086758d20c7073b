import type { ShedReason } from '../call/registry.js';

/**
 * The SIP answer to a caller refused by load shedding: 503 Service Unavailable with Retry-After and a Reason.
 *
 * 503 rather than 480: 480 Temporarily Unavailable says the called party cannot be reached (RFC 3261 §21.4.18),
 * so an upstream proxy or carrier treats the call as answered-busy and does not try elsewhere; 503 says this
 * server is overloaded (§21.5.4), which lets a proxy fail over to another instance (RFC 3263) and is the
 * signal SIP overload control builds on (RFC 7339). Retry-After is always sent: without it a 503 counts as a 500.
 * Kept short (1–5 s, from the controller's state) because an upstream may stop sending this server any call for
 * that long, not just this caller.
 */
export function shedResponse(refusal: { reason: ShedReason; retryAfterSec: number }): { status: 503; headers: Record<string, string> } {
  return {
    status: 503,
    headers: {
      'Retry-After': String(Math.max(1, Math.round(refusal.retryAfterSec))),
      Reason: `SIP;cause=503;text="${refusal.reason}"`,
    },
  };
}
