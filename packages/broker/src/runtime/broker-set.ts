/**
 * The running Brokers of a runtime: each one's backend, built by its provider and connected in the
 * background (docs/operations.md, "Start and stop"); its archive and dead-letter store attached
 * once connected; and the destination the publish path hands its events to.
 */
import {
  type Backend,
  BackendUnavailableError,
  type CloudEvent,
  type Logger,
  type Topology,
  archiveRetentionOf,
  brokerClassOf,
  clientName,
} from '@tributary/core';
import { RoutingIndex, type RoutingEntry } from '@tributary/filter';
import type { RoutedArchive } from '../archive/routed-archive.js';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import type { BrokerIngressTarget } from '../ingress/broker-ingress.js';
import { type BackendConnection, connectBackend } from './backend-connection.js';
import type { BackendRegistry } from './backend-registry.js';
import { brokerTopic } from './naming.js';
import type { StatusBoard } from './resource-status.js';

export interface RunningBroker {
  readonly namespace: string;
  readonly name: string;
  readonly backend: Backend;
  readonly topic: string;
  /** `tributary.dev/archive-retention` in ms; absent = not archived. */
  readonly retentionMs?: number | undefined;
  /** Connecting in the background; the broker serves (and its triggers start) once ready. */
  connection: BackendConnection;
}

export interface BrokerSetHost {
  topology(): Topology;
  readonly backends: BackendRegistry;
  readonly statuses: StatusBoard;
  readonly logger: Logger;
  readonly archive: RoutedArchive;
  readonly deadLetters: DeadLetterService;
  stopping(): boolean;
  /** The broker's backend connected: start its triggers. */
  ready(broker: RunningBroker): Promise<void>;
}

/** The brokers of one runtime. */
export class BrokerSet {
  readonly #brokers = new Map<string, RunningBroker>();

  constructor(private readonly host: BrokerSetHost) {}

  get size(): number {
    return this.#brokers.size;
  }
  get(key: string): RunningBroker | undefined {
    return this.#brokers.get(key);
  }
  values(): IterableIterator<RunningBroker> {
    return this.#brokers.values();
  }

  /**
   * Where the ingress publishes a broker's events: answers 503 until its backend is connected;
   * archives what the backend accepted (only accepted events are replayable).
   */
  target(namespace: string, name: string): BrokerIngressTarget | undefined {
    const b = this.#brokers.get(`${namespace}/${name}`);
    return (
      b && {
        publish: async (events: CloudEvent[]) => {
          if (!b.connection.ready)
            throw new BackendUnavailableError(
              `broker '${namespace}/${name}' is not ready: ${b.connection.lastError ?? 'connecting to its backend'}`,
              b.connection.retryAfterSeconds,
            );
          await b.backend.publish(b.topic, events);
          if (b.retentionMs !== undefined)
            await this.host.archive.append(`${namespace}/${name}`, events, b.retentionMs);
        },
      }
    );
  }

  /**
   * Creates a broker's backend and connects it in the background; resolves after the first
   * attempt. Until connected the broker answers 503 and is not Ready with the reason.
   */
  async start(b: Topology['brokers'][number]): Promise<void> {
    const { host } = this;
    const { namespace, name } = b.metadata;
    const key = `${namespace}/${name}`;
    const cls = brokerClassOf(b);
    let backend: Backend;
    try {
      backend = host.backends.createFor(cls, {
        logger: host.logger.child({ broker: key }),
        topology: host.topology(),
        namespace,
        configRef: b.spec.config,
        annotations: b.metadata.annotations ?? {},
        clientName: clientName(`broker-${namespace}-${name}`),
      });
    } catch (err) {
      host.statuses.set(
        'Broker',
        namespace,
        name,
        false,
        'BackendUnavailable',
        (err as Error).message,
      );
      host.logger.error({ broker: name, namespace, err }, 'broker failed to start');
      return;
    }
    host.statuses.set(
      'Broker',
      namespace,
      name,
      false,
      'BackendStarting',
      `connecting (class ${cls})`,
    );
    const running = {
      namespace,
      name,
      backend,
      topic: brokerTopic(namespace, name),
      retentionMs: archiveRetentionOf(b),
    } as RunningBroker;
    this.#brokers.set(key, running);
    const current = () => !host.stopping() && this.#brokers.get(key) === running;
    running.connection = connectBackend(backend, {
      onConnected: async () => {
        if (!current()) return;
        if (running.retentionMs !== undefined) {
          const own = backend.archive?.(
            { namespace, name, topic: running.topic },
            running.retentionMs,
          );
          if (own) {
            host.archive.attach(key, own);
            await own
              .open?.()
              .catch((err: Error) =>
                host.logger.warn(
                  { broker: key, err: err.message },
                  'backend archive not ready yet',
                ),
              );
          }
        }
        host.deadLetters.attach({ namespace, name }, backend);
        host.statuses.set(
          'Broker',
          namespace,
          name,
          true,
          'Ready',
          `class ${cls}, backend ${backend.kind}`,
        );
        host.logger.info({ broker: name, namespace, class: cls }, 'broker ready');
        await host.ready(running);
      },
      onFailed: (message, attempt, retryInMs) => {
        if (!current()) return;
        host.statuses.set('Broker', namespace, name, false, 'BackendUnavailable', message);
        const fields = { broker: name, namespace, attempt, retryInMs, err: message };
        if (attempt === 1) host.logger.error(fields, 'broker failed to start');
        else host.logger.warn(fields, 'broker backend still unavailable');
      },
    });
    await running.connection.firstAttempt;
  }

  /** Removes a broker (after its triggers stopped): its store, archive and backend. */
  async remove(key: string, drainMs: number): Promise<void> {
    const b = this.#brokers.get(key);
    b?.connection.cancel();
    this.#brokers.delete(key);
    const [ns, name] = key.split('/') as [string, string];
    this.host.statuses.delete('Broker', ns, name);
    await this.host.deadLetters.detach({ namespace: ns, name });
    await this.host.archive.detach(key);
    await b?.backend.close({ drainMs });
  }

  /**
   * Brokers whose backend routes at publish get one routing index over their subscriptions, so an
   * event costs a few map probes instead of one filter evaluation per trigger.
   */
  setRouting(entriesOf: (b: RunningBroker) => RoutingEntry[]): void {
    for (const b of this.#brokers.values()) {
      if (!b.backend.setRouter) continue;
      const index = new RoutingIndex(entriesOf(b));
      b.backend.setRouter(b.topic, (event) => index.match(event));
    }
  }

  cancelAll(): void {
    for (const b of this.#brokers.values()) b.connection.cancel();
  }

  async closeAll(drainMs: number): Promise<void> {
    await Promise.all([...this.#brokers.values()].map((b) => b.backend.close({ drainMs })));
  }
}
