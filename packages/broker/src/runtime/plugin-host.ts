/**
 * The plugin side of a runtime: the context plugins get (docs/architecture.md, "Plugins"), the
 * in-process ingresses and addressables they register, the destination resolver that finds them
 * (and brokers, Functions, URLs), their routes (one removable group per plugin generation on the
 * one router) and the generations themselves: register, start, stop, and a reload's hand-over.
 */
import path from 'node:path';
import type { Logger, Topology } from '@tributary/core';
import type { Agent } from 'undici';
import type { Registry } from 'prom-client';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import type { DeliveryTarget } from '../dispatcher/delivery-target.js';
import type { HttpServer } from '../http/http-server.js';
import type { RouteGroup } from '../http/route-group.js';
import type { PublishPath } from '../ingress/publish-path.js';
import type { EventTap } from '../observability/event-tap.js';
import type { SubscribePath } from '../subscriptions/subscribe-path.js';
import type { BackendRegistry } from './backend-registry.js';
import {
  type Addressable,
  DestinationResolver,
  type IngressHop,
  type SecurityHooks,
  apiGroup,
} from './destination-resolver.js';
import { isOwnServer } from './own-server.js';
import type { CarriedOver, PluginContext, RuntimePlugin } from './plugin.js';
import type { BrokerSubscription, BrokerSubscriptionSpec } from './plugin-subscriptions.js';
import type { StatusBoard } from './resource-status.js';

export interface PluginHostOptions {
  topology(): Topology;
  baseUrl(): string;
  readonly server: HttpServer;
  readonly logger: Logger;
  readonly statuses: StatusBoard;
  readonly backends: BackendRegistry;
  readonly agent: Agent;
  readonly security: SecurityHooks;
  readonly metricsRegistry: Registry;
  readonly tap: EventTap;
  readonly deadLetters: DeadLetterService;
  readonly publishPath: PublishPath;
  readonly subscribePath: SubscribePath;
  /** The in-process ingress of a broker of the topology. */
  brokerHop(namespace: string, name: string): IngressHop | undefined;
  publishToBroker: PluginContext['publishToBroker'];
  subscribeBroker(spec: BrokerSubscriptionSpec): Promise<BrokerSubscription | { error: string }>;
  readonly plugins: readonly RuntimePlugin[];
  readonly createPlugins?: (() => readonly RuntimePlugin[]) | undefined;
}

/** Statuses the plugins do not own (kept across a plugin reload). */
const CORE_KINDS = new Set(['Broker', 'Trigger', 'Function']);

export class PluginHost {
  readonly resolver: DestinationResolver;
  readonly context: PluginContext;
  readonly #hops = new Map<string, IngressHop>();
  readonly #addressables = new Map<string, Addressable>();
  readonly #carryOver = new Map<string, CarriedOver>();
  #plugins: readonly RuntimePlugin[];
  #routes: RouteGroup | undefined;

  constructor(private readonly o: PluginHostOptions) {
    this.#plugins = o.plugins;
    this.resolver = new DestinationResolver(
      {
        addressable: (group, kind, ns, name) => {
          const key = `${group}/${kind}/${ns}/${name}`;
          const a = this.#addressables.get(key);
          if (!a || !('target' in a)) return a;
          return { target: (uri) => this.#addressableTarget(key, uri) };
        },
        ingress: (kind, ns, name) =>
          kind === 'broker'
            ? o.brokerHop(ns, name)
            : this.#hops.has(`${kind}/${ns}/${name}`)
              ? this.#pluginHop(`${kind}/${ns}/${name}`)
              : undefined,
        isOwnServer: (url) => isOwnServer(url, o.server.address()),
        functionSpec: (ns, name) => {
          const fn = o.topology().get('Function', ns, name);
          if (!fn) return undefined;
          return { ...fn.spec, baseDir: path.dirname(fn.source.file) };
        },
      },
      o.logger,
      o.security,
    );
    const server: HttpServer = {
      route: (method, matcher, handler, options) => {
        this.#routes?.route(method, matcher, handler, options);
        return server;
      },
      group: () => o.server.group(),
      listen: () => o.server.listen(),
      address: () => o.server.address(),
      close: (c) => o.server.close(c),
    };
    this.context = {
      get topology() {
        return o.topology();
      },
      logger: o.logger,
      statuses: o.statuses,
      backends: o.backends,
      agent: o.agent,
      server,
      get baseUrl() {
        return o.baseUrl();
      },
      carryOver: this.#carryOver,
      registerIngress: (kind, ns, name, h) => void this.#hops.set(`${kind}/${ns}/${name}`, h),
      registerAddressable: (apiVersion, kind, ns, name, a) =>
        void this.#addressables.set(`${apiGroup(apiVersion)}/${kind}/${ns}/${name}`, a),
      metricsRegistry: o.metricsRegistry,
      eventTap: o.tap,
      resolve: (dest, ns, opts) => this.resolver.resolve(dest, ns, opts),
      security: o.security,
      publishToBroker: o.publishToBroker,
      publishPath: o.publishPath,
      subscribePath: o.subscribePath,
      subscribeBroker: (spec) => o.subscribeBroker(spec),
      deadLetters: o.deadLetters,
    };
  }

  /** Adds the generation route group to the server (before the ingress catch-all). */
  installRoutes(): void {
    this.#routes = this.o.server.group();
  }

  async register(): Promise<void> {
    for (const p of this.#plugins) await p.register?.(this.context);
  }

  async start(stopping: () => boolean = () => false): Promise<void> {
    for (const p of this.#plugins) if (!stopping()) await p.start?.(this.context);
  }

  /**
   * Replaces the plugin generation (a reload changed something besides Triggers): the old one
   * stops handing over what must survive, its ingresses, addressables, routes and statuses go,
   * a new one registers and starts on the new topology.
   */
  async reload(drainMs: number): Promise<void> {
    await Promise.all(this.#plugins.map((p) => p.stop?.({ drainMs, reload: true })));
    this.#hops.clear();
    this.#addressables.clear();
    this.#routes?.clear();
    for (const s of this.o.statuses.list())
      if (!CORE_KINDS.has(s.kind)) this.o.statuses.delete(s.kind, s.namespace, s.name);
    this.#plugins = this.o.createPlugins?.() ?? this.#plugins;
    await this.register();
    await this.start();
  }

  /** Stops the plugins, then closes what no generation took over. */
  async stop(drainMs: number): Promise<void> {
    await Promise.all(this.#plugins.map((p) => p.stop?.({ drainMs })));
  }

  async closeCarriedOver(drainMs: number): Promise<void> {
    const left = [...this.#carryOver.values()];
    this.#carryOver.clear();
    await Promise.all(left.map((c) => c.close({ drainMs })));
  }

  /** A plugin ingress looked up at every call, so a reload's new plugin generation takes over. */
  #pluginHop(key: string): IngressHop {
    const hops = this.#hops;
    const base = () => this.o.baseUrl();
    return {
      get url() {
        return hops.get(key)?.url ?? `${base()}/${key}`;
      },
      ingest: (events) =>
        hops.get(key)?.ingest(events) ??
        Promise.resolve({ status: 503, error: `${key} is not running (reloading or removed)` }),
    };
  }

  /** A plugin's in-process target looked up at every send, so a reload's registration takes over. */
  #addressableTarget(key: string, uri: string | undefined): DeliveryTarget {
    const current = () => {
      const a = this.#addressables.get(key);
      return a && 'target' in a ? a.target(uri) : undefined;
    };
    const base = () => this.o.baseUrl();
    return {
      get url() {
        return current()?.url ?? `${base()}/${key}`;
      },
      send: (event, opts) =>
        current()?.send(event, opts) ??
        Promise.resolve({ kind: 'error', message: `${key} is not running (reloading or removed)` }),
    };
  }
}
