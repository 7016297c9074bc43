import type { FlowControlSpec, Logger } from '@tributary/core';
import { silentLogger } from '@tributary/core';
import { DispatcherClosedError } from './dispatcher-types.js';

/**
 * The flow-control gate of one Trigger (docs/failed-deliveries.md, "Flow control"): the dispatcher
 * asks it before every attempt to the subscriber and tells it how the attempt went. It holds the
 * attempt while the trigger is paused, while its circuit is open (a half-open circuit lets one
 * probe through), while `max-in-flight` attempts are out, and until the rate limit's token bucket
 * (capacity n, refilled n per period) has a token. A held attempt burns no retry. All state is in
 * this process: with several processes each one applies the limits on its own.
 */

/** How an attempt let through by the gate ended. */
export type AttemptResult = 'ok' | 'failed' | 'aborted';

/** What the dispatcher needs of a gate. */
export interface DeliveryGate {
  /** Resolves when an attempt may start, with the function to call once it ended. */
  acquire(signal: AbortSignal, name: string): Promise<(result: AttemptResult) => void>;
  /**
   * The release function when an attempt may start right now, else undefined (then `acquire`).
   * Lets the common case skip a promise and an await per attempt.
   */
  tryAcquire?(): ((result: AttemptResult) => void) | undefined;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Hooks of a {@link TriggerFlowGate}. */
export interface FlowGateHooks {
  readonly logger?: Logger;
  /** An attempt had to wait for a rate-limit token. */
  readonly onRateLimitedWait?: () => void;
  readonly onCircuitChange?: (state: CircuitState) => void;
}

export class TriggerFlowGate implements DeliveryGate {
  #paused: boolean;
  #inFlight = 0;
  #tokens: number;
  // Set only with a rate limit: Date.now() is a heap number, one per Trigger otherwise.
  #refilledAt: number;
  #circuit: CircuitState = 'closed';
  #failures = 0;
  #openUntil = 0;
  #probing = false;
  // Made when an attempt first has to wait: an idle gate keeps no Set (~0.1 KB per Trigger).
  #waiters: Set<() => void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #spec: FlowControlSpec;
  readonly #hooks: FlowGateHooks;
  readonly #log: Logger;

  constructor(spec: FlowControlSpec, hooks: FlowGateHooks = {}) {
    this.#spec = spec;
    this.#paused = spec.paused;
    this.#tokens = spec.rateLimit?.count ?? 0;
    this.#refilledAt = spec.rateLimit ? Date.now() : 0;
    this.#hooks = hooks;
    this.#log = hooks.logger ?? silentLogger;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Pauses or resumes; resuming lets every held attempt go (subject to the other limits). */
  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    this.#log.info({ paused }, paused ? 'trigger paused' : 'trigger resumed');
    this.#wake();
  }

  get circuit(): CircuitState {
    if (this.#circuit === 'open' && Date.now() >= this.#openUntil) return 'half-open';
    return this.#circuit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get spec(): FlowControlSpec {
    return this.#spec;
  }

  /** The hooks it was made with. */
  get hooks(): FlowGateHooks {
    return this.#hooks;
  }

  async acquire(signal: AbortSignal, name: string): Promise<(result: AttemptResult) => void> {
    for (;;) {
      if (signal.aborted) throw new DispatcherClosedError(name);
      const waitMs = this.#admit();
      if (waitMs === 0) break;
      if (waitMs > 0) this.#hooks.onRateLimitedWait?.();
      await this.#waitChange(signal, name, waitMs);
    }
    return this.#admitted();
  }

  tryAcquire(): ((result: AttemptResult) => void) | undefined {
    return this.#admit() === 0 ? this.#admitted() : undefined;
  }

  /** An attempt was admitted: counts it and returns its release. */
  #admitted(): (result: AttemptResult) => void {
    const probe = this.#circuit === 'half-open';
    if (probe) this.#probing = true;
    this.#inFlight++;
    let done = false;
    return (result) => {
      if (done) return;
      done = true;
      this.#inFlight--;
      if (probe) this.#probing = false;
      this.#record(result, probe);
      this.#wake();
    };
  }

  /** 0 = go (a token taken); > 0 = wait that long for a token; -1 = wait for a change. */
  #admit(): number {
    if (this.#paused) return -1;
    const b = this.#spec.circuitBreaker;
    if (b) {
      if (this.#circuit === 'open') {
        if (Date.now() < this.#openUntil) return -1;
        this.#setCircuit('half-open');
      }
      if (this.#circuit === 'half-open' && (this.#probing || this.#inFlight > 0)) return -1;
    }
    const max = this.#spec.maxInFlight;
    if (max !== undefined && this.#inFlight >= max) return -1;
    const rate = this.#spec.rateLimit;
    if (rate) {
      const now = Date.now();
      this.#tokens = Math.min(
        rate.count,
        this.#tokens + ((now - this.#refilledAt) * rate.count) / rate.perMs,
      );
      this.#refilledAt = now;
      if (this.#tokens < 1)
        return Math.max(1, Math.ceil(((1 - this.#tokens) * rate.perMs) / rate.count));
      this.#tokens -= 1;
    }
    return 0;
  }

  #record(result: AttemptResult, probe: boolean): void {
    const b = this.#spec.circuitBreaker;
    if (!b || result === 'aborted') return;
    if (result === 'ok') {
      this.#failures = 0;
      if (this.#circuit !== 'closed') this.#setCircuit('closed');
      return;
    }
    this.#failures++;
    if (probe || (this.#circuit === 'closed' && this.#failures >= b.failures)) {
      this.#openUntil = Date.now() + b.coolDownMs;
      this.#setCircuit('open');
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#wake(), b.coolDownMs + 1);
      this.#timer.unref();
    }
  }

  #setCircuit(state: CircuitState): void {
    if (state === this.#circuit) return;
    this.#circuit = state;
    const b = this.#spec.circuitBreaker;
    if (state === 'open')
      this.#log.warn(
        { circuit: state, failures: this.#failures, coolDownMs: b?.coolDownMs },
        `circuit opened after ${this.#failures} consecutive failed deliveries; attempts wait ${b?.coolDownMs} ms, then one probe`,
      );
    else this.#log.info({ circuit: state }, `circuit ${state}`);
    this.#hooks.onCircuitChange?.(state);
  }

  #wake(): void {
    if (this.#waiters === undefined || this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  #waitChange(signal: AbortSignal, name: string, timeoutMs: number): Promise<void> {
    const waiters = (this.#waiters ??= new Set());
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(done);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        waiters.delete(done);
        reject(new DispatcherClosedError(name));
      };
      const timer = timeoutMs > 0 ? setTimeout(done, timeoutMs) : undefined;
      waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops the cool-down timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#wake();
  }
}
