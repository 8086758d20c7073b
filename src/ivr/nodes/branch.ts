import { hoursStatus, type HoursStatus } from '../calendar.js';
import type { FlowNode } from '../spec.js';
import { defineNode, nodeRef, type LintFinding } from './types.js';

interface Case { equals?: string; pattern?: string; next: string }

interface BranchNode extends FlowNode {
  on: 'hours' | 'caller' | 'variable';
  /** hours: which calendar (default: the flow's). */
  calendar?: string;
  hours?: Partial<Record<HoursStatus, string>>;
  variable?: string;
  cases?: Case[];
  default?: string;
}

function matches(c: Case, value: string): boolean {
  if (c.equals !== undefined) return value === c.equals;
  return c.pattern !== undefined && new RegExp(c.pattern).test(value);
}

export default defineNode<BranchNode>({
  type: 'branch',
  description: 'Go one way or another on business hours / holidays (a calendar), the caller number or a variable.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'on'],
    properties: {
      type: { const: 'branch' },
      on: { enum: ['hours', 'caller', 'variable'] },
      calendar: { type: 'string' },
      hours: {
        type: 'object',
        additionalProperties: false,
        required: ['open', 'closed'],
        description: '`break` defaults to `closed`, `holiday` to `closed`',
        properties: { open: nodeRef, break: nodeRef, closed: nodeRef, holiday: nodeRef },
      },
      variable: { type: 'string' },
      cases: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['next'],
          properties: { equals: { type: 'string' }, pattern: { type: 'string', description: 'regular expression' }, next: nodeRef },
        },
      },
      default: nodeRef,
    },
  },
  waits: false,
  transitions: (n) => [
    ...Object.entries(n.hours ?? {}).map(([k, target]) => ({ path: ['hours', k], target })),
    ...(n.cases ?? []).map((c, i) => ({ path: ['cases', i, 'next'], target: c.next })),
    ...(n.default ? [{ path: ['default'], target: n.default }] : []),
  ],
  prompts: () => [],
  lint: (n, ctx) => {
    const out: LintFinding[] = [];
    if (n.on === 'hours') {
      if (!n.hours) out.push({ path: [], severity: 'error', rule: 'schema', message: 'on: hours needs the field "hours"' });
      const cal = n.calendar ?? ctx.flowCalendar;
      if (cal === undefined) out.push({ path: ['on'], severity: 'error', rule: 'unknown-calendar', message: 'on: hours needs a calendar (the flow names none)' });
      else if (!ctx.calendarIds.has(cal)) out.push({ path: n.calendar ? ['calendar'] : ['on'], severity: 'error', rule: 'unknown-calendar', message: `calendar "${cal}" does not exist in calendars/` });
    } else {
      if (!n.default) out.push({ path: [], severity: 'error', rule: 'schema', message: `on: ${n.on} needs the field "default"` });
      if (n.on === 'variable' && !n.variable) out.push({ path: [], severity: 'error', rule: 'schema', message: 'on: variable needs the field "variable"' });
      (n.cases ?? []).forEach((c, i) => {
        if ((c.equals === undefined) === (c.pattern === undefined)) out.push({ path: ['cases', i], severity: 'error', rule: 'schema', message: 'a case needs exactly one of "equals" or "pattern"' });
        if (c.pattern !== undefined) {
          try {
            new RegExp(c.pattern);
          } catch {
            out.push({ path: ['cases', i, 'pattern'], severity: 'error', rule: 'schema', message: `invalid regular expression "${c.pattern}"` });
          }
        }
      });
    }
    return out;
  },
  enter: (n, ctx) => {
    if (n.on === 'hours') {
      const cal = n.calendar ? ctx.flow.calendars.get(n.calendar) : ctx.flow.calendar;
      const status = cal ? hoursStatus(cal, ctx.now).status : 'open';
      const h = n.hours ?? {};
      const next = h[status] ?? h.closed ?? h.open;
      return { commands: [], next: next!, vars: { hours: status } };
    }
    const value = n.on === 'caller' ? ctx.state.caller : (ctx.state.vars[n.variable ?? ''] ?? '');
    const hit = (n.cases ?? []).find((c) => matches(c, value));
    return { commands: [], next: (hit?.next ?? n.default)! };
  },
  on: () => undefined,
});
