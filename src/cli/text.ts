/**
 * Text helpers for the CLI's tables. Widths are found with a loop, never `Math.max(...cells)`: a spread passes
 * every cell as an argument and overflows the call stack on a large table (a 200,000-row forecast).
 */

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
