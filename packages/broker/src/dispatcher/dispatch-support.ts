import { setMaxListeners } from 'node:events';
import { type CloudEvent, type Logger, isWellFormed, withAttributes } from '@tributary/core';
import { DispatcherClosedError } from './dispatcher-types.js';

/** Small parts of the dispatcher (dispatcher.ts): its close signal, backoff sleep, log bindings. */

/**
 * The signal every delivery in flight listens on, made at the first delivery: an AbortController
 * with its listener maps retains ~0.45 KB, ~4.4 MiB for 10,000 Triggers that never deliver (heap
 * snapshots of `tributary run`, bench/footprint.mjs).
 */
export class CloseSignal {
  #controller: AbortController | undefined;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      // Every delivery in flight listens on this one signal; the bound is the trigger's concurrency.
      setMaxListeners(0, this.#controller.signal);
      if (this.#closed) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  close(): void {
    this.#closed = true;
    this.#controller?.abort();
  }
}

/**
 * The event with every attribute made encodable (a lone surrogate becomes U+FFFD), so that an event
 * whose delivery failed because it could not be encoded still reaches the dead-letter sink.
 */
export function representable(event: CloudEvent): CloudEvent {
  let changes: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(event.attributes))
    if (!isWellFormed(value)) (changes ??= {})[name] = toWellFormed(value);
  return changes ? withAttributes(event, changes) : event;
}

function toWellFormed(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
}

/** Resolves after `ms`, or rejects with DispatcherClosedError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DispatcherClosedError(name));
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DispatcherClosedError(name));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Adds `{ [kind]: name, namespace }` unless the logger (pino) already carries those bindings. */
export function bindName(logger: Logger, kind: string, name: string, namespace: string): Logger {
  const bindings = (logger as { bindings?: () => Record<string, unknown> }).bindings;
  const have = typeof bindings === 'function' ? bindings.call(logger) : {};
  const add: Record<string, unknown> = {};
  if (!(kind in have)) add[kind] = name;
  if (!('namespace' in have)) add['namespace'] = namespace;
  return Object.keys(add).length > 0 ? logger.child(add) : logger;
}
