/**
 * HTTP surface of JobSinks (docs/jobs.md): `POST /<ns>/jobsinks/<name>` accepts an event (202
 * with `Location` of its job; the same answer for a duplicate), `GET` on that location answers
 * like Knative's job-sink (200 Complete, 400 Failed, 202 otherwise, with the job as JSON), and
 * `GET /admin/v1/jobs` lists every job for `tributary get jobs`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent, Logger } from '@tributary/core';
import {
  type HttpServer,
  type RouteContext,
  readCloudEvents,
  sendError,
  sendJson,
} from '@tributary/broker';
import type { JobRecord, JobRunner } from './job-runner.js';

/** Path of the admin API's job list. */
export const ADMIN_JOBS_PATH = '/admin/v1/jobs';

export const JOBSINK_PATH =
  /^\/(?<ns>[^/]+)\/jobsinks\/(?<name>[^/]+)(?:\/jobs\/(?<job>[^/]+))?\/?$/;

/** The answer to one accepted event (also what in-process deliveries get). */
export type AcceptResult =
  | { readonly status: 202; readonly job: JobRecord; readonly location: string }
  | { readonly status: 404 | 503; readonly error: string };

export function jobLocation(job: JobRecord): string {
  return `/${job.namespace}/jobsinks/${job.jobsink}/jobs/${job.name}`;
}

export function registerJobSinkRoutes(
  server: HttpServer,
  deps: {
    readonly runner: (ns: string, name: string) => JobRunner | undefined;
    readonly runners: () => readonly JobRunner[];
    readonly accept: (ns: string, name: string, event: CloudEvent) => AcceptResult;
    readonly logger: Logger;
  },
): void {
  server.route('GET', ADMIN_JOBS_PATH, (_req, res, ctx) => {
    const ns = ctx.query.get('namespace');
    const sink = ctx.query.get('jobsink');
    const name = ctx.query.get('name');
    const items = deps
      .runners()
      .flatMap((r) => r.list())
      .filter(
        (j) =>
          (!ns || j.namespace === ns) &&
          (!sink || j.jobsink === sink) &&
          (!name || j.name === name),
      );
    if (name && items.length === 0) return sendError(res, 404, `job '${name}' not found`);
    sendJson(res, 200, { items });
  });
  server.route(
    '*',
    JOBSINK_PATH,
    async (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => {
      const { ns = '', name = '', job } = ctx.params;
      const method = (req.method ?? '').toUpperCase();
      const runner = deps.runner(ns, name);
      if (!runner) return sendError(res, 404, `JobSink '${ns}/${name}' not found`);
      if (job !== undefined) {
        if (method !== 'GET')
          return sendError(res, 405, `method ${method} is not allowed: GET a job's status`);
        const found = runner.get(job);
        if (!found) return sendError(res, 404, `job '${ns}/${job}' of JobSink '${name}' not found`);
        const status = found.status === 'Complete' ? 200 : found.status === 'Failed' ? 400 : 202;
        res.setHeader('reason', found.status);
        return sendJson(res, status, found);
      }
      if (method !== 'POST')
        return sendError(
          res,
          405,
          `method ${method} is not allowed: POST CloudEvents to a JobSink`,
        );
      const events = await readCloudEvents(req, res, ctx, deps.logger, {
        kind: 'JobSink',
        namespace: ns,
        name,
      });
      if (!events) return;
      let last: AcceptResult | undefined;
      for (const e of events) {
        last = deps.accept(ns, name, e);
        if (last.status !== 202) break;
      }
      if (!last || last.status !== 202)
        return sendError(
          res,
          last?.status ?? 400,
          last && 'error' in last ? last.error : 'no event',
          last?.status === 503 ? { 'retry-after': '1' } : {},
        );
      res.writeHead(202, { location: last.location, 'content-length': '0' });
      res.end();
    },
  );
}
