import { type Calendar, type DayHours, localTime, WEEKDAYS } from './calendar.js';

/**
 * Working-day deadlines on the hotline's calendar (standard §3 and §6: a return visit or a complaint's answer within 1
 * working day, an after-hours request within 5). Holidays close a day, make-up working days (调休) open a weekend day,
 * exactly as they do for the line's opening hours, so the deadline a caller is told and the hours agents work agree.
 *
 * "Within n working days" of a request means: by the close of business of the n-th working day after the day of the
 * request. A request on Friday evening before a Monday holiday, with a make-up Saturday the week after, counts
 * Tuesday as day 1; a request at 10:00 on a working day counts the next working day as day 1 (the same day is never
 * day 1: a return visit "within 1 working day" of a 17:55 call cannot be due five minutes later).
 */

/** The hours that apply on local date `date` (`YYYY-MM-DD`), or undefined when the line is closed all day. */
export function workingHoursOn(cal: Calendar, date: string): DayHours | undefined {
  if (cal.holidays.has(date)) return undefined;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const md = m * 100 + d;
  const season = cal.seasons.find((s) => (s.from <= s.to ? md >= s.from && md <= s.to : md >= s.from || md <= s.to));
  if (!season) return undefined;
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!;
  const hours = season.week[cal.workdays.get(date) ?? weekday];
  return hours && hours.close > hours.open ? hours : undefined;
}

function nextDate(date: string, n = 1): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/**
 * The instant (epoch ms) at which local `date` reaches `minute` minutes after midnight in `tz`. Intl gives only
 * UTC → local, so guess with the offset at the guess and correct once more (enough across a DST change; China has none).
 */
export function localToEpoch(date: string, minute: number, tz: string): number {
  const wanted = Date.parse(`${date}T00:00:00Z`) + minute * 60_000;
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const t = localTime(guess, tz);
    const seen = Date.parse(`${t.date}T00:00:00Z`) + t.minute * 60_000;
    const diff = wanted - seen;
    if (diff === 0) break;
    guess += diff;
  }
  // localTime has minute resolution: keep the seconds of the guess at zero.
  return guess - (guess % 60_000);
}

/** A year of days without one working day means the calendar is closed for good: no deadline can be met. */
const MAX_SCAN_DAYS = 366;

export class NoWorkingDayError extends Error {
  readonly code = 'NO_WORKING_DAY';
  constructor(calendarId: string) {
    super(`calendar "${calendarId}" has no working day in the next ${MAX_SCAN_DAYS} days`);
  }
}

/**
 * The deadline of something due "within `n` working days" of `fromMs`: the closing time of the n-th working day
 * after the local date of `fromMs` (n ≥ 1).
 */
export function addWorkingDays(cal: Calendar, fromMs: number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`working days must be a whole number ≥ 1, got ${n}`);
  let date = localTime(fromMs, cal.timezone).date;
  let left = n;
  for (let i = 0; i < MAX_SCAN_DAYS * Math.max(1, n); i++) {
    date = nextDate(date);
    const hours = workingHoursOn(cal, date);
    if (!hours) continue;
    if (--left === 0) return localToEpoch(date, hours.close, cal.timezone);
  }
  throw new NoWorkingDayError(cal.id);
}

/** The next instant at or after `fromMs` when the line is open (a callback is never dialled while closed). */
export function nextOpening(cal: Calendar, fromMs: number): number {
  let date = localTime(fromMs, cal.timezone).date;
  for (let i = 0; i < MAX_SCAN_DAYS; i++, date = nextDate(date)) {
    const hours = workingHoursOn(cal, date);
    if (!hours) continue;
    // Opening periods of the day: open..close minus breaks, in order.
    const periods: { from: number; to: number }[] = [];
    let at = hours.open;
    for (const b of [...hours.breaks].sort((a, z) => a.from - z.from)) {
      if (b.from > at) periods.push({ from: at, to: b.from });
      at = Math.max(at, b.to);
    }
    if (hours.close > at) periods.push({ from: at, to: hours.close });
    for (const p of periods) {
      const start = localToEpoch(date, p.from, cal.timezone);
      const end = localToEpoch(date, p.to, cal.timezone);
      if (fromMs < end) return Math.max(start, fromMs);
    }
  }
  throw new NoWorkingDayError(cal.id);
}
