import path from 'node:path';
import {
  type Backend,
  BackendUnavailableError,
  type CloudEvent,
  clientName,
  type Subscription,
  type Topology,
  archiveRetentionOf,
  brokerClassOf,
  compileDelivery,
  didYouMean,
  redactUrlsInText,
  silentLogger,
  triggerFilterData,
} from '@tributary/core';
import { RoutingIndex, compileTriggerFilter, type RoutingEntry } from '@tributary/filter';
import type { Trigger } from '@tributary/core';
import {
  type TriggerDispatcherOptions,
  createTriggerDispatcher,
} from '../dispatcher/dispatcher.js';
import type { TriggerFlowGate } from '../dispatcher/flow-gate.js';
import { MemoryArchive, MemoryReplayStore } from '../archive/memory-archive.js';
import { ReplayManager } from '../archive/replay-manager.js';
import { RoutedArchive } from '../archive/routed-archive.js';
import type { EventArchive } from '../archive/archive-types.js';
import { registerReplayRoutes } from '../archive/replay-routes.js';
import { FlowControl } from './flow-control.js';
import { createReplayHost } from './replay-host.js';
import type { Agent } from 'undici';
import { createDeliveryAgent } from '../dispatcher/http-target.js';
import { createBrokerIngress } from '../ingress/broker-ingress.js';
import { PublishPath } from '../ingress/publish-path.js';
import { SubscriptionMetrics } from '../observability/subscription-metrics.js';
import { createHttpServer, type HttpServer } from '../http/http-server.js';
import { memoryBackendProvider } from '../backends/memory/memory-provider.js';
import { parseBrokerPath } from '../ingress/broker-ingress.js';
import { RuntimeMetrics } from '../observability/metrics.js';
import {
  ADMIN_API_PREFIX,
  NO_ADMIN_ENDPOINT,
  registerOperationsRoutes,
} from '../observability/admin-api.js';
import { HttpError } from '../http/http-error.js';
import { EventTap } from '../observability/event-tap.js';
import { DeadLetterService } from '../deadletters/dead-letter-service.js';
import { DeadLetterMetrics } from '../deadletters/dead-letter-metrics.js';
import { registerDeadLetterRoutes } from '../deadletters/dead-letter-api.js';
import type { EventDispatcher } from '../dispatcher/dispatcher-types.js';
import { EventCatalog } from '../catalog/event-catalog.js';
import { registerCatalogRoutes } from '../catalog/catalog-routes.js';
import { PluginRoutes } from './plugin-routes.js';
import { diffTopology, keyOf, triggerFingerprint } from './topology-diff.js';
import { BackendRegistry } from './backend-registry.js';
import {
  type Addressable,
  DestinationResolver,
  apiGroup,
  ingressTarget,
  type IngressHop,
} from './destination-resolver.js';
import type { DeliveryTarget } from '../dispatcher/delivery-target.js';
import { StatusBoard } from './resource-status.js';
import { type BackendConnection, connectBackend } from './backend-connection.js';
import type { CarriedOver, PluginContext } from './plugin.js';
import { PluginSubscriptions } from './plugin-subscriptions.js';
import { topologyCorrelationKeys } from './correlation-keys.js';
import type { ApplyReport, Runtime, RuntimeOptions } from './runtime-types.js';

export type { ApplyReport, Runtime, RuntimeOptions } from './runtime-types.js';
import { isOwnServer } from './own-server.js';
import { brokerTopic, triggerSubscriptionName } from './naming.js';
import { subscribeOptionsFor } from './subscribe-options.js';
import { triggerIdentity } from './trigger-identity.js';

/** The broker a Trigger names. */
const triggerBroker = (t: Trigger): string => t.spec.broker ?? t.spec.brokerRef?.name ?? '';

interface RunningTrigger {
  readonly namespace: string;
  readonly name: string;
  readonly broker: RunningBroker;
  readonly fingerprint: string;
  readonly subscription: Subscription;
  readonly dispatcher: EventDispatcher;
  readonly route: RoutingEntry;
  readonly dispatcherOptions: TriggerDispatcherOptions;
  readonly gate: TriggerFlowGate;
  /** The trigger's own connection pool (subscriber and dead-letter sink). */
  readonly agent: Agent;
}

interface RunningBroker {
  readonly namespace: string;
  readonly name: string;
  readonly backend: Backend;
  readonly topic: string;
  /** `tributary.dev/archive-retention` in ms; absent = not archived. */
  readonly retentionMs?: number | undefined;
  /** Connecting in the background; the broker serves (and its triggers start) once ready. */
  connection: BackendConnection;
}

/** Reconciles a validated Topology into running brokers, triggers and one HTTP server. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const logger = options.logger ?? silentLogger;
  const registry = options.backends ?? new BackendRegistry().register(memoryBackendProvider);
  const security = options.security ?? {};
  let topology = options.topology;
  const statuses = new StatusBoard();
  const brokers = new Map<string, RunningBroker>();
  const triggers = new Map<string, RunningTrigger>();
  const agent = createDeliveryAgent();
  let baseUrl = '';
  const hops = new Map<string, IngressHop>();
  const addressables = new Map<string, Addressable>();
  let plugins = options.plugins ?? [];
  let applying: Promise<unknown> = Promise.resolve();
  const pluginRoutes = new PluginRoutes();
  /** Until start() finished, /readyz says so (resources not started yet have no status). */
  let starting = true;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const triggerRetries = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  const startingTriggers = new Set<string>();
  const tap = new EventTap();
  const carryOver = new Map<string, CarriedOver>();
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
  const fallbackArchive: EventArchive = options.archive ?? new MemoryArchive();
  // A backend that keeps an archive itself (Backend.archive) is preferred over the default.
  const archive = new RoutedArchive(fallbackArchive);
  const flow = new FlowControl({
    statuses,
    registry: metrics.registry,
    ...(options.flowState ? { store: options.flowState } : {}),
  });
  const replays = new ReplayManager(
    archive,
    options.replayStore ?? new MemoryReplayStore(),
    createReplayHost({
      triggers: () =>
        [...triggers.values()].map((t) => ({
          namespace: t.namespace,
          name: t.name,
          broker: `${t.broker.namespace}/${t.broker.name}`,
          dispatcherOptions: t.dispatcherOptions,
        })),
      expected: (key) =>
        topology.triggers
          .filter((t) => `${t.metadata.namespace}/${triggerBroker(t)}` === key)
          .map((t) => t.metadata.name),
      archived: (key) => {
        const b = brokers.get(key);
        return b && b.retentionMs !== undefined;
      },
    }),
    { registry: metrics.registry, logger: logger.child({ component: 'replay' }) },
  );
  const deadLetters = new DeadLetterService({
    logger: logger.child({ component: 'dead-letters' }),
    metrics: new DeadLetterMetrics(metrics.registry),
    dispatcherOf: (o) =>
      o.kind === 'Trigger' ? triggers.get(`${o.namespace}/${o.name}`)?.dispatcher : undefined,
    memoryCapacity: options.deadLetterCapacity,
  });
  const server: HttpServer = createHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8080,
    logger: logger.child({ component: 'http' }),
    maxBodyBytes: options.maxBodyBytes,
    readiness: () => {
      // `/readyz` is public: its messages never show URL credentials or Secret values.
      const scrub = options.scrub ?? redactUrlsInText;
      const all = statuses.readiness();
      const r = {
        ...all,
        notReady: all.notReady.map((n) => ({ ...n, message: scrub(n.message) })),
      };
      if (!starting) return r;
      const self = { resource: 'Runtime', reason: 'Starting', message: 'tributary is starting' };
      return { ready: false, notReady: [self, ...r.notReady] };
    },
    ingressAuthorizer: () => security.authorizer,
    tls: options.tls,
    admin: options.admin,
    limits: options.limits,
  });

  // EventTypes and inferred schemas; a no-op for brokers without tributary.dev/eventtype-auto-create.
  const catalog = new EventCatalog(topology);
  const channelMetrics = new SubscriptionMetrics(metrics.registry);
  const publishPath = new PublishPath({
    logger: logger.child({ component: 'ingress' }),
    onPublished: (r) => {
      const { kind, namespace, name } = r.resource;
      if (kind === 'Channel') {
        channelMetrics.ingested(namespace, name, r.events, r.status);
        if (r.status === 202 && tap.active) {
          const channel = { namespace, name };
          const time = Date.now();
          for (const event of r.events)
            tap.emit({ kind: 'accepted', time, broker: channel, channel, via: r.via, event });
        }
      } else if (r.status === 202) {
        metrics.ingested(namespace, name, r.events, r.status, r.durationMs);
        catalog.observe(namespace, name, r.events);
        if (tap.active) {
          const broker = { namespace, name };
          const time = Date.now();
          for (const event of r.events)
            tap.emit({ kind: 'accepted', time, broker, via: r.via, event });
        }
      }
      // HTTP refusals are counted by the route (they include requests that never decoded).
      else if (r.via === 'in-process') metrics.rejected(namespace, name, r.status);
    },
  });
  const ingress = createBrokerIngress({
    publishPath,
    lookup: (ns, name) => {
      const b = brokers.get(`${ns}/${name}`);
      return (
        b && {
          publish: async (events: CloudEvent[]) => {
            if (!b.connection.ready)
              throw new BackendUnavailableError(
                `broker '${ns}/${name}' is not ready: ${b.connection.lastError ?? 'connecting to its backend'}`,
                b.connection.retryAfterSeconds,
              );
            await b.backend.publish(b.topic, events);
            // Archived once the backend holds them: only accepted events are replayable.
            if (b.retentionMs !== undefined)
              await archive.append(`${ns}/${name}`, events, b.retentionMs);
          },
        }
      );
    },
    logger: logger.child({ component: 'ingress' }),
  });

  const hop = (ns: string, name: string): IngressHop => ({
    get url() {
      return `${baseUrl}/${ns}/${name}`;
    },
    ingest: (events) => ingress.ingestEvents(ns, name, events),
  });

  /** A plugin ingress looked up at every call, so a reload's new plugin generation takes over. */
  const pluginHop = (key: string): IngressHop => ({
    get url() {
      return hops.get(key)?.url ?? `${baseUrl}/${key}`;
    },
    ingest: (events) =>
      hops.get(key)?.ingest(events) ??
      Promise.resolve({ status: 503, error: `${key} is not running (reloading or removed)` }),
  });

  /** A plugin's in-process target looked up at every send, so a reload's registration takes over. */
  const addressableTarget = (key: string, uri: string | undefined): DeliveryTarget => {
    const current = () => {
      const a = addressables.get(key);
      return a && 'target' in a ? a.target(uri) : undefined;
    };
    return {
      get url() {
        return current()?.url ?? `${baseUrl}/${key}`;
      },
      send: (event, o) =>
        current()?.send(event, o) ??
        Promise.resolve({ kind: 'error', message: `${key} is not running (reloading or removed)` }),
    };
  };

  const resolver = new DestinationResolver(
    {
      addressable: (group, kind, ns, name) => {
        const key = `${group}/${kind}/${ns}/${name}`;
        const a = addressables.get(key);
        if (!a || !('target' in a)) return a;
        return { target: (uri) => addressableTarget(key, uri) };
      },
      ingress: (kind, ns, name) =>
        kind === 'broker'
          ? topology.get('Broker', ns, name)
            ? hop(ns, name)
            : undefined
          : hops.has(`${kind}/${ns}/${name}`)
            ? pluginHop(`${kind}/${ns}/${name}`)
            : undefined,
      isOwnServer: (url) => isOwnServer(url, server.address()),
      functionSpec: (ns, name) => {
        const fn = topology.get('Function', ns, name);
        if (!fn) return undefined;
        return { ...fn.spec, baseDir: path.dirname(fn.source.file) };
      },
    },
    logger,
    security,
  );

  const correlationKeys = topologyCorrelationKeys(() => topology);
  const pluginSubscriptions = new PluginSubscriptions({
    broker: (ns, name) => {
      const b = brokers.get(`${ns}/${name}`);
      if (!b?.connection?.ready) return undefined;
      return { ...b, delivery: topology.get('Broker', ns, name)?.spec.delivery };
    },
    replyTarget: (ns, name) => ingressTarget(hop(ns, name)),
    routingChanged: () => updateRouting(),
    logger,
  });

  const pluginContext: PluginContext = {
    get topology() {
      return topology;
    },
    logger,
    statuses,
    backends: registry,
    agent,
    server: pluginRoutes.facade(server),
    get baseUrl() {
      return baseUrl;
    },
    carryOver,
    registerIngress: (kind, ns, name, h) => {
      hops.set(`${kind}/${ns}/${name}`, h);
    },
    registerAddressable: (apiVersion, kind, ns, name, a) => {
      addressables.set(`${apiGroup(apiVersion)}/${kind}/${ns}/${name}`, a);
    },
    metricsRegistry: metrics.registry,
    eventTap: tap,
    resolve: (dest, ns, o) => resolver.resolve(dest, ns, o),
    security,
    publishToBroker: (ns, name, events) => ingress.ingestEvents(ns, name, events),
    publishPath,
    subscribeBroker: (spec) => pluginSubscriptions.add(spec),
    deadLetters,
  };

  /**
   * Creates a broker's backend and connects it in the background (docs/operations.md, "Start and
   * stop"); resolves after the first attempt. Until connected the broker answers 503 and is not
   * Ready with the reason; once connected its triggers start.
   */
  async function startBroker(b: Topology['brokers'][number]): Promise<void> {
    const { namespace, name } = b.metadata;
    const key = `${namespace}/${name}`;
    const cls = brokerClassOf(b);
    let backend: Backend;
    try {
      backend = registry.createFor(cls, {
        logger: logger.child({ broker: key }),
        topology,
        namespace,
        configRef: b.spec.config,
        annotations: b.metadata.annotations ?? {},
        clientName: clientName(`broker-${namespace}-${name}`),
      });
    } catch (err) {
      statuses.set('Broker', namespace, name, false, 'BackendUnavailable', (err as Error).message);
      logger.error({ broker: name, namespace, err }, 'broker failed to start');
      return;
    }
    statuses.set('Broker', namespace, name, false, 'BackendStarting', `connecting (class ${cls})`);
    const running = {
      namespace,
      name,
      backend,
      topic: brokerTopic(namespace, name),
      retentionMs: archiveRetentionOf(b),
    } as RunningBroker;
    brokers.set(key, running);
    running.connection = connectBackend(backend, {
      onConnected: async () => {
        if (stopping || brokers.get(key) !== running) return;
        if (running.retentionMs !== undefined) {
          const own = backend.archive?.(
            { namespace, name, topic: running.topic },
            running.retentionMs,
          );
          if (own) {
            archive.attach(key, own);
            await own
              .open?.()
              .catch((err: Error) =>
                logger.warn({ broker: key, err: err.message }, 'backend archive not ready yet'),
              );
          }
        }
        deadLetters.attach({ namespace, name }, backend);
        statuses.set(
          'Broker',
          namespace,
          name,
          true,
          'Ready',
          `class ${cls}, backend ${backend.kind}`,
        );
        logger.info({ broker: name, namespace, class: cls }, 'broker ready');
        for (const t of topology.triggers)
          if (t.metadata.namespace === namespace && triggerBroker(t) === name)
            await startTrigger(t);
        updateRouting();
      },
      onFailed: (message, attempt, retryInMs) => {
        if (stopping || brokers.get(key) !== running) return;
        statuses.set('Broker', namespace, name, false, 'BackendUnavailable', message);
        const fields = { broker: name, namespace, attempt, retryInMs, err: message };
        if (attempt === 1) logger.error(fields, 'broker failed to start');
        else logger.warn(fields, 'broker backend still unavailable');
      },
    });
    await running.connection.firstAttempt;
  }

  /** Retries a Trigger whose subscription failed (backend trouble) with capped backoff. */
  function retryTriggerLater(key: string): void {
    if (stopping) return;
    const prev = triggerRetries.get(key);
    clearTimeout(prev?.timer);
    const attempt = (prev?.attempt ?? 0) + 1;
    const timer = setTimeout(
      () => {
        const [ns, name] = key.split('/') as [string, string];
        const t = topology.get('Trigger', ns, name);
        if (!t || stopping || triggers.has(key)) triggerRetries.delete(key);
        else void startTrigger(t);
      },
      Math.min(60_000, 2_000 * 2 ** (attempt - 1)),
    );
    triggerRetries.set(key, { timer, attempt });
  }

  /** Resolves, subscribes and records one Trigger; marks it not Ready (with why) on failure. */
  async function startTrigger(t: Trigger): Promise<void> {
    const key = `${t.metadata.namespace}/${t.metadata.name}`;
    if (triggers.has(key) || startingTriggers.has(key) || stopping) return;
    startingTriggers.add(key);
    try {
      await startTriggerNow(t);
    } finally {
      startingTriggers.delete(key);
    }
  }

  async function startTriggerNow(t: Trigger): Promise<void> {
    const { namespace, name } = t.metadata;
    const notReady = (reason: string, message: string) => {
      statuses.set('Trigger', namespace, name, false, reason, message);
      logger.warn({ trigger: name, namespace, reason, message }, 'trigger not ready');
    };
    const brokerName = triggerBroker(t);
    const broker = brokers.get(`${namespace}/${brokerName}`);
    if (!broker) {
      const exists = topology.get('Broker', namespace, brokerName) !== undefined;
      const names = topology.brokers
        .filter((b) => b.metadata.namespace === namespace)
        .map((b) => b.metadata.name);
      return notReady(
        exists ? 'BrokerNotReady' : 'BrokerDoesNotExist',
        `broker '${namespace}/${brokerName}' ${exists ? 'is not ready' : `does not exist${didYouMean(brokerName, names)}`}`,
      );
    }
    if (!broker.connection.ready)
      return notReady(
        'BrokerNotReady',
        `broker '${namespace}/${brokerName}' is not ready: ${broker.connection.lastError ?? 'connecting to its backend'}`,
      );
    const brokerRes = topology.get('Broker', namespace, brokerName);
    const delivery = compileDelivery(t.spec.delivery, brokerRes?.spec.delivery);
    const identity = triggerIdentity(t, topology);
    if ('error' in identity) return notReady('SigningSecretMissing', identity.error);
    // Each trigger has its own pool, one connection per delivery it may have in flight: no wait
    // for a connection, and no other trigger's hung subscriber can take them (docs/manifests.md).
    const subscribeOptions = subscribeOptionsFor(t, registry);
    const triggerAgent = createDeliveryAgent({ connections: subscribeOptions.concurrency });
    const failed = (reason: string, message: string) => {
      void triggerAgent.close();
      notReady(reason, message);
    };
    const subscriber = await resolver.resolve(t.spec.subscriber, namespace, {
      ...identity.options,
      agent: triggerAgent,
    });
    if ('error' in subscriber) return failed('SubscriberResolveFailed', subscriber.error);
    let deadLetter;
    if (delivery.deadLetterSink) {
      const dls = await resolver.resolve(delivery.deadLetterSink, namespace, {
        owner: identity.options.owner,
        agent: triggerAgent,
      });
      if ('error' in dls) return failed('DeadLetterSinkResolveFailed', dls.error);
      deadLetter = dls.target;
    }
    const filterData = triggerFilterData(t);
    let filter;
    try {
      filter = compileTriggerFilter(
        { filter: t.spec.filter, filters: t.spec.filters },
        { filterData, correlationKeys },
      );
    } catch (err) {
      return failed('InvalidFilter', (err as Error).message);
    }
    const triggerLog = logger.child({ broker: brokerName, trigger: name, namespace });
    const labels = { namespace, broker: brokerName, trigger: name };
    const tapTrigger = { namespace, broker: brokerName, name };
    const gate = flow.gateFor(t, brokerName, triggerLog);
    const dispatcherOptions: TriggerDispatcherOptions = {
      name,
      namespace,
      filter,
      subscriber: subscriber.target,
      reply: ingressTarget(hop(namespace, brokerName)),
      deadLetter,
      onExhausted: deadLetters.exhaustionHandler(
        { namespace, name: brokerName },
        { kind: 'Trigger', namespace, name },
      ),
      policy: delivery,
      logger: triggerLog,
      gate,
      onAttempt: (a) => {
        metrics.attempt(labels, a);
        if (tap.active)
          tap.emit({
            kind: 'attempt',
            time: Date.now(),
            trigger: tapTrigger,
            eventId: a.event.attributes['id'] ?? '',
            leg: a.leg,
            target: a.target,
            attempt: a.attempt,
            status: a.status,
            ok: a.ok,
            willRetry: a.willRetry,
            durationMs: a.durationMs,
            event: a.event,
          });
      },
      onOutcome: (o) => {
        metrics.outcome(labels, o);
        if (tap.active)
          tap.emit({
            kind: 'outcome',
            time: Date.now(),
            trigger: tapTrigger,
            eventId: o.eventId,
            eventType: o.eventType,
            outcome: o.kind,
            attempts: o.attempts,
            status: o.status,
          });
        options.onOutcome?.({ ...o, trigger: `${namespace}/${name}` });
      },
    };
    const dispatcher = createTriggerDispatcher(dispatcherOptions);
    let sub: Subscription;
    try {
      sub = await broker.backend.subscribe(
        broker.topic,
        triggerSubscriptionName(namespace, name),
        dispatcher.handle,
        subscribeOptions,
      );
    } catch (err) {
      dispatcher.close();
      gate.close();
      failed('SubscribeFailed', (err as Error).message);
      return retryTriggerLater(`${namespace}/${name}`);
    }
    clearTimeout(triggerRetries.get(`${namespace}/${name}`)?.timer);
    triggerRetries.delete(`${namespace}/${name}`);
    if (stopping) {
      await sub.close({ drainMs: 0 });
      dispatcher.close();
      gate.close();
      await triggerAgent.close();
      return;
    }
    triggers.set(`${namespace}/${name}`, {
      namespace,
      name,
      broker,
      fingerprint: triggerFingerprint(topology, t),
      subscription: sub,
      dispatcher,
      agent: triggerAgent,
      route: {
        key: triggerSubscriptionName(namespace, name),
        spec: { filter: t.spec.filter, filters: t.spec.filters },
        options: { filterData, correlationKeys },
      },
      dispatcherOptions,
      gate,
    });
    flow.started(`${namespace}/${name}`, brokerName, gate, `subscriber ${subscriber.target.url}`);
    triggerLog.info({ subscriber: subscriber.target.url }, 'trigger ready');
  }

  /**
   * Stops a running Trigger: closes its subscription (deliveries in flight finish within
   * `drainMs`), aborts what is left (the backend keeps it) and, when `remove`, deletes the
   * subscription's stored events where the backend supports it.
   */
  async function stopTrigger(key: string, drainMs: number, remove: boolean): Promise<void> {
    const t = triggers.get(key);
    if (!t) return;
    triggers.delete(key);
    await t.subscription.close({ drainMs });
    t.dispatcher.close();
    flow.stopped(key, t.gate);
    await t.agent.destroy();
    if (remove)
      await t.broker.backend.deleteSubscription?.(
        t.broker.topic,
        triggerSubscriptionName(t.namespace, t.name),
        { drainMs: 0 },
      );
  }

  /**
   * Brokers whose backend routes at publish get one routing index over their triggers, so an
   * event costs a few map probes instead of one filter evaluation per trigger.
   */
  function updateRouting(): void {
    for (const b of brokers.values()) {
      if (!b.backend.setRouter) continue;
      const entries = [...triggers.values()].filter((t) => t.broker === b).map((t) => t.route);
      entries.push(...pluginSubscriptions.routes(b.topic));
      const index = new RoutingIndex(entries);
      b.backend.setRouter(b.topic, (event) => index.match(event));
    }
  }

  /** Stops everything within about `drainMs`, whatever state the backends are in. */
  async function stopAll(drainMs: number): Promise<void> {
    for (const r of triggerRetries.values()) clearTimeout(r.timer);
    triggerRetries.clear();
    for (const b of brokers.values()) b.connection.cancel();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      applying.catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, drainMs))),
    ]);
    clearTimeout(timer);
    const closing = server.close({ drainMs });
    await Promise.all(plugins.map((p) => p.stop?.({ drainMs })));
    await pluginSubscriptions.closeAll(drainMs);
    const left = [...carryOver.values()];
    carryOver.clear();
    await Promise.all(left.map((c) => c.close({ drainMs })));
    await replays.close();
    const running = [...triggers.values()];
    await Promise.all(running.map((t) => t.subscription.close({ drainMs })));
    for (const t of running) {
      t.dispatcher.close();
      flow.stopped(`${t.namespace}/${t.name}`, t.gate);
    }
    await deadLetters.close();
    await Promise.all(running.map((t) => t.agent.destroy()));
    await Promise.all([...brokers.values()].map((b) => b.backend.close({ drainMs })));
    await archive.close();
    await closing;
    await resolver.close();
    await agent.close();
    await resolver.close();
  }

  async function registerPlugins(): Promise<void> {
    for (const p of plugins) await p.register?.(pluginContext);
  }

  async function apply(next: Topology, drainMs: number): Promise<ApplyReport> {
    const prev = topology;
    const diff = diffTopology(prev, next);
    topology = next;
    catalog.setTopology(next);
    for (const f of prev.functions)
      if (!next.get('Function', f.metadata.namespace, f.metadata.name))
        statuses.delete('Function', f.metadata.namespace, f.metadata.name);
    for (const f of next.functions)
      statuses.set('Function', f.metadata.namespace, f.metadata.name, true, 'Ready');
    for (const k of diff.brokersAdded) {
      const b = next.brokers.find((x) => keyOf(x) === k);
      if (b) await startBroker(b);
    }
    for (const k of diff.brokersChanged)
      logger.warn({ broker: k }, 'broker class or config changed: restart to apply it');
    const wanted = new Map(next.triggers.map((t) => [keyOf(t), t]));
    const removed = [...triggers.keys()].filter((k) => !wanted.has(k));
    const changed = [...triggers.entries()]
      .filter(
        ([k, r]) => wanted.has(k) && r.fingerprint !== triggerFingerprint(next, wanted.get(k)!),
      )
      .map(([k]) => k);
    const added = [...wanted.keys()].filter((k) => !triggers.has(k));
    // Stop routing to removed triggers first, then drain them; changed ones keep their
    // subscription (and what it holds) and get a new dispatcher.
    for (const k of removed) {
      const t = triggers.get(k)!;
      triggers.delete(k);
      updateRouting();
      triggers.set(k, t);
    }
    await Promise.all([
      ...removed.map((k) => stopTrigger(k, drainMs, true)),
      ...changed.map((k) => stopTrigger(k, drainMs, false)),
    ]);
    for (const k of removed) {
      const [ns, name] = k.split('/') as [string, string];
      statuses.delete('Trigger', ns, name);
      flow.removed(k);
    }
    for (const k of [...changed, ...added]) await startTrigger(wanted.get(k)!);
    for (const k of diff.brokersRemoved) {
      const b = brokers.get(k);
      b?.connection.cancel();
      brokers.delete(k);
      const [ns, name] = k.split('/') as [string, string];
      statuses.delete('Broker', ns, name);
      await deadLetters.detach({ namespace: ns, name });
      await archive.detach(k);
      await b?.backend.close({ drainMs });
    }
    updateRouting();
    if (diff.pluginsChanged) {
      await Promise.all(plugins.map((p) => p.stop?.({ drainMs, reload: true })));
      hops.clear();
      addressables.clear();
      pluginRoutes.clear();
      const kinds = new Set(['Broker', 'Trigger', 'Function']);
      for (const s of statuses.list())
        if (!kinds.has(s.kind)) statuses.delete(s.kind, s.namespace, s.name);
      plugins = options.createPlugins?.() ?? plugins;
      await registerPlugins();
      for (const p of plugins) await p.start?.(pluginContext);
    }
    const report: ApplyReport = {
      triggersAdded: added,
      triggersChanged: changed,
      triggersRemoved: removed,
      brokersAdded: diff.brokersAdded,
      brokersRemoved: diff.brokersRemoved,
      brokersNeedingRestart: diff.brokersChanged,
      pluginsRestarted: diff.pluginsChanged,
    };
    logger.info(report, 'configuration applied');
    return report;
  }

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
      for (const f of topology.functions)
        statuses.set('Function', f.metadata.namespace, f.metadata.name, true, 'Ready');
      registerDeadLetterRoutes(server, deadLetters, {
        authorizeWrite: options.authorizeAdminWrite,
      });
      registerOperationsRoutes(server, {
        metrics,
        topology: () => topology,
        statuses,
        scrub: options.scrub,
      });
      flow.registerRoutes(server);
      registerReplayRoutes(server, replays);
      registerCatalogRoutes(server, () => catalog);
      pluginRoutes.install(server);
      // An admin path nothing answers is a missing endpoint, not a broker ingress path
      // (docs/operations.md, "Admin API"): clients such as the console say "not available".
      server.route(
        '*',
        (p) => p.startsWith(ADMIN_API_PREFIX),
        (req, _res, ctx) => {
          throw new HttpError(
            404,
            `${NO_ADMIN_ENDPOINT} '${(req.method ?? 'GET').toUpperCase()} ${ctx.path}' on this server`,
          );
        },
        { fallback: true },
      );
      server.route(
        '*',
        ingress.matches,
        (req, res, ctx) => {
          res.once('finish', () => {
            if (res.statusCode < 400 || (req.method ?? '').toUpperCase() !== 'POST') return;
            const target = parseBrokerPath(ctx.path);
            metrics.rejected(target?.namespace ?? '', target?.name ?? '', res.statusCode);
          });
          return ingress.handle(req, res, ctx);
        },
        { fallback: true },
      );
      await registerPlugins();
      // Listen first: /healthz answers and brokers answer 503 while backends connect.
      baseUrl = await server.listen();
      await Promise.all(topology.brokers.map((b) => startBroker(b)));
      for (const t of topology.triggers) await startTrigger(t);
      updateRouting();
      replays.resume();
      for (const p of plugins) if (!stopping) await p.start?.(pluginContext);
      starting = false;
      const bound = server.address();
      logger.info(
        {
          url: baseUrl,
          bound:
            bound &&
            `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
          brokers: brokers.size,
          triggers: triggers.size,
        },
        'tributary running',
      );
      return baseUrl;
    },
    stop({ drainMs = 10_000 } = {}) {
      stopping = true;
      stopped ??= stopAll(drainMs);
      return stopped;
    },
    apply(next, { drainMs = 10_000 } = {}) {
      const run = applying.then(() => apply(next, drainMs));
      applying = run.catch(() => undefined);
      return run;
    },
    publish: (ns, name, events) => ingress.ingestEvents(ns, name, events),
  };
}
