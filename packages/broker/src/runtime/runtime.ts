import path from 'node:path';
import {
  type Backend,
  type CloudEvent,
  type Logger,
  type Subscription,
  type Topology,
  brokerClassOf,
  compileDelivery,
  configMapData,
  silentLogger,
  triggerConcurrency,
  triggerFilterData,
} from '@tributary/core';
import { RoutingIndex, compileTriggerFilter, type RoutingEntry } from '@tributary/filter';
import { createTriggerDispatcher, type DispatchOutcome } from '../dispatcher/dispatcher.js';
import { createDeliveryAgent } from '../dispatcher/http-target.js';
import { createBrokerIngress } from '../ingress/broker-ingress.js';
import { createHttpServer, type HttpServer } from '../http/http-server.js';
import { memoryBackendProvider } from '../backends/memory/memory-provider.js';
import { BackendRegistry } from './backend-registry.js';
import { DestinationResolver, ingressTarget, type IngressHop } from './destination-resolver.js';
import { StatusBoard } from './resource-status.js';
import type { PluginContext, RuntimePlugin } from './plugin.js';
import { DEFAULT_TRIGGER_CONCURRENCY, brokerTopic, triggerSubscriptionName } from './naming.js';

export interface RuntimeOptions {
  readonly topology: Topology;
  /** Registry of backend providers; defaults to one with the memory backend. */
  readonly backends?: BackendRegistry;
  readonly logger?: Logger;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /** Request body limit in bytes. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Flows, sources and other parts started with the brokers. */
  readonly plugins?: readonly RuntimePlugin[];
  /** Called with every dispatch outcome (metrics, tests). */
  readonly onOutcome?: (o: DispatchOutcome & { trigger: string }) => void;
}

export interface Runtime {
  /** Starts backends, subscriptions and the HTTP server; resolves with the server's base URL. */
  start(): Promise<string>;
  /** Stops accepting, drains what is in flight (bounded by drainMs), closes everything. */
  stop(options?: { drainMs?: number }): Promise<void>;
  /** Publishes events to a broker as its ingress would (TTL, arrival time); resolves with the status. */
  publish(
    namespace: string,
    broker: string,
    events: CloudEvent[],
  ): Promise<{ status: number; error?: string }>;
  readonly statuses: StatusBoard;
  readonly url: string;
}

interface RunningBroker {
  readonly namespace: string;
  readonly name: string;
  readonly backend: Backend;
  readonly topic: string;
}

/** Reconciles a validated Topology into running brokers, triggers and one HTTP server. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const logger = options.logger ?? silentLogger;
  const registry = options.backends ?? new BackendRegistry().register(memoryBackendProvider);
  const topology = options.topology;
  const statuses = new StatusBoard();
  const brokers = new Map<string, RunningBroker>();
  const subscriptions: Subscription[] = [];
  const dispatchers: Array<{ close(): void }> = [];
  const agent = createDeliveryAgent();
  let baseUrl = '';
  const hops = new Map<string, IngressHop>();
  const plugins = options.plugins ?? [];
  const server: HttpServer = createHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8080,
    logger: logger.child({ component: 'http' }),
    maxBodyBytes: options.maxBodyBytes,
    readiness: () => {
      const notReady = statuses.notReady();
      return {
        ready: notReady.length === 0,
        notReady: notReady.map((s) => ({
          resource: `${s.kind}/${s.namespace}/${s.name}`,
          reason: s.reason,
          message: s.message,
        })),
      };
    },
  });

  const ingress = createBrokerIngress({
    lookup: (ns, name) => {
      const b = brokers.get(`${ns}/${name}`);
      return b && { publish: (events: CloudEvent[]) => b.backend.publish(b.topic, events) };
    },
    logger: logger.child({ component: 'ingress' }),
  });

  const hop = (ns: string, name: string): IngressHop => ({
    get url() {
      return `${baseUrl}/${ns}/${name}`;
    },
    ingest: (events) => ingress.ingestEvents(ns, name, events),
  });

  const resolver = new DestinationResolver(
    {
      ingress: (kind, ns, name) =>
        kind === 'broker'
          ? topology.get('Broker', ns, name)
            ? hop(ns, name)
            : undefined
          : hops.get(`${kind}/${ns}/${name}`),
      functionSpec: (ns, name) => {
        const fn = topology.get('Function', ns, name);
        if (!fn) return undefined;
        return { ...fn.spec, baseDir: path.dirname(fn.source.file) };
      },
    },
    agent,
    logger,
  );

  const pluginContext: PluginContext = {
    topology,
    logger,
    statuses,
    backends: registry,
    agent,
    server,
    get baseUrl() {
      return baseUrl;
    },
    registerIngress: (kind, ns, name, h) => {
      hops.set(`${kind}/${ns}/${name}`, h);
    },
    resolve: (dest, ns) => resolver.resolve(dest, ns),
    publishToBroker: (ns, name, events) => ingress.ingestEvents(ns, name, events),
  };

  async function startBrokers(): Promise<void> {
    for (const b of topology.brokers) {
      const { namespace, name } = b.metadata;
      const cls = brokerClassOf(b);
      try {
        const cfg = b.spec.config;
        const config =
          cfg?.kind === 'ConfigMap'
            ? (configMapData(topology, cfg.namespace ?? namespace, cfg.name) ?? {})
            : {};
        const backend = registry.create(cls, config, {
          logger: logger.child({ broker: `${namespace}/${name}` }),
          topology,
          namespace,
          configRef: cfg,
        });
        await backend.start();
        brokers.set(`${namespace}/${name}`, {
          namespace,
          name,
          backend,
          topic: brokerTopic(namespace, name),
        });
        statuses.set('Broker', namespace, name, true, 'Ready', `class ${cls}`);
        logger.info({ broker: name, namespace, class: cls }, 'broker ready');
      } catch (err) {
        statuses.set(
          'Broker',
          namespace,
          name,
          false,
          'BackendUnavailable',
          (err as Error).message,
        );
        logger.error({ broker: name, namespace, err }, 'broker failed to start');
      }
    }
  }

  async function startTriggers(): Promise<void> {
    const routes = new Map<string, RoutingEntry[]>();
    for (const t of topology.triggers) {
      const { namespace, name } = t.metadata;
      const brokerName = t.spec.broker ?? t.spec.brokerRef?.name ?? '';
      const broker = brokers.get(`${namespace}/${brokerName}`);
      if (!broker) {
        const reason = topology.get('Broker', namespace, brokerName)
          ? 'BrokerNotReady'
          : 'BrokerDoesNotExist';
        statuses.set(
          'Trigger',
          namespace,
          name,
          false,
          reason,
          `broker '${namespace}/${brokerName}' ${reason === 'BrokerNotReady' ? 'is not ready' : 'does not exist'}`,
        );
        logger.warn({ trigger: name, namespace, broker: brokerName, reason }, 'trigger not ready');
        continue;
      }
      const brokerRes = topology.get('Broker', namespace, brokerName);
      const delivery = compileDelivery(t.spec.delivery, brokerRes?.spec.delivery);
      const subscriber = await resolver.resolve(t.spec.subscriber, namespace);
      if ('error' in subscriber) {
        statuses.set(
          'Trigger',
          namespace,
          name,
          false,
          'SubscriberResolveFailed',
          subscriber.error,
        );
        logger.warn({ trigger: name, namespace, reason: subscriber.error }, 'trigger not ready');
        continue;
      }
      let deadLetter;
      if (delivery.deadLetterSink) {
        const dls = await resolver.resolve(delivery.deadLetterSink, namespace);
        if ('error' in dls) {
          statuses.set('Trigger', namespace, name, false, 'DeadLetterSinkResolveFailed', dls.error);
          logger.warn({ trigger: name, namespace, reason: dls.error }, 'trigger not ready');
          continue;
        }
        deadLetter = dls.target;
      }
      const filterData = triggerFilterData(t);
      const triggerLog = logger.child({ broker: brokerName, trigger: name, namespace });
      const dispatcher = createTriggerDispatcher({
        name,
        namespace,
        filter: compileTriggerFilter(
          { filter: t.spec.filter, filters: t.spec.filters },
          { filterData },
        ),
        subscriber: subscriber.target,
        reply: ingressTarget(hop(namespace, brokerName)),
        deadLetter,
        policy: delivery,
        logger: triggerLog,
        onOutcome:
          options.onOutcome &&
          ((o) => options.onOutcome?.({ ...o, trigger: `${namespace}/${name}` })),
      });
      dispatchers.push(dispatcher);
      const sub = await broker.backend.subscribe(
        broker.topic,
        triggerSubscriptionName(namespace, name),
        dispatcher.handle,
        {
          ordered: false,
          concurrency: triggerConcurrency(t) ?? DEFAULT_TRIGGER_CONCURRENCY,
        },
      );
      subscriptions.push(sub);
      const entries = routes.get(broker.topic) ?? [];
      entries.push({
        key: triggerSubscriptionName(namespace, name),
        spec: { filter: t.spec.filter, filters: t.spec.filters },
        options: { filterData },
      });
      routes.set(broker.topic, entries);
      statuses.set(
        'Trigger',
        namespace,
        name,
        true,
        'Ready',
        `subscriber ${subscriber.target.url}`,
      );
      triggerLog.info({ subscriber: subscriber.target.url }, 'trigger ready');
    }
    // Brokers whose backend routes at publish get one routing index over their triggers, so an
    // event costs a few map probes instead of one filter evaluation per trigger.
    for (const b of brokers.values()) {
      if (!b.backend.setRouter) continue;
      const index = new RoutingIndex(routes.get(b.topic) ?? []);
      b.backend.setRouter(b.topic, (event) => index.match(event));
    }
  }

  return {
    statuses,
    get url() {
      return baseUrl;
    },
    async start() {
      for (const f of topology.functions)
        statuses.set('Function', f.metadata.namespace, f.metadata.name, true, 'Ready');
      await startBrokers();
      server.route('*', ingress.matches, ingress.handle, { fallback: true });
      for (const p of plugins) await p.register?.(pluginContext);
      baseUrl = await server.listen();
      await startTriggers();
      for (const p of plugins) await p.start?.(pluginContext);
      logger.info(
        { url: baseUrl, brokers: brokers.size, triggers: subscriptions.length },
        'tributary running',
      );
      return baseUrl;
    },
    async stop({ drainMs = 10_000 } = {}) {
      const closing = server.close({ drainMs });
      await Promise.all(plugins.map((p) => p.stop?.({ drainMs })));
      await Promise.all(subscriptions.map((s) => s.close({ drainMs })));
      for (const d of dispatchers) d.close();
      await Promise.all([...brokers.values()].map((b) => b.backend.close({ drainMs })));
      await closing;
      await agent.close();
    },
    publish: (ns, name, events) => ingress.ingestEvents(ns, name, events),
  };
}
