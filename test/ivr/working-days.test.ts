import { describe, expect, it } from 'vitest';
import { hoursStatus } from '../../src/ivr/calendar.js';
import { addWorkingDays, localToEpoch, nextOpening, NoWorkingDayError, workingHoursOn } from '../../src/ivr/working-days.js';
import { hotlineFlow, shanghai } from './support.js';

// The shipped calendar: National Day 2026-10-01..08 closed, make-up working days Sunday 09-27 (as mon) and
// Saturday 10-10 (as fri); winter hours (close 17:30) from 10-01, spring-summer (close 18:00) before.
describe('working-day deadlines (hotline standard §3, §6)', () => {
  it.each([
    // A return visit within 1 working day of a call at 10:00 on Monday: close of Tuesday.
    ['2026-06-01', '10:00', 1, '2026-06-02', '18:00'],
    // Friday evening: the weekend does not count.
    ['2026-06-05', '17:55', 1, '2026-06-08', '18:00'],
    // After-hours request on the Friday before National Day, 5 working days: the make-up Sunday 09-27 is day 1,
    // Mon–Wed days 2–4, the holiday week is skipped, Friday 10-09 is day 5 (winter hours by then).
    ['2026-09-25', '20:00', 5, '2026-10-09', '17:30'],
    // The day before the holiday week, 1 working day: the holiday is skipped entirely.
    ['2026-09-30', '16:50', 1, '2026-10-09', '17:30'],
    // Friday 10-09, 1 working day: the make-up Saturday 10-10 (hours of a Friday) is honoured.
    ['2026-10-09', '16:00', 1, '2026-10-10', '17:30'],
  ])('%s %s + %d working day(s) → %s %s', async (date, time, n, dueDate, dueTime) => {
    const cal = (await hotlineFlow()).calendar!;
    expect(new Date(addWorkingDays(cal, shanghai(date, time), n)).toISOString()).toBe(new Date(shanghai(dueDate, dueTime)).toISOString());
  });

  it('refuses a count that is not a whole number of days ≥ 1', async () => {
    const cal = (await hotlineFlow()).calendar!;
    expect(() => addWorkingDays(cal, shanghai('2026-06-01', '10:00'), 0)).toThrow(RangeError);
    expect(() => addWorkingDays(cal, shanghai('2026-06-01', '10:00'), 1.5)).toThrow(RangeError);
  });

  it('says so when the calendar never opens', async () => {
    const cal = (await hotlineFlow()).calendar!;
    const closed = { ...cal, seasons: [] };
    expect(() => addWorkingDays(closed, shanghai('2026-06-01', '10:00'), 1)).toThrow(NoWorkingDayError);
    expect(() => nextOpening(closed, shanghai('2026-06-01', '10:00'))).toThrow(NoWorkingDayError);
  });

  it('knows the hours of holidays, weekends and make-up days', async () => {
    const cal = (await hotlineFlow()).calendar!;
    expect(workingHoursOn(cal, '2026-10-02')).toBeUndefined();
    expect(workingHoursOn(cal, '2026-06-06')).toBeUndefined();
    expect(workingHoursOn(cal, '2026-10-10')).toMatchObject({ open: 9 * 60, close: 17 * 60 + 30 });
  });

  it.each([
    ['2026-06-01', '10:00', '2026-06-01', '10:00'], // open now
    ['2026-06-01', '12:10', '2026-06-01', '13:30'], // lunch: after the break
    ['2026-06-01', '19:00', '2026-06-02', '09:00'], // evening: next morning
    ['2026-06-05', '18:30', '2026-06-08', '09:00'], // Friday evening: Monday
    ['2026-09-30', '18:30', '2026-10-09', '09:00'], // before the holiday week
  ])('next opening after %s %s is %s %s', async (date, time, d2, t2) => {
    const cal = (await hotlineFlow()).calendar!;
    const at = nextOpening(cal, shanghai(date, time));
    expect(at).toBe(shanghai(d2, t2));
    expect(hoursStatus(cal, at).status).toBe('open');
  });

  it('converts local times in the calendar time zone, not the server one', () => {
    expect(localToEpoch('2026-01-05', 9 * 60 + 30, 'Asia/Shanghai')).toBe(Date.UTC(2026, 0, 5, 1, 30));
    expect(localToEpoch('2026-07-01', 9 * 60, 'Europe/London')).toBe(Date.UTC(2026, 6, 1, 8, 0));
    expect(localToEpoch('2026-01-05', 9 * 60, 'Europe/London')).toBe(Date.UTC(2026, 0, 5, 9, 0));
  });
});
