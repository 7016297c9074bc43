import type { CloudEvent, Destination, Logger, RefTargetKind, Topology } from '@tributary/core';
import type { Agent } from 'undici';
import type { HttpServer } from '../http/http-server.js';
import type { BackendRegistry } from './backend-registry.js';
import type { Registry } from 'prom-client';
import type {
  Addressable,
  IngressHop,
  Resolved,
  ResolveOptions,
  SecurityHooks,
} from './destination-resolver.js';
import type { StatusBoard } from './resource-status.js';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import type { EventTapSource } from '../observability/event-tap.js';
import type { BrokerSubscription, BrokerSubscriptionSpec } from './plugin-subscriptions.js';
import type { PublishPath } from '../ingress/publish-path.js';
import type { SubscribePath } from '../subscriptions/subscribe-path.js';

/**
 * What a plugin (flows, sources, …) gets from the runtime. Plugins build on this public surface
 * only: they resolve Destinations as Triggers do, register in-process ingresses that refs can point
 * at, add HTTP routes to the one server, and report Ready per resource.
 */
export interface PluginContext {
  readonly topology: Topology;
  readonly logger: Logger;
  readonly statuses: StatusBoard;
  readonly backends: BackendRegistry;
  /** The shared keep-alive HTTP agent for outbound deliveries. */
  readonly agent: Agent;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:8080` (valid from `start` on). */
  readonly baseUrl: string;
  /**
   * The HTTP server; add routes in `register` (they are live once the server listens). Routes
   * added through `route` belong to the plugin generation: a reload drops them.
   */
  readonly server: HttpServer;
  /** Makes a resource addressable: refs of that kind, namespace and name resolve to `hop`. */
  registerIngress(kind: RefTargetKind, namespace: string, name: string, hop: IngressHop): void;
  /**
   * Makes a resource of any kind addressable (refs with its API group, any version): a Service, a
   * JobSink, … Looked up before every other rule, on every send (a reload's registration wins).
   */
  registerAddressable(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    addressable: Addressable,
  ): void;
  /** The prom-client registry `GET /metrics` renders; plugins add their own series to it. */
  readonly metricsRegistry: Registry;
  /** Live events as brokers accept them and triggers deliver them (free while nobody listens). */
  readonly eventTap: EventTapSource;
  /**
   * Resolves a Destination to a delivery target, or an error that names what is missing. Pass the
   * `owner` (the Subscription or source delivering) so tokens and EventPolicies name it.
   */
  resolve(destination: Destination, namespace: string, options?: ResolveOptions): Promise<Resolved>;
  /** The runtime's security hooks: the auth plugin sets the authorizer and delivery credentials. */
  readonly security: SecurityHooks;
  /**
   * What one plugin generation hands to the next across a reload (`stop({ reload: true })`, then
   * the new generation's `register`), e.g. the flows plugin's memory channel backends with the
   * events they hold. The next generation takes (and deletes) its entry; whatever is left when the
   * runtime stops is closed.
   */
  readonly carryOver: Map<string, CarriedOver>;
  /** Publishes to a broker as its ingress would (TTL, arrival time); resolves with the status. */
  publishToBroker(
    namespace: string,
    broker: string,
    events: CloudEvent[],
  ): Promise<{ status: number; error?: string }>;
  /**
   * The one publish path (docs/architecture.md, "Data path"): a plugin's ingress (a channel)
   * publishes through it, so its events reach `/metrics`, the event tap and traces.
   */
  readonly publishPath: PublishPath;
  /**
   * The one subscribe path: a plugin's delivery subscriptions (channel Subscriptions, flow steps)
   * start on it, so their deliveries reach `/metrics`, the event tap and traces under their names.
   */
  readonly subscribePath: SubscribePath;
  /**
   * Subscribes to a running broker like a Trigger would (filter, routing, delivery policy, replies
   * into the broker), from `start` on. Close it in `stop`.
   */
  subscribeBroker(spec: BrokerSubscriptionSpec): Promise<BrokerSubscription | { error: string }>;
  /**
   * The runtime's dead-letter stores: a plugin that runs channel Subscriptions attaches a store
   * per channel, stores exhausted events there and registers its dispatchers for redrive
   * (docs/failed-deliveries.md). Absent in contexts built without a runtime.
   */
  readonly deadLetters?: DeadLetterService | undefined;
}

/**
 * A part of Tributary that the runtime starts with the brokers: `register` runs before anything
 * resolves refs (declare ingresses and routes there), `start` after brokers and triggers exist,
 * `stop` when the runtime stops (drain within `drainMs`).
 */
export interface RuntimePlugin {
  readonly name: string;
  register?(ctx: PluginContext): void | Promise<void>;
  start?(ctx: PluginContext): Promise<void>;
  /**
   * Stops the plugin. `reload` is set when a new generation is about to start on a changed
   * topology: state that must survive (events held in memory) goes into `PluginContext.carryOver`.
   */
  stop?(options: { drainMs: number; reload?: boolean }): Promise<void>;
}

/** Something a plugin generation left for the next one; closed if nobody takes it. */
export interface CarriedOver {
  close(options: { drainMs: number }): Promise<void>;
}
