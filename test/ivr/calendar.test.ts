import { describe, expect, it } from 'vitest';
import { hoursStatus } from '../../src/ivr/calendar.js';
import { hotlineFlow, shanghai } from './support.js';

describe('business-hours calendar (hotline standard §4)', () => {
  it.each([
    // winter: 9:00–17:30, lunch 12:00–13:00
    ['2026-01-05', '08:59', 'closed', 'winter'],
    ['2026-01-05', '09:00', 'open', 'winter'],
    ['2026-01-05', '12:30', 'break', 'winter'],
    ['2026-01-05', '13:00', 'open', 'winter'],
    ['2026-01-05', '13:15', 'open', 'winter'],
    ['2026-01-05', '17:29', 'open', 'winter'],
    ['2026-01-05', '17:30', 'closed', 'winter'],
    ['2026-04-30', '17:45', 'closed', 'winter'],
    // spring/summer: 9:00–18:00, lunch 12:00–13:30
    ['2026-05-01', '13:15', 'break', 'spring-summer'],
    ['2026-07-15', '13:30', 'open', 'spring-summer'],
    ['2026-07-15', '17:45', 'open', 'spring-summer'],
    ['2026-07-15', '18:00', 'closed', 'spring-summer'],
    // weekend, holiday, make-up working day
    ['2026-01-10', '10:00', 'closed', 'winter'],
    ['2026-10-02', '10:00', 'holiday', undefined],
    ['2026-09-27', '10:00', 'open', 'spring-summer'],
    ['2026-10-10', '12:30', 'break', 'winter'],
  ])('%s %s → %s', async (date, time, status, season) => {
    const cal = (await hotlineFlow()).calendar!;
    expect(hoursStatus(cal, shanghai(date, time))).toEqual(season ? { status, season } : { status });
  });

  it('evaluates in the calendar time zone, not the server one', async () => {
    const cal = (await hotlineFlow()).calendar!;
    // 01:30 UTC is 09:30 in Shanghai.
    expect(hoursStatus(cal, Date.UTC(2026, 0, 5, 1, 30)).status).toBe('open');
    expect(hoursStatus({ ...cal, timezone: 'Europe/London' }, Date.UTC(2026, 0, 5, 1, 30)).status).toBe('closed');
  });
});
