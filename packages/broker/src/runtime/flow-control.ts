import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Gauge, Counter, type Registry } from '../observability/prom-client.js';
import { type FlowControlSpec, type Logger, type Trigger, flowControlOf } from '@tributary/core';
import { type CircuitState, type FlowGateHooks, TriggerFlowGate } from '../dispatcher/flow-gate.js';
import { HttpError, sendJson } from '../http/http-error.js';
import type { HttpServer } from '../http/http-server.js';
import type { StatusBoard } from './resource-status.js';

/**
 * Flow control of the running Triggers (docs/failed-deliveries.md, "Flow control"): one
 * {@link TriggerFlowGate} per Trigger built from its annotations, the pause/resume overrides set
 * while running (kept across trigger restarts, and across process restarts when a
 * {@link FlowStateStore} is given), the admin routes, the Trigger status `tributary get` shows and
 * the flow-control metrics.
 */

/** Where pause/resume overrides survive a restart (with `--data-dir`: a JSON file there). */
export interface FlowStateStore {
  load(): Record<string, { paused: boolean }>;
  save(state: Record<string, { paused: boolean }>): void;
}

/** A {@link FlowStateStore} in one JSON file, replaced atomically (write, then rename). */
export function flowStateFile(file: string): FlowStateStore {
  return {
    load() {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Record<string, { paused: boolean }>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw err;
      }
    },
    save(state) {
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
    },
  };
}

/**
 * One Trigger's flow-control state here: the hooks of its gate (methods on the prototype) and,
 * once started, its entry in {@link FlowControl}. A hooks object with two closures, their context
 * and a labels object per Trigger, next to the entry, were ~0.3 KB per Trigger (heap snapshots of
 * `tributary run` with 10,000 Triggers, bench/footprint.mjs).
 */
class FlowEntry implements FlowGateHooks {
  declare gate: TriggerFlowGate;
  /** The Ready message of the running trigger (its subscriber). */
  message = '';

  constructor(
    private readonly control: FlowControl,
    readonly key: string,
    readonly namespace: string,
    readonly name: string,
    readonly broker: string,
    readonly logger: Logger,
  ) {}

  get labels(): Record<string, string> {
    return {
      kn_broker_namespace: this.namespace,
      kn_broker_name: this.broker,
      kn_trigger_name: this.name,
    };
  }

  onRateLimitedWait(): void {
    this.control.rateLimitedWait(this);
  }

  onCircuitChange(): void {
    this.control.circuitChanged(this);
  }
}

export class FlowControl {
  readonly #entries = new Map<string, FlowEntry>();
  readonly #overrides: Record<string, { paused: boolean }>;
  readonly #store: FlowStateStore | undefined;
  readonly #statuses: StatusBoard;
  readonly #rateLimitedWaits: Counter;

  constructor(deps: { statuses: StatusBoard; registry: Registry; store?: FlowStateStore }) {
    this.#statuses = deps.statuses;
    this.#store = deps.store;
    this.#overrides = deps.store?.load() ?? {};
    const registers = [deps.registry];
    const labelNames = ['kn_broker_namespace', 'kn_broker_name', 'kn_trigger_name'];
    const rows = (pick: (g: TriggerFlowGate) => boolean) =>
      [...this.#entries.values()].filter((e) => pick(e.gate)).map((e) => e.labels);
    const entries = this.#entries;
    new Gauge({
      name: 'tributary_trigger_paused',
      help: 'Triggers that are paused (1 per paused trigger).',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const l of rows((g) => g.paused)) this.set(l, 1);
      },
    });
    new Gauge({
      name: 'tributary_trigger_circuit_open',
      help: 'Triggers whose circuit breaker is open or half-open (1 per trigger).',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const l of rows((g) => g.circuit !== 'closed')) this.set(l, 1);
      },
    });
    new Gauge({
      name: 'tributary_trigger_deliveries_in_flight',
      help: 'Deliveries in flight to the subscriber of triggers with flow control.',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const e of entries.values()) this.set(e.labels, e.gate.inFlight);
      },
    });
    this.#rateLimitedWaits = new Counter({
      name: 'tributary_trigger_rate_limited_waits_total',
      help: 'Delivery attempts that waited for a rate-limit token.',
      labelNames,
      registers,
    });
  }

  /** The gate of a Trigger being started (pause override applied); `key` is `namespace/name`. */
  gateFor(key: string, t: Trigger, broker: string, logger: Logger): TriggerFlowGate {
    const annotated: FlowControlSpec = flowControlOf(t);
    const paused = this.#overrides[key]?.paused ?? annotated.paused;
    const entry = new FlowEntry(this, key, t.metadata.namespace, t.metadata.name, broker, logger);
    entry.gate = new TriggerFlowGate(
      paused === annotated.paused ? annotated : { ...annotated, paused },
      entry,
    );
    return entry.gate;
  }

  /**
   * Records the running gate of a Trigger (made by {@link gateFor}) and shows its state in the
   * Trigger's status.
   */
  started(gate: TriggerFlowGate, message: string): void {
    const entry = gate.hooks as FlowEntry;
    entry.message = message;
    this.#entries.get(entry.key)?.gate.close();
    this.#entries.set(entry.key, entry);
    this.#publishStatus(entry.key);
  }

  /** @internal The hook of a gate whose attempt waited for a rate-limit token. */
  rateLimitedWait(entry: FlowEntry): void {
    this.#rateLimitedWaits.inc(entry.labels);
  }

  /** @internal The hook of a gate whose circuit changed. */
  circuitChanged(entry: FlowEntry): void {
    this.#publishStatus(entry.key);
  }

  stopped(key: string, gate: TriggerFlowGate): void {
    gate.close();
    if (this.#entries.get(key)?.gate === gate) this.#entries.delete(key);
  }

  /** Forgets a removed Trigger's override. */
  removed(key: string): void {
    if (!(key in this.#overrides)) return;
    delete this.#overrides[key];
    this.#store?.save(this.#overrides);
  }

  /** Pauses or resumes a running Trigger; the override outlives trigger (and, with a store, process) restarts. */
  setPaused(key: string, paused: boolean): void {
    const e = this.#entries.get(key);
    if (!e)
      throw new HttpError(
        404,
        `trigger '${key}' is not running (check \`tributary get triggers\`)`,
      );
    this.#overrides[key] = { paused };
    this.#store?.save(this.#overrides);
    e.gate.setPaused(paused);
    this.#publishStatus(key);
  }

  state(key: string): { paused: boolean; circuit: CircuitState } | undefined {
    const g = this.#entries.get(key)?.gate;
    return g && { paused: g.paused, circuit: g.circuit };
  }

  #publishStatus(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    const { namespace: ns, name } = e;
    const circuit = e.gate.circuit;
    if (e.gate.paused)
      this.#statuses.set(
        'Trigger',
        ns,
        name,
        true,
        'Paused',
        `deliveries held until \`tributary resume trigger ${name} -n ${ns}\`; ${e.message}`,
      );
    else if (circuit !== 'closed')
      this.#statuses.set(
        'Trigger',
        ns,
        name,
        true,
        circuit === 'open' ? 'CircuitOpen' : 'CircuitHalfOpen',
        `circuit ${circuit}: deliveries wait for the cool-down, then one probe; ${e.message}`,
      );
    else this.#statuses.set('Trigger', ns, name, true, 'Ready', e.message);
  }

  /** `POST /admin/v1/triggers/<ns>/<name>/pause` and `/resume`. */
  registerRoutes(server: HttpServer): void {
    server.route(
      'POST',
      /^\/admin\/v1\/triggers\/(?<ns>[^/]+)\/(?<name>[^/]+)\/(?<op>pause|resume)$/,
      (_req, res, ctx) => {
        const key = `${decodeURIComponent(ctx.params['ns']!)}/${decodeURIComponent(ctx.params['name']!)}`;
        this.setPaused(key, ctx.params['op'] === 'pause');
        sendJson(res, 200, { trigger: key, ...this.state(key) });
      },
    );
  }
}
