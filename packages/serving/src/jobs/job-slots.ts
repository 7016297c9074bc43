/**
 * The machine-wide cap on job processes (docs/jobs.md): at most `max` pods run at once across
 * every JobSink; the others wait in order.
 */
export class JobSlots {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  get running(): number {
    return this.#running;
  }

  /** Resolves with a release function once a slot is free, or undefined when `signal` aborted first. */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const grant = (): (() => void) => {
      this.#running++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.#running--;
        this.#waiting.shift()?.();
      };
    };
    if (this.#running < this.max) return Promise.resolve(grant());
    return new Promise((resolve) => {
      const onAbort = () => {
        const at = this.#waiting.indexOf(next);
        if (at !== -1) this.#waiting.splice(at, 1);
        resolve(undefined);
      };
      const next = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(grant());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(next);
    });
  }
}
