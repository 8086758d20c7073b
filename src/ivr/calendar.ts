import type { Issue } from './issues.js';
import type { Path, SourceFile } from './source.js';

/**
 * Business-hours calendars: a weekly pattern per season (the standard's spring/summer and winter hours), holidays
 * that close the line and make-up working days (调休) that open it on a weekend, evaluated in the calendar's
 * time zone with Intl so no tz database package is needed.
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type HoursStatus = 'open' | 'break' | 'closed' | 'holiday';

export interface DayHours {
  /** Minutes from local midnight. */
  open: number;
  close: number;
  breaks: { from: number; to: number }[];
}

export interface Season {
  name: string;
  /** Month*100+day, inclusive; a season may wrap the new year (winter: 1001..0430). */
  from: number;
  to: number;
  week: Partial<Record<Weekday, DayHours>>;
}

export interface Calendar {
  id: string;
  timezone: string;
  seasons: Season[];
  /** Local dates `YYYY-MM-DD`. */
  holidays: Map<string, string>;
  /** Make-up working day → the weekday whose hours apply. */
  workdays: Map<string, Weekday>;
}

interface DayFile { open?: unknown; breaks?: unknown }
interface SeasonFile { name?: unknown; from?: unknown; to?: unknown; weekly?: Record<string, unknown> }
interface CalendarFile {
  id: string;
  timezone: string;
  seasons: SeasonFile[];
  holidays?: { date: string; to?: string; name?: string }[];
  workdays?: { date: string; as?: string; name?: string }[];
}

export const calendarSchema = {
  $id: 'calendar',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'timezone', 'seasons'],
  properties: {
    $schema: { type: 'string' },
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    name: { type: 'string' },
    timezone: { type: 'string', description: 'IANA time zone, e.g. Asia/Shanghai' },
    seasons: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'from', 'to', 'weekly'],
        properties: {
          name: { type: 'string' },
          from: { type: 'string', description: 'MM-DD, inclusive' },
          to: { type: 'string', description: 'MM-DD, inclusive' },
          weekly: {
            type: 'object',
            additionalProperties: false,
            description: '`weekdays` (mon-fri) and `weekend` are shorthands; a named day overrides them',
            properties: Object.fromEntries(
              [...WEEKDAYS, 'weekdays', 'weekend'].map((d) => [
                d,
                {
                  oneOf: [
                    { const: 'closed' },
                    {
                      type: 'object',
                      additionalProperties: false,
                      required: ['open'],
                      properties: {
                        open: { type: 'string', description: 'HH:MM-HH:MM' },
                        breaks: { type: 'array', items: { type: 'string', description: 'HH:MM-HH:MM' } },
                      },
                    },
                  ],
                },
              ]),
            ),
          },
        },
      },
    },
    holidays: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['date'],
        properties: { date: { type: 'string' }, to: { type: 'string' }, name: { type: 'string' } },
      },
    },
    workdays: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['date'],
        properties: { date: { type: 'string' }, as: { enum: [...WEEKDAYS] }, name: { type: 'string' } },
      },
    },
  },
} as const;

const TIME = /^(\d{2}):(\d{2})$/;

function parseTime(s: string): number | string {
  const m = TIME.exec(s.trim());
  if (!m) return 'expected HH:MM';
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return `${s.trim()} is not a time of day`;
  return h * 60 + min;
}

function parseRange(s: string): { from: number; to: number } | string {
  const parts = s.split('-');
  if (parts.length !== 2) return 'expected HH:MM-HH:MM';
  const from = parseTime(parts[0]!);
  if (typeof from === 'string') return from;
  const to = parseTime(parts[1]!);
  if (typeof to === 'string') return to;
  if (from >= to) return 'the end is not after the start';
  return { from, to };
}

function parseMonthDay(s: string): number | undefined {
  const m = /^(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const mo = Number(m[1]);
  const d = Number(m[2]);
  const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > days[mo - 1]!) return undefined;
  return mo * 100 + d;
}

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * Build a calendar from schema-valid data, reporting bad times and dates (rule `calendar-time`) at their place.
 * Returns undefined when any error was found.
 */
export function compileCalendar(src: SourceFile, data: CalendarFile, issues: Issue[]): Calendar | undefined {
  const before = issues.length;
  const who = `calendar "${data.id}"`;
  const bad = (path: Path, field: string, msg: string): void => {
    issues.push(src.issue(path, 'error', 'calendar-time', `${who} field "${field}": ${msg}`));
  };
  if (!validTimezone(data.timezone)) bad(['timezone'], 'timezone', `unknown time zone "${data.timezone}"`);
  const seasons: Season[] = [];
  data.seasons.forEach((s, si) => {
    const from = parseMonthDay(String(s.from));
    const to = parseMonthDay(String(s.to));
    if (from === undefined) bad(['seasons', si, 'from'], `seasons[${si}].from`, `invalid date "${String(s.from)}" (expected MM-DD)`);
    if (to === undefined) bad(['seasons', si, 'to'], `seasons[${si}].to`, `invalid date "${String(s.to)}" (expected MM-DD)`);
    const week: Partial<Record<Weekday, DayHours>> = {};
    const weekly = s.weekly ?? {};
    const expand: Record<string, Weekday[]> = { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], weekend: ['sat', 'sun'] };
    for (const key of ['weekdays', 'weekend', ...WEEKDAYS]) {
      const v = weekly[key];
      if (v === undefined) continue;
      const days = expand[key] ?? [key as Weekday];
      if (v === 'closed') {
        for (const d of days) delete week[d];
        continue;
      }
      const day = v as DayFile;
      const field = `seasons[${si}].weekly.${key}`;
      const open = parseRange(String(day.open));
      if (typeof open === 'string') {
        bad(['seasons', si, 'weekly', key, 'open'], `${field}.open`, `invalid time range "${String(day.open)}": ${open}`);
        continue;
      }
      const breaks: { from: number; to: number }[] = [];
      const list = Array.isArray(day.breaks) ? (day.breaks as unknown[]) : [];
      list.forEach((b, bi) => {
        const r = parseRange(String(b));
        const path = ['seasons', si, 'weekly', key, 'breaks', bi];
        if (typeof r === 'string') bad(path, `${field}.breaks[${bi}]`, `invalid time range "${String(b)}": ${r}`);
        else if (r.from < open.from || r.to > open.to) bad(path, `${field}.breaks[${bi}]`, `break "${String(b)}" is outside the opening hours "${String(day.open)}"`);
        else breaks.push(r);
      });
      for (const d of days) week[d] = { open: open.from, close: open.to, breaks };
    }
    if (from !== undefined && to !== undefined) seasons.push({ name: String(s.name), from, to, week });
  });
  const holidays = new Map<string, string>();
  (data.holidays ?? []).forEach((h, i) => {
    if (!validDate(h.date)) return bad(['holidays', i, 'date'], `holidays[${i}].date`, `invalid date "${h.date}" (expected YYYY-MM-DD)`);
    if (h.to !== undefined && (!validDate(h.to) || h.to < h.date)) return bad(['holidays', i, 'to'], `holidays[${i}].to`, `invalid end date "${h.to}"`);
    for (let d = h.date; d <= (h.to ?? h.date); d = addDays(d, 1)) holidays.set(d, h.name ?? 'holiday');
  });
  const workdays = new Map<string, Weekday>();
  (data.workdays ?? []).forEach((w, i) => {
    if (!validDate(w.date)) return bad(['workdays', i, 'date'], `workdays[${i}].date`, `invalid date "${w.date}" (expected YYYY-MM-DD)`);
    workdays.set(w.date, (w.as as Weekday | undefined) ?? 'mon');
  });
  if (issues.length > before) return undefined;
  return { id: data.id, timezone: data.timezone, seasons, holidays, workdays };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local calendar date, weekday and minute of day of `ms` in `tz`. */
export function localTime(ms: number, tz: string): { date: string; weekday: Weekday; minute: number; monthDay: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  const weekday = (p.weekday ?? 'Sun').slice(0, 3).toLowerCase() as Weekday;
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday,
    minute: Number(p.hour) * 60 + Number(p.minute),
    monthDay: Number(p.month) * 100 + Number(p.day),
  };
}

function inSeason(s: Season, md: number): boolean {
  return s.from <= s.to ? md >= s.from && md <= s.to : md >= s.from || md <= s.to;
}

/** Whether the line is open at `ms`: holidays win over the weekly pattern, make-up days open a closed day. */
export function hoursStatus(cal: Calendar, ms: number): { status: HoursStatus; season?: string } {
  const t = localTime(ms, cal.timezone);
  if (cal.holidays.has(t.date)) return { status: 'holiday' };
  const season = cal.seasons.find((s) => inSeason(s, t.monthDay));
  if (!season) return { status: 'closed' };
  const day = season.week[cal.workdays.get(t.date) ?? t.weekday];
  if (!day || t.minute < day.open || t.minute >= day.close) return { status: 'closed', season: season.name };
  if (day.breaks.some((b) => t.minute >= b.from && t.minute < b.to)) return { status: 'break', season: season.name };
  return { status: 'open', season: season.name };
}
