import { z } from 'zod';
import { ScheduleError } from '../errors.js';
import { parseSchedule, validateTimezone } from '../ping/schedule.js';
import { sourceDuck, sourceResource } from './common.js';

/** PingSource spec (`sources.knative.dev/v1`, docs/knative-behaviour.md §7.3). */
export const PingSourceSpecSchema = z
  .strictObject({
    schedule: z.string().default('* * * * *'),
    timezone: z.string().optional(),
    contentType: z.string().optional(),
    data: z.string().optional(),
    dataBase64: z.string().optional(),
    ...sourceDuck,
  })
  .superRefine((s, ctx) => {
    const fail = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    try {
      parseSchedule(s.schedule);
    } catch (err) {
      fail('schedule', (err as Error).message);
    }
    if (s.timezone !== undefined) {
      try {
        validateTimezone(s.timezone);
      } catch (err) {
        if (err instanceof ScheduleError) fail('timezone', err.message);
        else throw err;
      }
    }
    if (s.data !== undefined && s.dataBase64 !== undefined) {
      fail('dataBase64', 'data and dataBase64 are mutually exclusive; set only one of them');
      return;
    }
    let bytes: Buffer | undefined;
    if (s.dataBase64 !== undefined) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s.dataBase64) || s.dataBase64.length % 4 !== 0) {
        fail(
          'dataBase64',
          `'${s.dataBase64.slice(0, 40)}' is not valid base64; encode the bytes with base64 or use data`,
        );
        return;
      }
      bytes = Buffer.from(s.dataBase64, 'base64');
    } else if (s.data !== undefined) bytes = Buffer.from(s.data, 'utf8');
    if (bytes && s.contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        fail(
          s.dataBase64 !== undefined ? 'dataBase64' : 'data',
          'with contentType application/json the data must be a JSON object, e.g. {"message": "hello"}',
        );
    }
  });
export const PingSourceSchema = sourceResource(
  'sources.knative.dev/v1',
  'PingSource',
  PingSourceSpecSchema,
);
export type PingSource = z.output<typeof PingSourceSchema>;
