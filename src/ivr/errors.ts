import { HotlineError } from '../core/errors.js';

/** Errors of the IVR area. Flow problems are not errors but located issues (issues.ts); these are the rest. */
export type FlowErrorCode = 'FLOW_PATH_NOT_FOUND' | 'FLOWS_DIR_NOT_FOUND' | 'FLOW_OUTPUT_UNWRITABLE' | 'FLOW_VALIDATION_FAILED';

export class FlowError extends HotlineError {
  constructor(code: FlowErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
