/**
 * The serving plugin of `tributary run` (docs/serving.md, docs/jobs.md): gives Services
 * (`serving.knative.dev/v1` and `v1`) their addresses, runs command Services as scaled local
 * processes, and runs JobSink jobs. Addresses are registered in `register` (before Triggers
 * resolve their subscribers); processes start in `start`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PluginContext, RuntimePlugin, SendOutcome } from '@tributary/broker';
import type { CloudEvent } from '@tributary/core';
import { JobQueueFullError } from './errors.js';
import { JobRunner } from './jobs/job-runner.js';
import { JobSlots } from './jobs/job-slots.js';
import { type AcceptResult, jobLocation, registerJobSinkRoutes } from './jobs/jobsink-routes.js';
import { type ServingMetrics, createServingMetrics } from './metrics.js';
import { SINKS_V1ALPHA1 } from './resources.js';
import {
  type RunningPool,
  containerEnvValues,
  registerServices,
} from './services/service-addresses.js';

/** Options of {@link createServingPlugin}. */
export interface ServingPluginOptions {
  /** Environment for secretKeyRef fallbacks. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Job processes running at once, over every JobSink. @default 4 */
  readonly maxRunningJobs?: number;
  /** Jobs waiting for a slot before JobSinks answer 503. @default 1000 */
  readonly maxQueuedJobs?: number;
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

export function createServingPlugin(options: ServingPluginOptions = {}): RuntimePlugin {
  const pools: RunningPool[] = [];
  const runners = new Map<string, JobRunner>();
  const slots = new JobSlots(options.maxRunningJobs ?? 4);
  const maxQueued = options.maxQueuedJobs ?? 1_000;
  let jobDir: string | undefined;
  let metrics: ServingMetrics | undefined;

  const accept = (ns: string, name: string, event: CloudEvent): AcceptResult => {
    const runner = runners.get(`${ns}/${name}`);
    if (!runner) return { status: 404, error: `JobSink '${ns}/${name}' not found` };
    const queued = [...runners.values()].reduce((n, r) => n + r.counts().queued, 0);
    if (queued >= maxQueued) {
      const err = new JobQueueFullError(
        `JobSink '${ns}/${name}': ${queued} jobs are waiting for a slot (cap ${slots.max} running); retry later`,
      );
      return { status: 503, error: err.message };
    }
    const { job } = runner.accept(event);
    return { status: 202, job, location: jobLocation(job) };
  };

  function registerJobSinks(ctx: PluginContext): void {
    for (const js of ctx.topology.byKind('JobSink')) {
      const { namespace, name } = js.metadata;
      const logger = ctx.logger.child({ jobsink: `JobSink/${namespace}/${name}` });
      const container = js.spec.job.spec.template.spec.containers[0]!;
      let env: Record<string, string>;
      try {
        env = containerEnvValues(ctx, namespace, container, options.env);
      } catch (err) {
        const message = (err as Error).message;
        ctx.statuses.set('JobSink', namespace, name, false, 'SecretMissing', message);
        ctx.registerAddressable(SINKS_V1ALPHA1, 'JobSink', namespace, name, { error: message });
        continue;
      }
      jobDir ??= mkdtempSync(path.join(tmpdir(), 'tributary-jobs-'));
      const runner = new JobRunner({
        sink: js,
        env,
        dir: jobDir,
        slots,
        logger,
        onFinished: (j) =>
          metrics?.jobFinished(
            j.namespace,
            j.jobsink,
            j.status === 'Complete' ? 'Complete' : 'Failed',
          ),
      });
      runners.set(`${namespace}/${name}`, runner);
      const target = {
        get url() {
          return `${ctx.baseUrl}/${namespace}/jobsinks/${name}`;
        },
        async send(event: CloudEvent): Promise<SendOutcome> {
          const r = accept(namespace, name, event);
          if (r.status === 202)
            return {
              kind: 'response',
              status: 202,
              headers: { location: r.location },
              body: new Uint8Array(),
            };
          return { kind: 'response', status: r.status, headers: {}, body: utf8(r.error) };
        },
      };
      ctx.registerAddressable(SINKS_V1ALPHA1, 'JobSink', namespace, name, {
        target: () => target,
      });
    }
  }

  return {
    name: 'serving',
    register(ctx) {
      metrics = createServingMetrics(
        ctx.metricsRegistry,
        () =>
          pools.map((p) => ({
            namespace: p.namespace,
            service: p.service,
            processes: p.pool.size,
            ready: p.pool.ready,
          })),
        () =>
          [...runners.values()].map((r) => ({
            namespace: r.namespace,
            jobsink: r.name,
            ...r.counts(),
          })),
      );
      registerServices(ctx, { env: options.env, pools, metrics });
      registerJobSinks(ctx);
      registerJobSinkRoutes(ctx.server, {
        runner: (ns, name) => runners.get(`${ns}/${name}`),
        runners: () => [...runners.values()],
        accept,
        logger: ctx.logger.child({ component: 'jobsink' }),
      });
    },

    async start(ctx) {
      for (const r of runners.values())
        ctx.statuses.set(
          'JobSink',
          r.namespace,
          r.name,
          true,
          'Ready',
          `POST ${ctx.baseUrl}/${r.namespace}/jobsinks/${r.name}; at most ${slots.max} job processes at once`,
        );
      for (const p of pools) await p.pool.start();
    },

    async stop({ drainMs }) {
      const grace = Math.min(drainMs, 5_000);
      await Promise.all([
        ...pools.map((p) => p.pool.stop(grace)),
        ...[...runners.values()].map((r) => r.stop()),
      ]);
      if (jobDir) rmSync(jobDir, { recursive: true, force: true });
    },
  };
}
