import { describe, expect, it } from 'vitest';
import { ScheduleError } from '../src/errors.js';
import { nextRuns, parseSchedule, validateTimezone } from '../src/ping/schedule.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('PingSource schedule parsing (docs/knative-behaviour.md §7.3)', () => {
  it('accepts 5 fields (seconds = 0) and computes the next minutes', () => {
    const s = parseSchedule('*/15 * * * *');
    expect(s.expression).toBe('0 */15 * * * *');
    expect(iso(nextRuns(s, 'UTC', new Date('2024-01-01T00:07:30Z'), 2))).toEqual([
      '2024-01-01T00:15:00.000Z',
      '2024-01-01T00:30:00.000Z',
    ]);
  });

  it('accepts 6 fields with leading seconds, every second', () => {
    const s = parseSchedule('* * * * * *');
    expect(iso(nextRuns(s, 'UTC', new Date('2024-01-01T00:00:00.500Z'), 3))).toEqual([
      '2024-01-01T00:00:01.000Z',
      '2024-01-01T00:00:02.000Z',
      '2024-01-01T00:00:03.000Z',
    ]);
  });

  it('treats ? as a wildcard (the Bonus check schedule "* * * * ?")', () => {
    const s = parseSchedule('* * * * ?');
    expect(s.expression).toBe('0 * * * * *');
    expect(iso(nextRuns(s, 'UTC', new Date('2024-01-01T00:00:30Z'), 1))).toEqual([
      '2024-01-01T00:01:00.000Z',
    ]);
  });

  it('expands descriptors and applies the timezone', () => {
    const s = parseSchedule('@hourly');
    // Kolkata is UTC+05:30: local full hours fall on UTC half hours.
    expect(iso(nextRuns(s, 'Asia/Kolkata', new Date('2024-01-01T00:10:00Z'), 2))).toEqual([
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T01:30:00.000Z',
    ]);
    expect(parseSchedule('@daily').expression).toBe('0 0 0 * * *');
    expect(parseSchedule('@midnight').expression).toBe('0 0 0 * * *');
    expect(
      iso(nextRuns(parseSchedule('@daily'), 'Europe/Paris', new Date('2024-07-01T12:00:00Z'))),
    ).toEqual(['2024-07-01T22:00:00.000Z']);
  });

  it('accepts month and weekday names; day-of-month OR day-of-week when both are set (cron rule)', () => {
    const s = parseSchedule('0 9 1 * MON');
    expect(iso(nextRuns(s, 'UTC', new Date('2024-01-01T10:00:00Z'), 3))).toEqual([
      '2024-01-08T09:00:00.000Z',
      '2024-01-15T09:00:00.000Z',
      '2024-01-22T09:00:00.000Z',
    ]);
    expect(parseSchedule('0 0 1 jan-mar/2 *').expression).toBe('0 0 0 1 1-3/2 *');
  });

  it.each([
    ['@every 1m', /@every is not supported/],
    ['@often', /unknown descriptor/],
    ['', /empty/],
    ['* * *', /expected 5 fields .* got 3/],
    ['* * * * * * *', /got 7/],
    ['60 * * * *', /60 is out of range for the minutes field \(0-59\)/],
    ['* * * * 7', /7 is out of range for the day of week field/],
    ['L * * * *', /'L' in the minutes field is not a number/],
    ['5-1 * * * *', /goes backwards/],
    ['*/0 * * * *', /step 0/],
    ['TZ=UTC * * * * *', /spec.timezone/],
  ])('rejects %j with a message naming the problem', (schedule, message) => {
    expect(() => parseSchedule(schedule)).toThrow(ScheduleError);
    expect(() => parseSchedule(schedule)).toThrow(message);
  });

  it('validates IANA timezones', () => {
    expect(() => validateTimezone('Europe/Paris')).not.toThrow();
    expect(() => validateTimezone('UTC')).not.toThrow();
    expect(() => validateTimezone('Mars/Olympus')).toThrow(
      /timezone 'Mars\/Olympus' is not a valid IANA timezone/,
    );
  });
});
