/**
 * Runs the jobs of one JobSink (docs/jobs.md): every accepted event becomes a job (deduplicated
 * on source + id) whose pods are local processes of the job's first container, with the event as
 * a structured-mode JSON file at `K_EVENT_PATH` (Knative's mount path `/etc/jobsink-event/event`
 * is replaced by it in command, args and env). `completions`, `parallelism`,
 * `activeDeadlineSeconds` and `backoffLimit` are honoured; exit status 0 is success.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CloudEvent, type Loaded, type Logger, toStructured } from '@tributary/core';
import { runProcess } from '../process/process-supervisor.js';
import type { JobSink } from '../resources.js';
import type { JobSlots } from './job-slots.js';

/** Where Knative mounts the event in the job's pod. */
export const KNATIVE_EVENT_PATH = '/etc/jobsink-event/event';

export type JobStatus = 'Queued' | 'Running' | 'Complete' | 'Failed';

/** One job, as `tributary get jobs` shows it. */
export interface JobRecord {
  readonly name: string;
  readonly namespace: string;
  readonly jobsink: string;
  readonly source: string;
  readonly id: string;
  status: JobStatus;
  /** Why it failed: `BackoffLimitExceeded`, `DeadlineExceeded`, `Stopped`. */
  reason?: string;
  message: string;
  readonly completions: number;
  succeeded: number;
  failed: number;
  active: number;
  /** Exit code (or signal) of every pod, in order of finishing. */
  readonly exits: string[];
  /** The last lines the pods wrote (stdout and stderr). */
  readonly output: string[];
  readonly createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

const OUTPUT_LINES = 100;
const LINE_CHARS = 2_000;
const HISTORY = 1_000;

export interface JobRunnerOptions {
  readonly sink: Loaded<JobSink>;
  /** The container's env (secrets resolved), before the event path is substituted. */
  readonly env: Readonly<Record<string, string>>;
  /** Directory for event files; each job gets a subdirectory, removed when the job ends. */
  readonly dir: string;
  readonly slots: JobSlots;
  readonly logger: Logger;
  readonly onFinished?: (job: JobRecord) => void;
}

export class JobRunner {
  readonly #o: JobRunnerOptions;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #stop = new AbortController();
  readonly #running = new Set<Promise<void>>();

  constructor(options: JobRunnerOptions) {
    this.#o = options;
  }

  get namespace(): string {
    return this.#o.sink.metadata.namespace;
  }
  get name(): string {
    return this.#o.sink.metadata.name;
  }

  /** Jobs, oldest first. */
  list(): JobRecord[] {
    return [...this.#jobs.values()];
  }

  get(name: string): JobRecord | undefined {
    return this.list().find((j) => j.name === name);
  }

  /** Running and queued jobs. */
  counts(): { running: number; queued: number } {
    let running = 0;
    let queued = 0;
    for (const j of this.#jobs.values()) {
      if (j.status === 'Running') running++;
      else if (j.status === 'Queued') queued++;
    }
    return { running, queued };
  }

  /**
   * Accepts an event: the existing job of the same (source, id), or a new one started in the
   * background. The returned job's name locates it.
   */
  accept(event: CloudEvent): { job: JobRecord; created: boolean } {
    const source = event.attributes['source'] ?? '';
    const id = event.attributes['id'] ?? '';
    const key = `${source}\u0000${id}`;
    const existing = this.#jobs.get(key);
    if (existing) return { job: existing, created: false };
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
    const spec = this.#o.sink.spec.job.spec;
    const job: JobRecord = {
      name: `${this.name}-${hash}`,
      namespace: this.namespace,
      jobsink: this.name,
      source,
      id,
      status: 'Queued',
      message: 'waiting for a job slot',
      completions: spec.completions ?? 1,
      succeeded: 0,
      failed: 0,
      active: 0,
      exits: [],
      output: [],
      createdAt: new Date().toISOString(),
    };
    this.#jobs.set(key, job);
    this.#prune();
    const run = this.#run(job, event).catch((err: Error) => {
      job.status = 'Failed';
      job.reason = 'Error';
      job.message = err.message;
    });
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return { job, created: true };
  }

  /** Stops running pods (SIGTERM, then SIGKILL after 5 s) and waits for them. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#running]);
  }

  #prune(): void {
    if (this.#jobs.size <= HISTORY) return;
    for (const [key, j] of this.#jobs) {
      if (this.#jobs.size <= HISTORY) break;
      if (j.status === 'Complete' || j.status === 'Failed') this.#jobs.delete(key);
    }
  }

  async #run(job: JobRecord, event: CloudEvent): Promise<void> {
    const spec = this.#o.sink.spec.job.spec;
    const container = spec.template.spec.containers[0]!;
    const logger = this.#o.logger.child({ job: `${job.namespace}/${job.name}` });
    const dir = path.join(this.#o.dir, job.namespace, job.name);
    mkdirSync(dir, { recursive: true });
    const eventPath = path.join(dir, 'event');
    writeFileSync(eventPath, JSON.stringify(toStructured(event)));
    const sub = (s: string) => s.split(KNATIVE_EVENT_PATH).join(eventPath);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#o.env)) env[k] = sub(v);
    env['K_EVENT_PATH'] = eventPath;
    const command = container.command.map(sub);
    const args = container.args?.map(sub);
    const cwd = path.resolve(path.dirname(this.#o.sink.source.file), container.workingDir ?? '.');
    const parallelism = Math.max(1, spec.parallelism ?? 1);
    const backoffLimit = spec.backoffLimit ?? 6;
    const deadline = new AbortController();
    const stopAll = AbortSignal.any([deadline.signal, this.#stop.signal]);
    let deadlineTimer: NodeJS.Timeout | undefined;
    let pod = 0;
    const finish = (status: 'Complete' | 'Failed', reason: string | undefined, message: string) => {
      if (job.status === 'Complete' || job.status === 'Failed') return;
      job.status = status;
      job.reason = reason;
      job.message = message;
      job.finishedAt = new Date().toISOString();
      const log = status === 'Complete' ? logger.info.bind(logger) : logger.warn.bind(logger);
      log(
        { status, reason, succeeded: job.succeeded, failed: job.failed, exits: job.exits },
        `job ${job.namespace}/${job.name} ${status}: ${message}`,
      );
      this.#o.onFinished?.(job);
    };

    const runPod = async (): Promise<void> => {
      const release = await this.#o.slots.acquire(stopAll);
      if (!release) return;
      if (!job.startedAt) {
        job.startedAt = new Date().toISOString();
        job.status = 'Running';
        job.message = 'running';
        if (spec.activeDeadlineSeconds !== undefined)
          deadlineTimer = setTimeout(() => deadline.abort(), spec.activeDeadlineSeconds * 1000);
      }
      job.active++;
      const index = ++pod;
      try {
        const exit = await runProcess(
          { label: `${job.namespace}/${job.name}/${index}`, command, args, env, cwd },
          logger,
          {
            signal: stopAll,
            onLine: (stream, line) => {
              job.output.push(`${stream}: ${line.slice(0, LINE_CHARS)}`);
              if (job.output.length > OUTPUT_LINES) job.output.shift();
            },
          },
        );
        job.exits.push(exit.error ? `error: ${exit.error}` : (exit.signal ?? String(exit.code)));
        if (exit.code === 0 && !exit.killed) job.succeeded++;
        else if (!exit.killed) job.failed++;
      } finally {
        job.active--;
        release();
      }
    };

    try {
      let backoffMs = 1_000;
      while (!stopAll.aborted && job.succeeded < job.completions) {
        const wave = Math.min(parallelism, job.completions - job.succeeded);
        const failedBefore = job.failed;
        await Promise.all(Array.from({ length: wave }, () => runPod()));
        if (job.failed > backoffLimit) break;
        if (job.failed > failedBefore && job.succeeded < job.completions && !stopAll.aborted) {
          logger.info(
            { failed: job.failed, backoffLimit, retryInMs: backoffMs },
            `job ${job.namespace}/${job.name}: pod failed; retrying in ${backoffMs} ms`,
          );
          await sleep(backoffMs, stopAll);
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
    } finally {
      clearTimeout(deadlineTimer);
      rmSync(dir, { recursive: true, force: true });
    }
    if (job.succeeded >= job.completions)
      finish('Complete', undefined, `${job.succeeded}/${job.completions} completions`);
    else if (job.failed > backoffLimit)
      finish(
        'Failed',
        'BackoffLimitExceeded',
        `${job.failed} failed pod(s), backoffLimit ${backoffLimit}; exits: ${job.exits.join(', ')}`,
      );
    else if (deadline.signal.aborted)
      finish(
        'Failed',
        'DeadlineExceeded',
        `activeDeadlineSeconds ${spec.activeDeadlineSeconds} elapsed; pods stopped`,
      );
    else finish('Failed', 'Stopped', 'tributary stopped before the job finished');
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
