/**
 * The public types of an embedded mesh (`createMesh` in mesh.ts): its input, options and
 * the Mesh interface (docs/embedding.md).
 */
import type {
  CloudEvent,
  KindSet,
  Logger,
  SecretScrubber,
  SubscriptionsApiFilter,
  Topology,
  TriggerFilter,
} from '@tributary/core';
import type {
  AdminAccess,
  ApplyReport,
  BackendRegistry,
  RuntimePlugin,
  ServerLimits,
  StatusBoard,
  TlsFiles,
} from '@tributary/broker';
import type { FunctionHandler } from '@tributary/function';
import type { EventInput } from '@tributary/sdk';

/** What to run: manifest files/directories, or resource objects (as parsed YAML would give). */
export type MeshInput =
  { readonly files: string | readonly string[] } | { readonly resources: readonly unknown[] };

/** Options of `createMesh` (mesh.ts). */
export interface MeshOptions {
  /** HTTP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** A pino (or pino-compatible) logger, or a pino level for a logger on stderr. @default 'warn' */
  readonly logger?: Logger | string;
  /** Flows, sources, … started with the brokers. @default defaultPlugins() */
  readonly plugins?: readonly RuntimePlugin[];
  /**
   * Plugins added after the default ones (ignored when `plugins` is given), created again on
   * every plugin restart: `tributary run` adds the console here (docs/console.md).
   */
  readonly extraPlugins?: () => readonly RuntimePlugin[];
  /**
   * The kinds manifests may use; give more to load kinds of your own packages.
   * @default tributaryKinds (core and every package the CLI wires in)
   */
  readonly kinds?: KindSet;
  /** Backend providers by broker class. @default defaultBackends() */
  readonly backends?: BackendRegistry;
  /** `source` of events published with {@link Mesh.publish} that do not set one. @default '/tributary/mesh' */
  readonly source?: string;
  /** How long `stop()` drains deliveries in flight. @default 10000 */
  readonly drainMs?: number;
  /**
   * A data directory: the default broker class and InMemoryChannel keep their events in an
   * embedded SQLite database there (docs/embedded-durable.md). `start()` rejects with
   * `DataDirLockedError` (from @tributary/sqlite) when another process owns it. When `backends`
   * is given too, the embedded durable provider is registered on it for `MTChannelBasedBroker`.
   * Tributary's signing keys persist in its `keys/` subdirectory (docs/security.md).
   */
  readonly dataDir?: string;
  /** With `dataDir`: `process-crash` (default) or `power-loss` (a sync per commit). */
  readonly durability?: 'process-crash' | 'power-loss';
  /** Transport and identity settings (docs/security.md). */
  readonly security?: MeshSecurityOptions;
}

/** Security settings of a mesh (the `tributary run` flags of docs/security.md). */
export interface MeshSecurityOptions {
  /** Where Tributary's signing keys persist (`--keys-dir`). @default `<dataDir>/keys`, else in memory */
  readonly keysDir?: string | undefined;
  /** The issuer URL of Tributary's delivery tokens (`--public-url`). @default the server URL */
  readonly publicUrl?: string | undefined;
  /** HTTPS only (`--tls-cert`, `--tls-key`, `--tls-client-ca`, `--tls-min-version`). */
  readonly tls?: TlsFiles | undefined;
  /** The admin token (`--admin-token-file`). */
  readonly admin?: AdminAccess | undefined;
  /** Server timeouts and connection limits. */
  readonly limits?: ServerLimits | undefined;
  /** Collects Secret values so logs and `/admin` never show them. @default a new one */
  readonly scrubber?: SecretScrubber | undefined;
}

/** Which events an in-process subscriber gets: a Trigger's `filter` and/or `filters`. */
export interface MeshFilter {
  readonly attributes?: TriggerFilter['attributes'];
  readonly filters?: readonly SubscriptionsApiFilter[];
}

/** A subscriber added with {@link Mesh.subscribe}. */
export interface MeshSubscription {
  /** The hidden Trigger's name (and its Function's), e.g. `tributary-mesh-subscriber-1`. */
  readonly name: string;
  /** Stops calling the handler; later events are acknowledged (202) without it. */
  unsubscribe(): void;
}

/** A Tributary running inside your program. */
export interface Mesh {
  /** The validated resources (without hidden subscriber resources). */
  readonly topology: Topology;
  /** Base URL once started (`''` before). */
  readonly url: string;
  /** Readiness per resource (empty before start). */
  readonly statuses: StatusBoard | undefined;
  /** Starts brokers, triggers, plugins and the HTTP server; resolves with the base URL. */
  start(): Promise<string>;
  /** Stops accepting, drains deliveries in flight (bounded by `drainMs`), closes everything. */
  stop(options?: { drainMs?: number }): Promise<void>;
  /**
   * Publishes one event to a broker as its HTTP ingress would (validation, TTL, arrival time).
   * Accepts a wire {@link CloudEvent} or a friendly {@link EventInput} (`id`, `time`, `source`
   * filled in). Resolves with the ingress status (202); throws `EventRejectedError` (from
   * @tributary/sdk) on any other status and `ProducerValidationError` for an invalid input.
   */
  publish(
    namespace: string,
    broker: string,
    event: CloudEvent | EventInput,
  ): Promise<{ status: number }>;
  /**
   * Adds an in-process subscriber: a hidden Trigger on the broker (with `filter`) whose subscriber
   * is an in-process Function calling `handler` with the usual function contract (a returned event
   * is a reply to the broker, throwing fails the delivery and is retried). Call before `start()`.
   * Throws `ConfigError` for a bad filter or an unknown broker.
   */
  subscribe(
    namespace: string,
    broker: string,
    filter: MeshFilter | undefined,
    handler: FunctionHandler,
  ): MeshSubscription;
  subscribe(namespace: string, broker: string, handler: FunctionHandler): MeshSubscription;
  /**
   * Sends a request through RequestReply `namespace/name` in-process (no HTTP) and resolves with
   * the reply event. Throws `ReplyTimeoutError` (from @tributary/sdk) when no reply arrives within
   * `timeout` ms (at most the RequestReply's `spec.timeout`), `EventRejectedError` for the other
   * refusals (404 unknown, 400 bad id, 409 id already waiting, 503 full or not Ready).
   */
  request(
    namespace: string,
    name: string,
    event: CloudEvent | EventInput,
    options?: { timeout?: number; signal?: AbortSignal },
  ): Promise<CloudEvent>;
  /**
   * Loads the input again (the manifest files, or `resources` when given) and applies it to the
   * running mesh (see `Runtime.apply`). Rejects with `ConfigError` listing every problem and
   * changes nothing when the new configuration is invalid.
   */
  reload(resources?: readonly unknown[]): Promise<ApplyReport>;
}
