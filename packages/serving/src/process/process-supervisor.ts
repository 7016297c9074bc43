/**
 * Local processes for everything Tributary runs from a container spec (ContainerSource, command
 * Services, JobSink jobs; docs/serving.md): `superviseProcess` keeps one process running and
 * restarts it with backoff (1 s doubling to 30 s, reset after 10 s of uptime) whenever it exits;
 * `runProcess` runs one to completion. Both log every output line and stop with SIGTERM, then
 * SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@tributary/core';

export interface ProcessSpec {
  /** For logs: `<ns>/<owner>/<container>`. */
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

/** Hooks of {@link superviseProcess}. */
export interface SuperviseHooks {
  /** A (re)started process was spawned. */
  onSpawn?(pid: number | undefined): void;
  /** The process exited (or failed to start); a restart follows after `restartInMs` unless stopping. */
  onExit?(exit: { code: number | null; signal: string | null; restartInMs?: number }): void;
  /** Every line the process writes (also logged at info). */
  onLine?(stream: 'stdout' | 'stderr', line: string): void;
}

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const STABLE_AFTER_MS = 10_000;

function spawnLogged(
  spec: ProcessSpec,
  logger: Logger,
  onLine: SuperviseHooks['onLine'],
): ChildProcess {
  const [file, ...rest] = spec.command;
  const proc = spawn(file!, [...rest, ...(spec.args ?? [])], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [stream, readable] of [
    ['stdout', proc.stdout],
    ['stderr', proc.stderr],
  ] as const) {
    createInterface({ input: readable }).on('line', (line) => {
      logger.info({ container: spec.label, stream }, line);
      onLine?.(stream, line);
    });
  }
  return proc;
}

/** Resolves when `proc` exited (or failed to start), once. */
function exitOf(
  proc: ChildProcess,
  event: 'exit' | 'close',
): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (done) return;
      done = true;
      resolve({ code, signal, ...(error ? { error } : {}) });
    };
    proc.once('error', (err) => finish(null, null, err));
    // 'close' also waits for the output streams (every line seen before the exit is reported);
    // 'exit' does not wait for a grandchild that keeps them open.
    proc.once(event, (code: number | null, signal: NodeJS.Signals | null) => finish(code, signal));
  });
}

/** Starts and supervises `spec` until `stop`. */
export function superviseProcess(
  spec: ProcessSpec,
  logger: Logger,
  hooks: SuperviseHooks = {},
): SupervisedProcess {
  let child: ChildProcess | undefined;
  let starts = 0;
  let stopping = false;
  let backoff = MIN_BACKOFF_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let exited: Promise<unknown> = Promise.resolve();

  const start = (): void => {
    starts++;
    const startedAt = Date.now();
    const proc = spawnLogged(spec, logger, hooks.onLine);
    child = proc;
    logger.info(
      { container: spec.label, pid: proc.pid, start: starts },
      `container ${spec.label} started`,
    );
    hooks.onSpawn?.(proc.pid);
    exited = exitOf(proc, 'exit').then(({ code, signal, error }) => {
      child = undefined;
      if (stopping) {
        hooks.onExit?.({ code, signal });
        return;
      }
      if (Date.now() - startedAt >= STABLE_AFTER_MS) backoff = MIN_BACKOFF_MS;
      const why = error ? `failed to start: ${error.message}` : `exited with ${signal ?? code}`;
      logger.warn(
        { container: spec.label, code, signal, restartInMs: backoff },
        `container ${spec.label} ${why}; restarting in ${backoff} ms`,
      );
      hooks.onExit?.({ code, signal, restartInMs: backoff });
      restartTimer = setTimeout(start, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
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

/** How a process run by {@link runProcess} ended. */
export interface ProcessExit {
  /** Exit code, or null when a signal ended it or it never started. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the process could not be started (e.g. the command does not exist). */
  readonly error?: string;
  /** True when `signal` (the caller's) stopped it. */
  readonly killed: boolean;
}

/**
 * Runs `spec` once to completion. Aborting `signal` stops it (SIGTERM, SIGKILL after `graceMs`);
 * the result then has `killed: true`.
 */
export async function runProcess(
  spec: ProcessSpec,
  logger: Logger,
  options: { signal?: AbortSignal; graceMs?: number; onLine?: SuperviseHooks['onLine'] } = {},
): Promise<ProcessExit> {
  const proc = spawnLogged(spec, logger, options.onLine);
  let killed = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    killed = true;
    proc.kill('SIGTERM');
    killTimer = setTimeout(() => proc.kill('SIGKILL'), options.graceMs ?? 5_000);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const { code, signal, error } = await exitOf(proc, 'close');
  clearTimeout(killTimer);
  options.signal?.removeEventListener('abort', onAbort);
  return { code, signal, killed, ...(error ? { error: error.message } : {}) };
}
