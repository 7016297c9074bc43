/**
 * The sources plugin of `tributary run`: webhook receivers under `/webhooks/` (registered before
 * anything resolves), then at start every source's sink is resolved and PingSources are scheduled
 * and ContainerSource processes started. Each source reports Ready (or why not) on the status board.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HttpError,
  type PluginContext,
  type RuntimePlugin,
  isLoopback,
  sendError,
} from '@tributary/broker';
import {
  type Destination,
  type Logger,
  type Sink,
  decodeHttp,
  parseIsoDuration,
  resolveSecretKeyRef,
} from '@tributary/core';
import { createSourceSink } from './common/source-sink.js';
import type { SupervisedProcess } from '@tributary/serving';
import { RELAY_KINDS, startContainers } from './container/start-containers.js';
import { type PingRunner, startPingSource } from './ping/ping-runner.js';
import type { CeOverrides } from './resources/common.js';
import { DeliveryDedupe } from './webhooks/dedupe.js';
import {
  githubEvent,
  gitlabEvent,
  verifyGitHubSignature,
  verifyGitLabToken,
} from './webhooks/git-receivers.js';
import { WEBHOOK_PREFIX, type WebhookReceiver, webhookHandler } from './webhooks/receiver.js';
import type { WebhookRequest } from './webhooks/verify.js';
import { compileVerification, webhookEvent } from './webhooks/webhook-source.js';

/** Options of {@link createSourcesPlugin}. */
export interface SourcesPluginOptions {
  /** Environment for secretKeyRef fallbacks. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default dedupe window of GitHub/GitLab sources (annotation `tributary.dev/dedupe-window` overrides). @default 1 h */
  readonly dedupeWindowMs?: number;
}

/** Annotation that sets the redelivery window of a GitHubSource or GitLabSource (ISO duration; PT0S disables). */
export const DEDUPE_WINDOW_ANNOTATION = 'tributary.dev/dedupe-window';

type SecretRef = { secretKeyRef: { name: string; key: string } };

/** Creates the plugin that runs PingSource, GitHubSource, GitLabSource, WebhookSource, ContainerSource and SinkBinding. */
export function createSourcesPlugin(options: SourcesPluginOptions = {}): RuntimePlugin {
  const receivers = new Map<string, WebhookReceiver>();
  const relays = new Map<string, Sink>();
  const pings: PingRunner[] = [];
  const processes: SupervisedProcess[] = [];
  const abort = new AbortController();
  const defaultWindow = options.dedupeWindowMs ?? 3_600_000;

  function addReceiver(
    ctx: PluginContext,
    kind: string,
    res: {
      metadata: {
        namespace: string;
        name: string;
        annotations?: Record<string, string> | undefined;
      };
    },
    build: (secret: (r: SecretRef) => string) => WebhookReceiver['receive'],
    windowMs: number,
    maxEntries?: number,
  ): void {
    const { namespace, name } = res.metadata;
    const logger = ctx.logger.child({ source: `${kind}/${namespace}/${name}` });
    const key = `${namespace}/${name}`;
    const existing = receivers.get(key);
    if (existing) {
      ctx.statuses.set(
        kind,
        namespace,
        name,
        false,
        'NameConflict',
        `${existing.kind} '${key}' already receives at ${WEBHOOK_PREFIX}${key}; rename one of them`,
      );
      logger.error(
        {},
        `${kind} ${key}: name conflict with ${existing.kind} ${key} on ${WEBHOOK_PREFIX}${key}`,
      );
      return;
    }
    let receive: WebhookReceiver['receive'];
    try {
      receive = build((r) =>
        resolveSecretKeyRef(ctx.topology, namespace, r.secretKeyRef, options.env),
      );
    } catch (err) {
      const message = (err as Error).message;
      ctx.statuses.set(kind, namespace, name, false, 'SecretMissing', message);
      logger.error({}, `${kind} ${key}: ${message}`);
      receive = () => {
        throw new HttpError(503, `${kind} ${key} is not ready: ${message}`);
      };
    }
    receivers.set(key, {
      kind,
      namespace,
      name,
      logger,
      receive,
      dedupe: new DeliveryDedupe({ windowMs, maxEntries }),
    });
  }

  const annotationWindow = (annotations: Record<string, string> | undefined): number => {
    const v = annotations?.[DEDUPE_WINDOW_ANNOTATION];
    return v === undefined ? defaultWindow : parseIsoDuration(v);
  };

  async function resolveSink(
    ctx: PluginContext,
    kind: string,
    namespace: string,
    name: string,
    sink: Destination,
    overrides: CeOverrides | undefined,
    logger: Logger,
  ): Promise<{ sink: Sink; url: string } | undefined> {
    // The source is the sender: EventPolicy `from.ref` entries name it (docs/security.md).
    const apiVersion =
      ctx.topology.get(kind, namespace, name)?.apiVersion ?? 'sources.knative.dev/v1';
    const resolved = await ctx.resolve(sink, namespace, {
      owner: { apiVersion, kind, namespace, name },
    });
    if ('error' in resolved) {
      ctx.statuses.set(kind, namespace, name, false, 'SinkNotFound', resolved.error);
      logger.error({}, `${kind} ${namespace}/${name}: sink not resolved: ${resolved.error}`);
      return undefined;
    }
    const target = resolved.target;
    return {
      sink: createSourceSink({ target, logger, signal: abort.signal, ceOverrides: overrides }),
      url: target.url,
    };
  }

  async function relay(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    body: Buffer,
  ): Promise<void> {
    const sink = relays.get(key);
    if (!sink) throw new HttpError(404, `no running ContainerSource or SinkBinding '${key}'`);
    if (req.method !== 'POST')
      throw new HttpError(405, 'POST CloudEvents to K_SINK', { allow: 'POST' });
    let events;
    try {
      events = decodeHttp(
        req.headers as Record<string, string | string[] | undefined>,
        body,
      ).events;
    } catch (err) {
      throw new HttpError(400, `not a CloudEvent: ${(err as Error).message}`);
    }
    try {
      for (const e of events) await sink(e);
    } catch (err) {
      return sendError(res, 502, (err as Error).message);
    }
    res.writeHead(202).end();
  }

  return {
    name: 'sources',
    register(ctx) {
      const t = ctx.topology;
      for (const gh of t.byKind('GitHubSource')) {
        if (!gh.spec.secretToken)
          ctx.logger.warn(
            { source: `GitHubSource/${gh.metadata.namespace}/${gh.metadata.name}` },
            'GitHubSource without secretToken: requests are not verified',
          );
        addReceiver(
          ctx,
          'GitHubSource',
          gh,
          (secret) => {
            const token = gh.spec.secretToken ? secret(gh.spec.secretToken) : undefined;
            return (req: WebhookRequest) => {
              if (token !== undefined) verifyGitHubSignature(req, token);
              return githubEvent(gh, req);
            };
          },
          annotationWindow(gh.metadata.annotations),
        );
      }
      for (const gl of t.byKind('GitLabSource')) {
        addReceiver(
          ctx,
          'GitLabSource',
          gl,
          (secret) => {
            const token = gl.spec.secretToken ? secret(gl.spec.secretToken) : undefined;
            return (req: WebhookRequest) => {
              if (token !== undefined) verifyGitLabToken(req, token);
              return gitlabEvent(gl, req);
            };
          },
          annotationWindow(gl.metadata.annotations),
        );
      }
      for (const ws of t.byKind('WebhookSource')) {
        const d = ws.spec.dedupe;
        addReceiver(
          ctx,
          'WebhookSource',
          ws,
          (secret) => {
            const verify = compileVerification(ws.spec.verification, secret);
            return (req: WebhookRequest, now: number) => {
              verify?.(req, now);
              return webhookEvent(ws, req);
            };
          },
          d ? parseIsoDuration(d.window) : defaultWindow,
          d?.maxEntries,
        );
      }
      const webhooks = webhookHandler(receivers);
      ctx.server.route(
        '*',
        (p) => p.startsWith(WEBHOOK_PREFIX),
        async (req, res, rc) => {
          const parts = rc.path.slice(WEBHOOK_PREFIX.length).split('/');
          if (parts.length === 3 && parts[1]! in RELAY_KINDS) {
            // The K_SINK relay sends as the ContainerSource: with authentication on, only the
            // processes Tributary started (on this machine) may use it (docs/security.md).
            if (ctx.security.authorizer && !isLoopback(req.socket.remoteAddress))
              throw new HttpError(
                403,
                'the K_SINK relay answers only local processes when authentication is on',
              );
            return relay(req, res, `${parts[1]}/${parts[0]}/${parts[2]}`, await rc.readBody());
          }
          return webhooks(req, res, rc);
        },
      );
    },

    async start(ctx) {
      const t = ctx.topology;
      for (const r of receivers.values()) {
        const res = t.get<{
          apiVersion: string;
          kind: string;
          metadata: { name: string; namespace: string };
          spec: { sink: Destination; ceOverrides?: CeOverrides };
        }>(r.kind, r.namespace, r.name)!;
        const s = await resolveSink(
          ctx,
          r.kind,
          r.namespace,
          r.name,
          res.spec.sink,
          res.spec.ceOverrides,
          r.logger,
        );
        if (!s) continue;
        r.sink = s.sink;
        if (
          !ctx.statuses
            .notReady()
            .some((n) => n.kind === r.kind && n.namespace === r.namespace && n.name === r.name)
        )
          ctx.statuses.set(
            r.kind,
            r.namespace,
            r.name,
            true,
            'Listening',
            `POST ${ctx.baseUrl}${WEBHOOK_PREFIX}${r.namespace}/${r.name} → ${s.url}`,
          );
        r.logger.info({ sink: s.url }, 'webhook source ready');
      }
      for (const ps of t.byKind('PingSource')) {
        const { namespace, name } = ps.metadata;
        const logger = ctx.logger.child({ source: `PingSource/${namespace}/${name}` });
        const s = await resolveSink(
          ctx,
          'PingSource',
          namespace,
          name,
          ps.spec.sink,
          ps.spec.ceOverrides,
          logger,
        );
        if (!s) continue;
        const runner = startPingSource(ps, s.sink, logger);
        pings.push(runner);
        ctx.statuses.set(
          'PingSource',
          namespace,
          name,
          true,
          'Scheduled',
          `schedule '${ps.spec.schedule}' → ${s.url}; next run ${runner.nextRun()?.toISOString() ?? 'never'}`,
        );
        logger.info({ schedule: ps.spec.schedule, sink: s.url }, 'PingSource scheduled');
      }
      await startContainers(ctx, {
        resolveSink: (kind, ns, name, sink, logger) =>
          resolveSink(ctx, kind, ns, name, sink, undefined, logger),
        relays,
        processes,
        env: options.env,
      });
    },

    async stop({ drainMs }) {
      await Promise.all(pings.map((p) => p.stop(Math.min(drainMs, 5_000))));
      abort.abort();
      await Promise.all(processes.map((p) => p.stop(Math.min(drainMs, 5_000))));
    },
  };
}
