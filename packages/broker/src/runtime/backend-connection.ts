/**
 * Connects a broker's backend without making anything wait on it (docs/operations.md, "Start
 * and stop"): the first attempt starts at once, later ones follow with capped exponential
 * backoff until the backend answers or the connection is cancelled (broker removed, SIGTERM).
 * While it is not connected the broker answers 503 with `Retry-After` and is not Ready.
 */
import type { Backend } from '@tributary/core';

/** A backend being connected (or connected). */
export interface BackendConnection {
  /** True once `backend.start()` resolved. */
  readonly ready: boolean;
  /** Why the last attempt failed (undefined before the first failure and once connected). */
  readonly lastError: string | undefined;
  /** Seconds until the next attempt (what `Retry-After` says while not connected). */
  readonly retryAfterSeconds: number;
  /**
   * Settles once the first attempt did (connected and `onConnected` done, or failed), or after
   * `firstWaitMs` when the attempt hangs; never rejects.
   */
  readonly firstAttempt: Promise<void>;
  /** Stops retrying (an attempt in flight is left to `backend.close()`). */
  cancel(): void;
}

export interface BackendConnectionOptions {
  /** Runs once connected (start the broker's triggers); awaited by `firstAttempt`. */
  readonly onConnected: () => Promise<void> | void;
  /** Runs after every failed attempt with its error message and number (1, 2, …). */
  readonly onFailed: (message: string, attempt: number, retryInMs: number) => void;
  /** How long `firstAttempt` waits for a hanging first attempt. @default 15000 */
  readonly firstWaitMs?: number;
  /** Delay before the second attempt, doubling up to `maxDelayMs`. @default 1000 */
  readonly initialDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
}

/** Starts connecting `backend`; see {@link BackendConnection}. */
export function connectBackend(backend: Backend, o: BackendConnectionOptions): BackendConnection {
  const initialDelay = o.initialDelayMs ?? 1_000;
  const maxDelay = o.maxDelayMs ?? 30_000;
  let ready = false;
  let cancelled = false;
  let lastError: string | undefined;
  let nextDelay = initialDelay;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const attempt = async (n: number): Promise<boolean> => {
    try {
      await backend.start();
    } catch (err) {
      if (cancelled) return false;
      lastError = (err as Error).message;
      o.onFailed(lastError, n, nextDelay);
      return false;
    }
    if (cancelled) return false;
    ready = true;
    lastError = undefined;
    try {
      await o.onConnected();
    } catch {
      // onConnected reports its own failures (a trigger that cannot subscribe is not Ready)
    }
    return true;
  };

  const loop = async (): Promise<void> => {
    for (let n = 2; !cancelled; n++) {
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, nextDelay);
      });
      if (cancelled) return;
      nextDelay = Math.min(maxDelay, nextDelay * 2);
      if (await attempt(n)) return;
    }
  };

  const first = attempt(1).then(
    (ok) => {
      if (!ok && !cancelled) void loop();
    },
    () => undefined,
  );
  let waitTimer: NodeJS.Timeout | undefined;
  const firstAttempt = Promise.race([
    first,
    new Promise<void>((r) => (waitTimer = setTimeout(r, o.firstWaitMs ?? 15_000))),
  ]).finally(() => clearTimeout(waitTimer));

  return {
    get ready() {
      return ready;
    },
    get lastError() {
      return lastError;
    },
    get retryAfterSeconds() {
      return Math.max(1, Math.min(30, Math.ceil(nextDelay / 1000)));
    },
    firstAttempt,
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      wake?.();
    },
  };
}
