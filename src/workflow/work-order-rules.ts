import { HotlineError, InvalidInputError } from '../core/errors.js';

/**
 * The rules of work orders (工单, hotline standard §7) and complaints (§6), pure: no store, no clock of their own.
 * The service (work-orders.ts) applies them to rows in PostgreSQL.
 */

/** Fields an agent records; `need` and the caller's contact are what §7 asks for on every order. */
export const WORK_ORDER_FIELDS = ['callerName', 'address', 'contactNumber', 'need'] as const;
export type WorkOrderField = (typeof WORK_ORDER_FIELDS)[number];
/** Always required: without them nobody can act on the order or call the caller back. */
export const BASE_FIELDS: readonly WorkOrderField[] = ['callerName', 'contactNumber', 'need'];

export const COMPLAINT = 'complaint';
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const WORK_ORDER_STATUSES = ['open', 'dispatched', 'accepted', 'answered', 'closed'] as const;
export type WorkOrderStatus = (typeof WORK_ORDER_STATUSES)[number];

export interface WorkOrderCategory {
  id: string;
  /** Every field that must be filled for this category (the base fields and the category's own). */
  requires: readonly WorkOrderField[];
}

/** The default of WORK_ORDER_CATEGORIES: a repair needs the address to send someone. */
export const DEFAULT_CATEGORIES = 'repair+address,consultation,help+address,suggestion,complaint';

const CATEGORY_RE = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Categories from configuration: `id[+field...]` separated by commas, e.g. `repair+address,consultation,complaint`.
 * `complaint` is always there (complaints carry the 1-working-day answer deadline), added when the list omits it.
 * Throws InvalidInputError naming the variable and the bad entry.
 */
export function parseCategories(spec: string, name = 'WORK_ORDER_CATEGORIES'): WorkOrderCategory[] {
  const out: WorkOrderCategory[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [id, ...extra] = raw.split('+').map((s) => s.trim());
    if (!id || !CATEGORY_RE.test(id)) throw new InvalidInputError(name, `category ${JSON.stringify(raw)}: the id must be lower-case letters, digits or -, at most 32, starting with a letter`);
    if (out.some((c) => c.id === id)) throw new InvalidInputError(name, `category ${JSON.stringify(id)} is listed twice`);
    for (const f of extra) {
      if (!(WORK_ORDER_FIELDS as readonly string[]).includes(f)) throw new InvalidInputError(name, `category ${JSON.stringify(id)}: unknown field ${JSON.stringify(f)} (fields: ${WORK_ORDER_FIELDS.join(', ')})`);
    }
    out.push({ id, requires: [...new Set([...BASE_FIELDS, ...(extra as WorkOrderField[])])] });
  }
  if (!out.some((c) => c.id === COMPLAINT)) out.push({ id: COMPLAINT, requires: [...BASE_FIELDS] });
  return out;
}

export type WorkOrderFields = Partial<Record<WorkOrderField, string | undefined>>;

/**
 * "As complete as possible" (§7): the first required field that is missing or blank, as the API names it
 * (`body.address`), with the category that requires it. Unknown category: `body.category`.
 */
export function checkComplete(categories: readonly WorkOrderCategory[], category: string, fields: WorkOrderFields): WorkOrderCategory {
  const cat = categories.find((c) => c.id === category);
  if (!cat) throw new InvalidInputError('body.category', `unknown category ${JSON.stringify(category)} (one of ${categories.map((c) => c.id).join(', ')})`);
  for (const f of cat.requires) {
    const v = fields[f];
    if (v === undefined || v.trim() === '') throw new InvalidInputError(`body.${f}`, `required for a ${cat.id} work order`);
  }
  return cat;
}

export type WorkOrderAction = 'dispatch' | 'accept' | 'answer' | 'close';

export class WorkOrderError extends HotlineError {
  constructor(code: 'WORK_ORDER_UNKNOWN' | 'WORK_ORDER_BAD_STATE' | 'COMPLAINT_NOT_SATISFIED' | 'FORBIDDEN', message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export interface OrderState {
  id: string;
  category: string;
  status: WorkOrderStatus;
  answeredAt: number | null;
}

/**
 * Which actions a status allows. Dispatch again while not accepted (a chased order goes to another provider);
 * accept only what is dispatched; answer (and answer again, while the caller is not satisfied) until closed;
 * close anything open, but a complaint only once answered and with the caller satisfied (§6: "tracked until the
 * caller is satisfied").
 */
export function assertAllowed(o: OrderState, action: WorkOrderAction, opts: { callerSatisfied?: boolean | undefined } = {}): void {
  const refuse = (why: string): never => {
    throw new WorkOrderError('WORK_ORDER_BAD_STATE', `work order ${o.id} is ${o.status}: ${why}`, { id: o.id, status: o.status });
  };
  if (o.status === 'closed') refuse(`cannot ${action} a closed work order`);
  switch (action) {
    case 'dispatch':
      if (o.status !== 'open' && o.status !== 'dispatched') refuse('only an open or not yet accepted work order is dispatched');
      return;
    case 'accept':
      if (o.status !== 'dispatched') refuse('only a dispatched work order is accepted');
      return;
    case 'answer':
      return;
    case 'close':
      if (o.category !== COMPLAINT) return;
      if (o.answeredAt === null) refuse('a complaint is answered before it is closed');
      if (opts.callerSatisfied === undefined) throw new InvalidInputError('body.callerSatisfied', 'required when closing a complaint');
      if (!opts.callerSatisfied) {
        throw new WorkOrderError('COMPLAINT_NOT_SATISFIED', `complaint ${o.id} stays open until the caller is satisfied (answer again, then close)`, { id: o.id });
      }
      return;
  }
}
