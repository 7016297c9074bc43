/**
 * PingSource schedules, parsed as Knative's robfig/cron parser does (docs/knative-behaviour.md §7.3): 5 fields, or 6
 * with leading seconds; `?` as a wildcard; descriptors `@yearly` … `@hourly`; `@every` rejected.
 * The next run times come from `croner` once the expression passed these rules.
 */
import { Cron } from 'croner';
import { ScheduleError } from '../errors.js';

/** Descriptors robfig/cron accepts, as 6-field expressions. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesFrom?: number;
}

const FIELDS: readonly FieldRule[] = [
  { name: 'seconds', min: 0, max: 59 },
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAYS, namesFrom: 0 },
];

/** A validated schedule: the normalised 6-field expression croner runs. */
export interface ParsedSchedule {
  /** What was written. */
  readonly source: string;
  /** Seconds-first 6-field expression (`?` replaced by `*`, descriptors expanded). */
  readonly expression: string;
}

/**
 * Validates and normalises a schedule.
 *
 * @throws ScheduleError (field `schedule`) naming the part that is wrong and the fix
 */
export function parseSchedule(schedule: string): ParsedSchedule {
  const text = schedule.trim();
  const bad = (why: string) =>
    new ScheduleError('schedule', `schedule '${schedule}' is invalid: ${why}`);
  if (text === '') throw bad('it is empty; write e.g. "*/5 * * * *" (every 5 minutes)');
  if (text.startsWith('@')) {
    if (text.startsWith('@every'))
      throw bad(
        '@every is not supported by PingSource; write a cron expression, e.g. "*/10 * * * * *" for every 10 seconds',
      );
    const expanded = DESCRIPTORS[text.toLowerCase()];
    if (!expanded)
      throw bad(`unknown descriptor; use one of ${Object.keys(DESCRIPTORS).join(', ')}`);
    return { source: schedule, expression: expanded };
  }
  if (/^(CRON_)?TZ=/.test(text))
    throw bad('put the timezone in spec.timezone instead of a TZ= prefix');
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    throw bad(
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds, got ${parts.length}`,
    );
  const six = parts.length === 5 ? ['0', ...parts] : parts;
  const normalised = six.map((field, i) => checkField(field, FIELDS[i]!, bad));
  return { source: schedule, expression: normalised.join(' ') };
}

function checkField(field: string, rule: FieldRule, bad: (why: string) => ScheduleError): string {
  const out: string[] = [];
  for (const item of field.split(',')) {
    const [range, step, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '')
      throw bad(`'${item}' in the ${rule.name} field is not a value, range or step`);
    if (step !== undefined && !/^\d+$/.test(step))
      throw bad(`step '${step}' in the ${rule.name} field must be a positive number`);
    if (step !== undefined && Number(step) === 0) throw bad(`step 0 in the ${rule.name} field`);
    if (range === '*' || range === '?') {
      out.push(step === undefined ? '*' : `*/${step}`);
      continue;
    }
    const bounds = range.split('-');
    if (bounds.length > 2) throw bad(`'${range}' in the ${rule.name} field is not a range`);
    const nums = bounds.map((b) => value(b, rule, bad));
    const lo = nums[0]!;
    const hi = nums[1] ?? (step === undefined ? lo : rule.max);
    if (hi < lo) throw bad(`range '${range}' in the ${rule.name} field goes backwards`);
    const base = bounds.length === 2 || step !== undefined ? `${lo}-${hi}` : `${lo}`;
    out.push(step === undefined ? base : `${base}/${step}`);
  }
  return out.join(',');
}

function value(text: string, rule: FieldRule, bad: (why: string) => ScheduleError): number {
  const lower = text.toLowerCase();
  const named = rule.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (rule.namesFrom ?? 0);
  if (!/^\d+$/.test(text))
    throw bad(
      `'${text}' in the ${rule.name} field is not a number${rule.names ? ` or a name (${rule.names.join(', ')})` : ''}`,
    );
  const n = Number(text);
  if (n < rule.min || n > rule.max)
    throw bad(`${n} is out of range for the ${rule.name} field (${rule.min}-${rule.max})`);
  return n;
}

/**
 * Checks an IANA timezone name.
 *
 * @throws ScheduleError (field `timezone`)
 */
export function validateTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    if (timezone.trim() === '') throw new RangeError('empty');
  } catch {
    throw new ScheduleError(
      'timezone',
      `timezone '${timezone}' is not a valid IANA timezone name; write e.g. Europe/Paris, America/New_York or UTC`,
    );
  }
}

/** A croner job for a parsed schedule (paused: for computing run times; pass `run` to schedule). */
export function cronFor(
  schedule: ParsedSchedule,
  timezone: string | undefined,
  run?: () => void,
): Cron {
  const options = {
    timezone,
    mode: '6-part' as const,
    domAndDow: false,
    paused: run === undefined,
  };
  return run ? new Cron(schedule.expression, options, run) : new Cron(schedule.expression, options);
}

/** The next `n` run times strictly after `from` (an injectable clock for tests and status messages). */
export function nextRuns(
  schedule: ParsedSchedule,
  timezone: string | undefined,
  from: Date,
  n = 1,
): Date[] {
  const job = cronFor(schedule, timezone);
  try {
    return job.nextRuns(n, from);
  } finally {
    job.stop();
  }
}
