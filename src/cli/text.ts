/**
 * Text helpers for the CLI's tables. Widths are found with a loop, never `Math.max(...cells)`: a spread passes
 * every cell as an argument and overflows the call stack on a large table (a 200,000-row forecast).
 */
import { UNDISPLAYABLE_RE } from '../store/pg/validate.js';

/** The widest cell of each column (rows may be ragged; a missing cell counts as empty). */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return widths;
}

const UNDISPLAYABLE_G = new RegExp(UNDISPLAYABLE_RE.source, 'gu');
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text stored before names were checked may hold newlines or terminal escapes: print them as visible escapes
 * (`\x1b`, `\n`, `\u202e`) so a listing can neither break its rows nor drive the terminal. A backslash is
 * doubled only when the text has something to escape, so ordinary names print unchanged.
 */
export function escapeForTerminal(text: string): string {
  if (!UNDISPLAYABLE_RE.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(UNDISPLAYABLE_G, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}
