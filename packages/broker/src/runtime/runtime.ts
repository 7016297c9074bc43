/**
 * A runtime: one HTTP server, the brokers (broker-set.ts) and their triggers (trigger-set.ts) on
 * the one publish and subscribe paths (data-paths.ts), the plugins (plugin-host.ts), and what
 * operators reach through the admin API (dead letters, replay, flow control, the event catalog).
 * This file only composes them; lifecycle.ts applies changes and stops them.
 */
import { silentLogger } from '@tributary/core';
import { MemoryArchive } from '../archive/memory-archive.js';
import { RoutedArchive } from '../archive/routed-archive.js';
import { EventCatalog } from '../catalog/event-catalog.js';
import { DeadLetterMetrics } from '../deadletters/dead-letter-metrics.js';
import { DeadLetterService } from '../deadletters/dead-letter-service.js';
import { createDeliveryAgent } from '../dispatcher/http-target.js';
import { createBrokerIngress } from '../ingress/broker-ingress.js';
import { memoryBackendProvider } from '../backends/memory/memory-provider.js';
import { EventTap } from '../observability/event-tap.js';
import { RuntimeMetrics } from '../observability/metrics.js';
import { TriggerSet } from '../subscriptions/trigger-set.js';
import { BackendRegistry } from './backend-registry.js';
import { BrokerSet } from './broker-set.js';
import { topologyCorrelationKeys } from './correlation-keys.js';
import { createDataPaths } from './data-paths.js';
import { type IngressHop, ingressTarget } from './destination-resolver.js';
import { FlowControl } from './flow-control.js';
import { type RuntimeParts, applyTopology, markFunctions, stopRuntime } from './lifecycle.js';
import { triggerSubscriptionName } from './naming.js';
import { PluginHost } from './plugin-host.js';
import { PluginSubscriptions } from './plugin-subscriptions.js';
import { createReplays, createRuntimeServer, registerRuntimeRoutes } from './runtime-server.js';
import { StatusBoard } from './resource-status.js';
import type { Runtime, RuntimeOptions } from './runtime-types.js';

export type { ApplyReport, Runtime, RuntimeOptions } from './runtime-types.js';

/** Reconciles a validated Topology into running brokers, triggers and one HTTP server. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const logger = options.logger ?? silentLogger;
  const backends = options.backends ?? new BackendRegistry().register(memoryBackendProvider);
  let topology = options.topology;
  let baseUrl = '';
  let applying: Promise<unknown> = Promise.resolve();
  /** Until start() finished, /readyz says so (resources not started yet have no status). */
  let starting = true;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const statuses = new StatusBoard();
  const tap = new EventTap();
  const agent = createDeliveryAgent();
  const metrics = new RuntimeMetrics({
    knownBroker: (ns, name) => topology.get('Broker', ns, name) !== undefined,
    backlogs: () =>
      [...triggers.values()].map((t) => ({
        namespace: t.namespace,
        broker: t.broker.name,
        trigger: t.name,
        waiting: t.broker.backend.backlog?.(
          t.broker.topic,
          triggerSubscriptionName(t.namespace, t.name),
        ),
      })),
  });
  // A backend that keeps an archive itself (Backend.archive) is preferred over the default.
  const archive = new RoutedArchive(options.archive ?? new MemoryArchive());
  const flow = new FlowControl({
    statuses,
    registry: metrics.registry,
    ...(options.flowState ? { store: options.flowState } : {}),
  });
  const deadLetters = new DeadLetterService({
    logger: logger.child({ component: 'dead-letters' }),
    metrics: new DeadLetterMetrics(metrics.registry),
    dispatcherOf: (o) =>
      o.kind === 'Trigger' ? triggers.dispatcherOf(o.namespace, o.name) : undefined,
    memoryCapacity: options.deadLetterCapacity,
  });
  const server = createRuntimeServer(options, logger, statuses, () => starting);
  // EventTypes and inferred schemas; a no-op for brokers without tributary.dev/eventtype-auto-create.
  const catalog = new EventCatalog(topology);
  const paths = createDataPaths({
    metrics,
    catalog: () => catalog,
    tap,
    logger: logger.child({ component: 'ingress' }),
    onTriggerOutcome: options.onOutcome,
  });
  const ingress = createBrokerIngress({
    publishPath: paths.publishPath,
    lookup: (ns, name) => brokers.target(ns, name),
    logger: logger.child({ component: 'ingress' }),
  });
  const hop = (ns: string, name: string): IngressHop => ({
    get url() {
      return `${baseUrl}/${ns}/${name}`;
    },
    ingest: (events) => ingress.ingestEvents(ns, name, events),
  });
  const brokers: BrokerSet = new BrokerSet({
    topology: () => topology,
    backends,
    statuses,
    logger,
    archive,
    deadLetters,
    stopping: () => stopping,
    ready: async (b) => {
      await triggers.startOn(b.namespace, b.name);
      updateRouting();
    },
  });
  const pluginSubscriptions = new PluginSubscriptions(
    {
      broker: (ns, name) => {
        const b = brokers.get(`${ns}/${name}`);
        if (!b?.connection?.ready) return undefined;
        return { ...b, delivery: topology.get('Broker', ns, name)?.spec.delivery };
      },
      replyTarget: (ns, name) => ingressTarget(hop(ns, name)),
      routingChanged: () => updateRouting(),
      logger,
    },
    paths.subscribePath,
  );
  const plugins = new PluginHost({
    topology: () => topology,
    baseUrl: () => baseUrl,
    server,
    logger,
    statuses,
    backends,
    agent,
    security: options.security ?? {},
    metricsRegistry: metrics.registry,
    tap,
    deadLetters,
    publishPath: paths.publishPath,
    subscribePath: paths.subscribePath,
    brokerHop: (ns, name) => (topology.get('Broker', ns, name) ? hop(ns, name) : undefined),
    publishToBroker: (ns, name, events) => ingress.ingestEvents(ns, name, events),
    subscribeBroker: (spec) => pluginSubscriptions.add(spec),
    plugins: options.plugins ?? [],
    createPlugins: options.createPlugins,
  });
  const triggers: TriggerSet = new TriggerSet({
    topology: () => topology,
    brokers,
    backends,
    resolver: plugins.resolver,
    statuses,
    flow,
    deadLetters,
    path: paths.subscribePath,
    logger,
    correlationKeys: topologyCorrelationKeys(() => topology),
    reply: (ns, name) => ingressTarget(hop(ns, name)),
    stopping: () => stopping,
  });
  const replays = createReplays(options, archive, metrics.registry, logger, {
    topology: () => topology,
    brokers,
    triggers,
  });
  const updateRouting = (except?: ReadonlySet<string>): void =>
    brokers.setRouting((b) => [
      ...triggers.routes(b, except),
      ...pluginSubscriptions.routes(b.topic),
    ]);
  const parts: RuntimeParts = {
    logger,
    statuses,
    server,
    brokers,
    triggers,
    plugins,
    pluginSubscriptions,
    deadLetters,
    archive,
    replays,
    flow,
    catalog,
    agent,
    updateRouting,
  };

  return {
    statuses,
    metrics,
    eventTap: tap,
    deadLetters,
    catalog,
    get topology() {
      return topology;
    },
    get url() {
      return baseUrl;
    },
    async start() {
      markFunctions(parts, undefined, topology);
      registerRuntimeRoutes({
        server,
        options,
        metrics,
        topology: () => topology,
        statuses,
        deadLetters,
        flow,
        replays,
        catalog,
        plugins,
        ingress,
      });
      await plugins.register();
      // Listen first: /healthz answers and brokers answer 503 while backends connect.
      baseUrl = await server.listen();
      await Promise.all(topology.brokers.map((b) => brokers.start(b)));
      for (const t of topology.triggers) await triggers.start(t);
      updateRouting();
      replays.resume();
      await plugins.start(() => stopping);
      starting = false;
      const a = server.address();
      const bound = a && `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
      const counts = { brokers: brokers.size, triggers: triggers.size };
      logger.info({ url: baseUrl, bound, ...counts }, 'tributary running');
      return baseUrl;
    },
    stop({ drainMs = 10_000 } = {}) {
      stopping = true;
      stopped ??= stopRuntime(parts, applying, drainMs);
      return stopped;
    },
    apply(next, { drainMs = 10_000 } = {}) {
      const run = applying.then(() => {
        const prev = topology;
        topology = next;
        return applyTopology(parts, prev, next, drainMs);
      });
      applying = run.catch(() => undefined);
      return run;
    },
    publish: (ns, name, events) => ingress.ingestEvents(ns, name, events),
  };
}
