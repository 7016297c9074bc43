/** The HTTP side of a runtime: its server (readiness from the status board) and its routes. */
import type { Registry } from 'prom-client';
import { type Logger, type Topology, redactUrlsInText } from '@tributary/core';
import { MemoryReplayStore } from '../archive/memory-archive.js';
import { ReplayManager } from '../archive/replay-manager.js';
import { registerReplayRoutes } from '../archive/replay-routes.js';
import type { RoutedArchive } from '../archive/routed-archive.js';
import { registerCatalogRoutes } from '../catalog/catalog-routes.js';
import type { EventCatalog } from '../catalog/event-catalog.js';
import { registerDeadLetterRoutes } from '../deadletters/dead-letter-api.js';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import { HttpError } from '../http/http-error.js';
import { type HttpServer, createHttpServer } from '../http/http-server.js';
import { type BrokerIngress, parseBrokerPath } from '../ingress/broker-ingress.js';
import {
  ADMIN_API_PREFIX,
  NO_ADMIN_ENDPOINT,
  registerOperationsRoutes,
} from '../observability/admin-api.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import { type TriggerSet, triggerBroker } from '../subscriptions/trigger-set.js';
import type { BrokerSet } from './broker-set.js';
import type { FlowControl } from './flow-control.js';
import type { PluginHost } from './plugin-host.js';
import { createReplayHost } from './replay-host.js';
import type { StatusBoard } from './resource-status.js';
import type { RuntimeOptions } from './runtime-types.js';

/** The runtime's one HTTP server; `/readyz` says "starting" until `starting()` turns false. */
export function createRuntimeServer(
  options: RuntimeOptions,
  logger: Logger,
  statuses: StatusBoard,
  starting: () => boolean,
): HttpServer {
  return createHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8080,
    logger: logger.child({ component: 'http' }),
    maxBodyBytes: options.maxBodyBytes,
    readiness: () => {
      // `/readyz` is public: its messages never show URL credentials or Secret values.
      const scrub = options.scrub ?? redactUrlsInText;
      const all = statuses.readiness();
      const notReady = all.notReady.map((n) => ({ ...n, message: scrub(n.message) }));
      if (!starting()) return { ...all, notReady };
      const self = { resource: 'Runtime', reason: 'Starting', message: 'tributary is starting' };
      return { ready: false, notReady: [self, ...notReady] };
    },
    ingressAuthorizer: () => options.security?.authorizer,
    tls: options.tls,
    admin: options.admin,
    limits: options.limits,
  });
}

/** Replays of archived brokers' events to their running triggers (docs/failed-deliveries.md). */
export function createReplays(
  options: RuntimeOptions,
  archive: RoutedArchive,
  registry: Registry,
  logger: Logger,
  parts: { topology(): Topology; brokers: BrokerSet; triggers: TriggerSet },
): ReplayManager {
  const host = createReplayHost({
    triggers: () =>
      [...parts.triggers.values()].map((t) => ({
        namespace: t.namespace,
        name: t.name,
        broker: `${t.broker.namespace}/${t.broker.name}`,
        dispatcherOptions: t.dispatcherOptions,
      })),
    expected: (key) =>
      parts
        .topology()
        .triggers.filter((t) => `${t.metadata.namespace}/${triggerBroker(t)}` === key)
        .map((t) => t.metadata.name),
    archived: (key) => {
      const b = parts.brokers.get(key);
      return b && b.retentionMs !== undefined;
    },
  });
  return new ReplayManager(archive, options.replayStore ?? new MemoryReplayStore(), host, {
    registry,
    logger: logger.child({ component: 'replay' }),
  });
}

/** The admin API, the plugin routes' group, then the broker ingress as the catch-all. */
export function registerRuntimeRoutes(o: {
  server: HttpServer;
  options: RuntimeOptions;
  metrics: RuntimeMetrics;
  topology(): Topology;
  statuses: StatusBoard;
  deadLetters: DeadLetterService;
  flow: FlowControl;
  replays: ReplayManager;
  catalog: EventCatalog;
  plugins: PluginHost;
  ingress: BrokerIngress;
}): void {
  const { server, metrics, ingress } = o;
  registerDeadLetterRoutes(server, o.deadLetters, {
    authorizeWrite: o.options.authorizeAdminWrite,
  });
  registerOperationsRoutes(server, {
    metrics,
    topology: o.topology,
    statuses: o.statuses,
    scrub: o.options.scrub,
  });
  o.flow.registerRoutes(server);
  registerReplayRoutes(server, o.replays);
  registerCatalogRoutes(server, () => o.catalog);
  o.plugins.installRoutes();
  // An admin path nothing answers is a missing endpoint, not a broker ingress path
  // (docs/operations.md, "Admin API"): clients such as the console say "not available".
  server.route(
    '*',
    (p) => p.startsWith(ADMIN_API_PREFIX),
    (req, _res, ctx) => {
      const what = `${(req.method ?? 'GET').toUpperCase()} ${ctx.path}`;
      throw new HttpError(404, `${NO_ADMIN_ENDPOINT} '${what}' on this server`);
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
}
