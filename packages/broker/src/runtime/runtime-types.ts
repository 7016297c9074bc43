import type { IncomingMessage } from 'node:http';
import type { EventTapSource } from '../observability/event-tap.js';
import type { CloudEvent, Logger, Topology } from '@tributary/core';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { DispatchOutcome } from '../dispatcher/dispatcher.js';
import type { EventArchive, ReplayStore } from '../archive/archive-types.js';
import type { FlowStateStore } from './flow-control.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import type { BackendRegistry } from './backend-registry.js';
import type { RuntimePlugin } from './plugin.js';
import type { StatusBoard } from './resource-status.js';
import type { SecurityHooks } from './destination-resolver.js';
import type { AdminAccess, ServerLimits, TlsFiles } from '../http/server-security.js';

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
  /**
   * Builds a fresh plugin set; `apply` uses it when non-Trigger resources changed (plugins keep
   * state, so a new generation needs new instances). Without it `apply` restarts `plugins`.
   */
  readonly createPlugins?: () => readonly RuntimePlugin[];
  /** The security hooks (authorizer, delivery credentials); the auth plugin fills them. */
  readonly security?: SecurityHooks;
  /** HTTPS only, from these files. */
  readonly tls?: TlsFiles;
  /** The admin token rule. */
  readonly admin?: AdminAccess;
  /** Server timeouts and connection limits. */
  readonly limits?: ServerLimits;
  /** Scrubs Secret values and URL credentials from `/admin` answers (the CLI's log scrubber). */
  readonly scrub?: (text: string) => string;
  /** Called with every dispatch outcome (metrics, tests). */
  readonly onOutcome?: (o: DispatchOutcome & { trigger: string }) => void;
  /** Archive of brokers with `tributary.dev/archive-retention`. @default a memory ring (archive/memory-archive.ts) */
  readonly archive?: EventArchive;
  /** Where replay progress is kept. @default in memory */
  readonly replayStore?: ReplayStore;
  /** Where pause/resume set while running survives a restart. @default not kept */
  readonly flowState?: FlowStateStore;
  /**
   * Bound of the in-memory dead-letter store of each broker whose backend has no store of its own
   * (docs/failed-deliveries.md). @default 10000
   */
  readonly deadLetterCapacity?: number;
  /** Guards the admin API's write endpoints (redrive, purge); throw an HttpError to refuse. */
  readonly authorizeAdminWrite?: (req: IncomingMessage) => void | Promise<void>;
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
  /**
   * Applies a new validated topology while running (`tributary run --watch`): Triggers are added,
   * replaced or removed one by one (draining deliveries in flight), new Brokers start, removed
   * ones close after their Triggers; when anything besides Triggers changed the plugin set
   * (flows, sources) is stopped and started again on the new topology.
   */
  apply(topology: Topology, options?: { drainMs?: number }): Promise<ApplyReport>;
  readonly statuses: StatusBoard;
  /** EventTypes declared and auto-created, with data schemas (also at `GET /admin/v1/eventtypes`). */
  readonly catalog: EventCatalog;
  /** The runtime's Prometheus metrics (also served at `GET /metrics`). */
  readonly metrics: RuntimeMetrics;
  /** Live events as brokers accept them and triggers deliver them (docs/console.md). */
  readonly eventTap: EventTapSource;
  /** The topology running now. */
  readonly topology: Topology;
  /** The brokers' dead-letter stores (docs/failed-deliveries.md). */
  readonly deadLetters: DeadLetterService;
  readonly url: string;
}

/** What `apply` changed. */
export interface ApplyReport {
  readonly triggersAdded: readonly string[];
  readonly triggersChanged: readonly string[];
  readonly triggersRemoved: readonly string[];
  readonly brokersAdded: readonly string[];
  readonly brokersRemoved: readonly string[];
  /** Brokers whose class or config changed: the running backend is kept until a restart. */
  readonly brokersNeedingRestart: readonly string[];
  readonly pluginsRestarted: boolean;
}
