/**
 * Runs one container of a ContainerSource as a child process and keeps it running: restarts it
 * with backoff (1 s doubling to 30 s, reset after 10 s of uptime) whenever it exits, and stops it
 * on shutdown (SIGTERM, then SIGKILL after the grace period).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@tributary/core';

export interface ProcessSpec {
  /** For logs: `<ns>/<source>/<container>`. */
  readonly label: string;
  readonly command: readonly string[];
  readonly args?: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export interface SupervisedProcess {
  /** Number of times the process was started. */
  readonly starts: number;
  /** PID of the running process, if any. */
  readonly pid: number | undefined;
  stop(graceMs: number): Promise<void>;
}

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const STABLE_AFTER_MS = 10_000;

/** Starts and supervises `spec` until `stop`. */
export function superviseProcess(spec: ProcessSpec, logger: Logger): SupervisedProcess {
  let child: ChildProcess | undefined;
  let starts = 0;
  let stopping = false;
  let backoff = MIN_BACKOFF_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = (): void => {
    starts++;
    const startedAt = Date.now();
    const [file, ...rest] = spec.command;
    const proc = spawn(file!, [...rest, ...(spec.args ?? [])], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    logger.info(
      { container: spec.label, pid: proc.pid, start: starts },
      `container ${spec.label} started`,
    );
    for (const [stream, readable] of [
      ['stdout', proc.stdout],
      ['stderr', proc.stderr],
    ] as const) {
      createInterface({ input: readable }).on('line', (line) =>
        logger.info({ container: spec.label, stream }, line),
      );
    }
    exited = new Promise<void>((resolve) => {
      let done = false;
      const onExit = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
        if (done) return;
        done = true;
        child = undefined;
        resolve();
        if (stopping) return;
        if (Date.now() - startedAt >= STABLE_AFTER_MS) backoff = MIN_BACKOFF_MS;
        const why = err ? `failed to start: ${err.message}` : `exited with ${signal ?? code}`;
        logger.warn(
          { container: spec.label, code, signal, restartInMs: backoff },
          `container ${spec.label} ${why}; restarting in ${backoff} ms`,
        );
        restartTimer = setTimeout(start, backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      };
      proc.once('error', (err) => onExit(null, null, err));
      proc.once('exit', (code, signal) => onExit(code, signal));
    });
  };

  start();
  return {
    get starts() {
      return starts;
    },
    get pid() {
      return child?.pid;
    },
    async stop(graceMs) {
      stopping = true;
      clearTimeout(restartTimer);
      const running = child;
      if (!running) return;
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      logger.info({ container: spec.label }, `container ${spec.label} stopped`);
    },
  };
}
