/**
 * Every error this project raises on purpose carries a stable `code`, so logs, API responses and tests can
 * match on it instead of on wording. Subclass per area (AcdError, FlowError, ...) and add codes, never reuse one
 * for a different meaning.
 */
export class HotlineError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Bad user input (CLI flags, API bodies, numeric arguments): names the offending field. */
export class InvalidInputError extends HotlineError {
  readonly field: string;
  constructor(field: string, message: string, details?: Record<string, unknown>) {
    super('INVALID_INPUT', `${field}: ${message}`, { field, ...details });
    this.field = field;
  }
}

export function isHotlineError(e: unknown): e is HotlineError {
  return e instanceof HotlineError;
}
