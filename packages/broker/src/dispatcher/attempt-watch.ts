/**
 * What watches HTTP attempts in flight (http-attempt.ts): their caller's abort signal and their
 * timeout, shared by every attempt rather than set up per attempt.
 *
 * Per attempt, `signal.addEventListener` / `removeEventListener` (Node's EventTarget) and a
 * `setTimeout` / `clearTimeout` pair took ~1.5 % of the broker's CPU in profiles under
 * bench/hot-path.mjs (~1 µs per event). Here a signal gets one listener for all its attempts, and
 * the attempts of one timeout length wait in one insertion-ordered set behind one timer: a set's
 * deadlines are in insertion order, since they are the same length from a monotonic clock.
 */
import { performance } from 'node:perf_hooks';

/** An attempt as the watch sees it. */
export interface WatchedAttempt {
  /** Its signal aborted. */
  handleEvent(): void;
  /** Its time ran out. */
  expire(): void;
  /** When it times out (`performance.now()` clock); set by {@link watchTimeout}. */
  deadline: number;
}

const bySignal = new WeakMap<AbortSignal, Set<WatchedAttempt>>();

/** Tells `attempt` when `signal` aborts (until {@link unwatchSignal}). */
export function watchSignal(signal: AbortSignal, attempt: WatchedAttempt): void {
  let attempts = bySignal.get(signal);
  if (attempts === undefined) {
    const set = new Set<WatchedAttempt>();
    attempts = set;
    bySignal.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const a of [...set]) a.handleEvent();
        set.clear();
      },
      { once: true },
    );
  }
  attempts.add(attempt);
}

export function unwatchSignal(signal: AbortSignal, attempt: WatchedAttempt): void {
  bySignal.get(signal)?.delete(attempt);
}

/** The attempts of one timeout length, behind one timer armed for the earliest deadline. */
class DeadlineQueue {
  readonly #ms: number;
  readonly #attempts = new Set<WatchedAttempt>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = 0;
  #firing = false;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(attempt: WatchedAttempt): void {
    attempt.deadline = performance.now() + this.#ms;
    this.#attempts.add(attempt);
    if (this.#timer === undefined && !this.#firing) this.#arm(attempt.deadline);
  }

  delete(attempt: WatchedAttempt): void {
    if (!this.#attempts.delete(attempt) || this.#attempts.size > 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(deadline: number): void {
    this.#armedFor = deadline;
    this.#timer = setTimeout(fire, Math.max(0, deadline - performance.now()), this);
  }

  /** Expires every attempt due; the one the timer was armed for is due whatever the clock says. */
  fire(): void {
    this.#timer = undefined;
    const due = Math.max(performance.now(), this.#armedFor);
    // An attempt that expires may start another (a retry): its deadline comes after every other.
    this.#firing = true;
    try {
      for (const a of this.#attempts) {
        if (a.deadline > due) break;
        this.#attempts.delete(a);
        a.expire();
      }
    } finally {
      this.#firing = false;
    }
    const next = this.#attempts.values().next();
    if (!next.done && this.#timer === undefined) this.#arm(next.value.deadline);
  }
}

function fire(q: DeadlineQueue): void {
  q.fire();
}

const queues = new Map<number, DeadlineQueue>();

/** Calls `attempt.expire()` after `ms` unless {@link unwatchTimeout} comes first. */
export function watchTimeout(ms: number, attempt: WatchedAttempt): void {
  let q = queues.get(ms);
  if (q === undefined) queues.set(ms, (q = new DeadlineQueue(ms)));
  q.add(attempt);
}

export function unwatchTimeout(ms: number, attempt: WatchedAttempt): void {
  queues.get(ms)?.delete(attempt);
}
