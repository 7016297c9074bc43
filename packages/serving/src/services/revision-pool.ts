/**
 * The processes of one command Service, scaled like a Knative revision (docs/serving.md): from
 * zero on demand, up while the requests in flight exceed `target` per process, down — to zero —
 * once the window saw no traffic. A delivery arriving while no process is ready waits for one
 * (cold start: ready = its PORT accepts connections); it is not failed. A process that exits is
 * restarted with backoff by the supervisor and is not sent to until it is ready again.
 */
import { connect, createServer } from 'node:net';
import type { Agent } from 'undici';
import type { CloudEvent, Logger } from '@tributary/core';
import {
  type DeliveryTarget,
  type SendOptions,
  type SendOutcome,
  createHttpTarget,
} from '@tributary/broker';
import { type SupervisedProcess, superviseProcess } from '../process/process-supervisor.js';
import type { AutoscaleConfig } from './autoscale-config.js';

/** What the pool reports (logs are written by the pool; these feed /metrics). */
export interface PoolObserver {
  scaled(from: number, to: number, reason: string): void;
  coldStart(waitedMs: number): void;
}

export interface RevisionPoolOptions {
  /** `<namespace>/<service>`. */
  readonly label: string;
  readonly namespace: string;
  readonly config: AutoscaleConfig;
  readonly command: readonly string[];
  readonly args?: readonly string[] | undefined;
  /** The container's env plus Knative's K_SERVICE, K_CONFIGURATION, K_REVISION; PORT is added per process. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly agent: Agent;
  readonly logger: Logger;
  readonly observer?: PoolObserver;
  /** Longest wait for a ready process when the delivery has no timeout (revision `timeoutSeconds`). */
  readonly maxWaitMs: number;
  /** Autoscaler tick. @default 1000 */
  readonly tickMs?: number;
}

interface Instance {
  readonly id: number;
  readonly port: number;
  readonly proc: SupervisedProcess;
  ready: boolean;
  inFlight: number;
  stopping: boolean;
  readonly targets: Map<string, DeliveryTarget>;
}

/** A free loopback port (asked from the OS; the process binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

export class RevisionPool {
  readonly #o: RevisionPoolOptions;
  readonly #instances: Instance[] = [];
  #waiters: Array<() => void> = [];
  #samples: number[] = [];
  #lastActive = Date.now();
  /** Last scale-up: nothing scales down until a whole window has passed since (the stable window). */
  #lastScaleUp = Date.now();
  #nextId = 1;
  #tick: NodeJS.Timeout | undefined;
  #closed = false;
  /** Spawns under way (counted in {@link size} so concurrent demand does not start extra ones). */
  #pending = 0;

  constructor(options: RevisionPoolOptions) {
    this.#o = options;
  }

  /** Processes (starting or ready). */
  get size(): number {
    return this.#instances.filter((i) => !i.stopping).length + this.#pending;
  }

  /** Ready processes. */
  get ready(): number {
    return this.#instances.filter((i) => i.ready && !i.stopping).length;
  }

  /** Deliveries in flight plus those waiting for a process. */
  get concurrency(): number {
    return this.#instances.reduce((n, i) => n + i.inFlight, 0) + this.#waiters.length;
  }

  /** Starts `initialScale` processes and the autoscaler. */
  async start(): Promise<void> {
    const { initialScale } = this.#o.config;
    if (initialScale > 0) await this.#scaleTo(initialScale, 'initial-scale');
    this.#tick = setInterval(() => {
      // Fire-and-forget tick: a failed tick is logged here and the next tick tries again.
      void this.#autoscale().catch((err: Error) =>
        this.#o.logger.error(
          { ksvc: this.#o.label, err: err.message },
          `Service ${this.#o.label}: autoscaler failed: ${err.message}`,
        ),
      );
    }, this.#o.tickMs ?? 1_000);
    this.#tick.unref();
  }

  async stop(graceMs: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#tick);
    for (const w of this.#waiters.splice(0)) w();
    await Promise.all(this.#instances.splice(0).map((i) => i.proc.stop(graceMs)));
  }

  /** A delivery target for the ref's relative `uri` (path and query sent to the process). */
  target(relativeUri: string | undefined): DeliveryTarget {
    const path = relativeUri ? new URL(relativeUri, 'http://x/').pathname : '/';
    return {
      url: `service://${this.#o.label}${path}`,
      send: (event, options) => this.#send(event, options, relativeUri),
    };
  }

  async #send(
    event: CloudEvent,
    options: SendOptions,
    relativeUri: string | undefined,
  ): Promise<SendOutcome> {
    const started = Date.now();
    const limit = options.timeoutMs ?? this.#o.maxWaitMs;
    const deadline = started + limit;
    const coldStart = this.ready === 0;
    const instance = await this.#acquire(deadline, options.signal);
    if (!instance)
      return {
        kind: 'error',
        timedOut: !options.signal?.aborted,
        aborted: options.signal?.aborted === true,
        message: this.#closed
          ? `Service ${this.#o.label} is stopping`
          : `no process of Service ${this.#o.label} became ready within ${limit} ms`,
      };
    if (coldStart) this.#o.observer?.coldStart(Date.now() - started);
    try {
      const key = relativeUri ?? '';
      let http = instance.targets.get(key);
      if (!http) {
        const base = `http://127.0.0.1:${instance.port}/`;
        http = createHttpTarget(relativeUri ? new URL(relativeUri, base).toString() : base, {
          agent: this.#o.agent,
          namespace: this.#o.namespace,
        });
        instance.targets.set(key, http);
      }
      const remaining = options.timeoutMs === undefined ? undefined : deadline - Date.now();
      return await http.send(event, {
        ...options,
        timeoutMs: remaining === undefined ? undefined : Math.max(remaining, 1),
      });
    } finally {
      instance.inFlight--;
      this.#lastActive = Date.now();
      this.#wake();
    }
  }

  #pick(): Instance | undefined {
    const limit = this.#o.config.containerConcurrency;
    let best: Instance | undefined;
    for (const i of this.#instances) {
      if (!i.ready || i.stopping || (limit > 0 && i.inFlight >= limit)) continue;
      if (!best || i.inFlight < best.inFlight) best = i;
    }
    return best;
  }

  async #acquire(deadline: number, signal: AbortSignal | undefined): Promise<Instance | undefined> {
    this.#lastActive = Date.now();
    for (;;) {
      if (this.#closed || signal?.aborted) return undefined;
      const inst = this.#pick();
      if (inst) {
        inst.inFlight++;
        this.#scaleForDemand();
        return inst;
      }
      this.#scaleForDemand(1);
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', finish);
          const at = this.#waiters.indexOf(finish);
          if (at !== -1) this.#waiters.splice(at, 1);
          resolve();
        };
        const timer = setTimeout(finish, left);
        signal?.addEventListener('abort', finish, { once: true });
        this.#waiters.push(finish);
      });
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Scales up at once when demand (in flight + waiting + `extra`) exceeds `target` per process. */
  #scaleForDemand(extra = 0): void {
    const { maxScale } = this.#o.config;
    const target = this.#target();
    const size = this.size;
    const want = Math.min(maxScale, Math.max(1, Math.ceil((this.concurrency + extra) / target)));
    if (want > size)
      this.#scaleTo(want, size === 0 ? 'cold start' : 'demand above target').catch((err: Error) =>
        this.#o.logger.error(
          { ksvc: this.#o.label, err: err.message },
          `Service ${this.#o.label}: could not start a process: ${err.message}`,
        ),
      );
  }

  /** The concurrency target per process: `target`, but never above `containerConcurrency`. */
  #target(): number {
    const { target, containerConcurrency } = this.#o.config;
    return containerConcurrency > 0 ? Math.min(target, containerConcurrency) : target;
  }

  /** The autoscaler tick: averages concurrency over the window and scales down when it allows. */
  async #autoscale(): Promise<void> {
    if (this.#closed) return;
    const { windowMs, minScale, retentionMs } = this.#o.config;
    const target = this.#target();
    const tickMs = this.#o.tickMs ?? 1_000;
    this.#samples.push(this.concurrency);
    const keep = Math.max(1, Math.ceil(windowMs / tickMs));
    if (this.#samples.length > keep) this.#samples.splice(0, this.#samples.length - keep);
    const avg = this.#samples.reduce((a, b) => a + b, 0) / this.#samples.length;
    let desired = Math.max(minScale, Math.ceil(avg / target));
    const idleMs = Date.now() - this.#lastActive;
    if (desired === 0 && (this.concurrency > 0 || idleMs < windowMs + retentionMs)) desired = 1;
    const stable = Date.now() - this.#lastScaleUp >= windowMs;
    if (desired < this.size && stable)
      await this.#scaleTo(
        desired,
        desired === 0
          ? `no traffic for ${Math.round(idleMs / 1000)} s (window ${windowMs / 1000} s, retention ${retentionMs / 1000} s)`
          : `average concurrency ${avg.toFixed(2)} over the window, target ${target}`,
      );
  }

  async #scaleTo(wanted: number, reason: string): Promise<void> {
    const from = this.size;
    if (wanted === from || this.#closed) return;
    // Scaling down stops idle processes only (a request in flight is never cut); the next tick
    // takes the rest.
    const idle =
      wanted < from
        ? this.#instances
            .filter((i) => !i.stopping && i.inFlight === 0)
            .sort((a, b) => b.id - a.id)
            .slice(0, from - wanted)
        : [];
    const want = wanted < from ? from - idle.length : wanted;
    if (want === from) return;
    this.#o.logger.info(
      { ksvc: this.#o.label, from, to: want, reason },
      `Service ${this.#o.label}: scaling ${from} → ${want} (${reason})`,
    );
    this.#o.observer?.scaled(from, want, reason);
    if (want > from) {
      this.#lastScaleUp = Date.now();
      this.#pending += want - from;
      for (let k = from; k < want; k++) await this.#spawn();
      return;
    }
    await Promise.all(
      idle.map(async (i) => {
        i.stopping = true;
        i.ready = false;
        await i.proc.stop(5_000);
        const at = this.#instances.indexOf(i);
        if (at !== -1) this.#instances.splice(at, 1);
      }),
    );
  }

  async #spawn(): Promise<void> {
    const id = this.#nextId++;
    let port: number;
    try {
      port = await freePort();
    } finally {
      this.#pending--;
    }
    const label = `${this.#o.label}#${id}`;
    let generation = 0;
    const instance: Instance = {
      id,
      port,
      ready: false,
      inFlight: 0,
      stopping: false,
      targets: new Map(),
      proc: superviseProcess(
        {
          label,
          command: this.#o.command,
          args: this.#o.args,
          env: { ...this.#o.env, PORT: String(port) },
          cwd: this.#o.cwd,
        },
        this.#o.logger,
        {
          onSpawn: () => {
            const mine = ++generation;
            // The first spawn happens inside superviseProcess, before `instance` is assigned.
            queueMicrotask(() => void this.#probe(instance, mine, () => generation));
          },
          onExit: () => {
            generation++;
            instance.ready = false;
          },
        },
      ),
    };
    this.#instances.push(instance);
    if (this.#closed) await instance.proc.stop(1_000);
  }

  /** Marks `instance` ready once its port accepts, unless it exited (a newer generation) first. */
  async #probe(instance: Instance, mine: number, current: () => number): Promise<void> {
    const started = Date.now();
    let delay = 20;
    while (!this.#closed && !instance.stopping && current() === mine) {
      if (await accepts(instance.port)) {
        if (current() !== mine || instance.stopping) return;
        instance.ready = true;
        this.#o.logger.info(
          { ksvc: this.#o.label, port: instance.port, readyInMs: Date.now() - started },
          `Service ${this.#o.label}: process on port ${instance.port} is ready`,
        );
        this.#wake();
        return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  }
}
