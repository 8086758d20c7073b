import { AcdError, ACD_ERROR_CODES, type AcdErrorCode } from '../../acd/errors.js';

// Replies that mean "Redis cannot serve right now" rather than "your request was wrong".
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/;

/**
 * Turns what ioredis throws into AcdError: a script's `ACD <CODE>\t<json>\t<message>` keeps its code; connection
 * failures (closed stream, refused, timeouts, retries exhausted) and busy/loading replies become STORE_UNAVAILABLE,
 * so the call session can keep the caller and retry instead of losing the call; any other error reply (a script
 * bug) is STORE_FAILED.
 */
export function toAcdError(e: unknown, op: string): AcdError {
  if (e instanceof AcdError) return e;
  const err = e as { name?: string; message?: string };
  const msg = String(err.message ?? e);
  const m = /ACD ([A-Z_]+)\t(\{[^\t]*\}|\[\])\t([^\n]*)/.exec(msg);
  if (m && (ACD_ERROR_CODES as readonly string[]).includes(m[1]!)) {
    let details: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(m[2]!);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
    } catch {
      // Details are a convenience; the code and message still stand.
    }
    return new AcdError(m[1] as AcdErrorCode, m[3]!.replace(/ script: .*$/, ''), details);
  }
  if (err.name === 'ReplyError' && !UNAVAILABLE_REPLY.test(msg)) {
    return new AcdError('STORE_FAILED', `redis refused ${op}: ${msg}`, { op }, { cause: e });
  }
  return new AcdError('STORE_UNAVAILABLE', `redis unavailable during ${op}: ${msg}`, { op }, { cause: e });
}
