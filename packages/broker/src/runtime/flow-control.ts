import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Gauge, Counter, type Registry } from '../observability/prom-client.js';
import { type FlowControlSpec, type Logger, type Trigger, flowControlOf } from '@tributary/core';
import { type CircuitState, TriggerFlowGate } from '../dispatcher/flow-gate.js';
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

interface Entry {
  gate: TriggerFlowGate;
  broker: string;
  /** The Ready message of the running trigger (its subscriber). */
  message: string;
}

export class FlowControl {
  readonly #entries = new Map<string, Entry>();
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
      [...this.#entries]
        .filter(([, e]) => pick(e.gate))
        .map(([key, e]) => {
          const [ns, name] = key.split('/') as [string, string];
          return { kn_broker_namespace: ns, kn_broker_name: e.broker, kn_trigger_name: name };
        });
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
        for (const [key, e] of entries) {
          const [ns, name] = key.split('/') as [string, string];
          this.set(
            { kn_broker_namespace: ns, kn_broker_name: e.broker, kn_trigger_name: name },
            e.gate.inFlight,
          );
        }
      },
    });
    this.#rateLimitedWaits = new Counter({
      name: 'tributary_trigger_rate_limited_waits_total',
      help: 'Delivery attempts that waited for a rate-limit token.',
      labelNames,
      registers,
    });
  }

  /** The gate of a Trigger being started (pause override applied). */
  gateFor(t: Trigger, broker: string, logger: Logger): TriggerFlowGate {
    const key = `${t.metadata.namespace}/${t.metadata.name}`;
    const annotated: FlowControlSpec = flowControlOf(t);
    const override = this.#overrides[key];
    const labels = {
      kn_broker_namespace: t.metadata.namespace,
      kn_broker_name: broker,
      kn_trigger_name: t.metadata.name,
    };
    const gate = new TriggerFlowGate(
      { ...annotated, paused: override?.paused ?? annotated.paused },
      {
        logger,
        onRateLimitedWait: () => this.#rateLimitedWaits.inc(labels),
        onCircuitChange: () => this.#publishStatus(key),
      },
    );
    return gate;
  }

  /** Records the running gate of a Trigger and shows its state in the Trigger's status. */
  started(key: string, broker: string, gate: TriggerFlowGate, message: string): void {
    this.#entries.get(key)?.gate.close();
    this.#entries.set(key, { gate, broker, message });
    this.#publishStatus(key);
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
    const [ns, name] = key.split('/') as [string, string];
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
