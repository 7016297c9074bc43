/**
 * The series this package adds to `GET /metrics` (docs/serving.md, docs/jobs.md): processes per
 * command Service, scale decisions, cold starts, and jobs by outcome. Registered into the
 * runtime's registry; a reload's plugin generation replaces the previous one's series.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Processes of one command Service, read at every scrape. */
export interface PoolGauge {
  readonly namespace: string;
  readonly service: string;
  readonly processes: number;
  readonly ready: number;
}

export interface ServingMetrics {
  scaled(namespace: string, service: string, from: number, to: number): void;
  coldStart(namespace: string, service: string, waitedMs: number): void;
  jobFinished(namespace: string, jobsink: string, status: 'Complete' | 'Failed'): void;
}

function replace<T>(registry: Registry, name: string, make: () => T): T {
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  return make();
}

export function createServingMetrics(
  registry: Registry,
  pools: () => readonly PoolGauge[],
  jobs: () => ReadonlyArray<{
    namespace: string;
    jobsink: string;
    running: number;
    queued: number;
  }>,
): ServingMetrics {
  const registers = [registry];
  const svc = ['namespace', 'service'] as const;
  replace(
    registry,
    'tributary_service_processes',
    () =>
      new Gauge({
        name: 'tributary_service_processes',
        help: 'Processes of a command Service (starting or ready), by state.',
        labelNames: [...svc, 'state'],
        registers,
        collect() {
          this.reset();
          for (const p of pools()) {
            this.set({ namespace: p.namespace, service: p.service, state: 'ready' }, p.ready);
            this.set(
              { namespace: p.namespace, service: p.service, state: 'starting' },
              p.processes - p.ready,
            );
          }
        },
      }),
  );
  const scaled = replace(
    registry,
    'tributary_service_scale_decisions_total',
    () =>
      new Counter({
        name: 'tributary_service_scale_decisions_total',
        help: 'Scale decisions of a command Service, by direction (up, down, to_zero).',
        labelNames: [...svc, 'direction'],
        registers,
      }),
  );
  const desired = replace(
    registry,
    'tributary_service_desired_processes',
    () =>
      new Gauge({
        name: 'tributary_service_desired_processes',
        help: 'Processes the autoscaler last decided a command Service should have.',
        labelNames: [...svc],
        registers,
      }),
  );
  const coldStarts = replace(
    registry,
    'tributary_service_cold_starts_total',
    () =>
      new Counter({
        name: 'tributary_service_cold_starts_total',
        help: 'Deliveries that found no ready process and waited for one.',
        labelNames: [...svc],
        registers,
      }),
  );
  const coldWait = replace(
    registry,
    'tributary_service_cold_start_wait_seconds_total',
    () =>
      new Counter({
        name: 'tributary_service_cold_start_wait_seconds_total',
        help: 'Total time deliveries waited for a process to become ready.',
        labelNames: [...svc],
        registers,
      }),
  );
  const finished = replace(
    registry,
    'tributary_jobs_total',
    () =>
      new Counter({
        name: 'tributary_jobs_total',
        help: 'Jobs a JobSink finished, by status (Complete, Failed).',
        labelNames: ['namespace', 'jobsink', 'status'],
        registers,
      }),
  );
  replace(
    registry,
    'tributary_jobs_active',
    () =>
      new Gauge({
        name: 'tributary_jobs_active',
        help: 'Jobs of a JobSink running or queued behind the concurrency cap.',
        labelNames: ['namespace', 'jobsink', 'state'],
        registers,
        collect() {
          this.reset();
          for (const j of jobs()) {
            this.set({ namespace: j.namespace, jobsink: j.jobsink, state: 'running' }, j.running);
            this.set({ namespace: j.namespace, jobsink: j.jobsink, state: 'queued' }, j.queued);
          }
        },
      }),
  );
  return {
    scaled(namespace, service, from, to) {
      const direction = to > from ? 'up' : to === 0 ? 'to_zero' : 'down';
      scaled.inc({ namespace, service, direction });
      desired.set({ namespace, service }, to);
    },
    coldStart(namespace, service, waitedMs) {
      coldStarts.inc({ namespace, service });
      coldWait.inc({ namespace, service }, waitedMs / 1000);
    },
    jobFinished(namespace, jobsink, status) {
      finished.inc({ namespace, jobsink, status });
    },
  };
}
