import { InvalidInputError } from '../core/errors.js';

/**
 * Input checks shared by every public Erlang function. Each names the offending field, so a CLI flag or a CSV
 * column maps straight to a message the user can act on. NaN fails every check (all comparisons are false).
 */

/** Largest load we accept: beyond this the O(√A) start still works, but no real call centre is that big. */
export const MAX_TRAFFIC_ERLANGS = 1e7;

export function requireFinite(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError(field, `must be a finite number (got ${String(value)})`);
  }
  return value;
}

export function requirePositive(field: string, value: number): number {
  requireFinite(field, value);
  if (!(value > 0)) throw new InvalidInputError(field, `must be greater than 0 (got ${value})`);
  return value;
}

export function requireNonNegative(field: string, value: number): number {
  requireFinite(field, value);
  if (!(value >= 0)) throw new InvalidInputError(field, `must be 0 or more (got ${value})`);
  return value;
}

/** A fraction in [0, 1) — e.g. a service-level target (100 % needs infinitely many agents) or shrinkage. */
export function requireFractionBelowOne(field: string, value: number): number {
  requireFinite(field, value);
  if (!(value >= 0 && value < 1)) throw new InvalidInputError(field, `must be a fraction from 0 up to (not including) 1 (got ${value})`);
  return value;
}

/** A fraction in (0, 1] — e.g. a maximum occupancy. */
export function requireFractionAboveZero(field: string, value: number): number {
  requireFinite(field, value);
  if (!(value > 0 && value <= 1)) throw new InvalidInputError(field, `must be a fraction above 0 and at most 1 (got ${value})`);
  return value;
}

export function requireTraffic(field: string, value: number): number {
  requireNonNegative(field, value);
  if (value > MAX_TRAFFIC_ERLANGS) throw new InvalidInputError(field, `must be at most ${MAX_TRAFFIC_ERLANGS} Erlangs (got ${value})`);
  return value;
}

export function requireWholeAtLeastOne(field: string, value: number): number {
  requireFinite(field, value);
  if (!(Number.isInteger(value) && value >= 1)) throw new InvalidInputError(field, `must be a whole number of at least 1 (got ${value})`);
  return value;
}
