import { HotlineError } from '../core/errors.js';

export type PlanErrorCode =
  | 'PLAN_BREAKS_SUSPENDED' // a break (or, at level 2, lunch/training/meeting) asked while the plan is active
  | 'PLAN_LEAVE_REFUSED'; // leave asked while a campaign runs or the plan is active

/** A request the peak-load emergency plan refuses (409 in the API, the failure tone on a seat). */
export class PlanError extends HotlineError {
  declare readonly code: PlanErrorCode;
  constructor(code: PlanErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
