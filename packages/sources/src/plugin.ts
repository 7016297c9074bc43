/**
 * The sources plugin of `tributary run`: webhook receivers under `/webhooks/` (registered before
 * anything resolves), then at start every source's sink is resolved and PingSources are scheduled
 * and ContainerSource processes started. Each source reports Ready (or why not) on the status board.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { HttpError, type PluginContext, type RuntimePlugin, sendError } from '@tributary/broker';
import {
  type Destination,
  type Logger,
  type Sink,
  decodeHttp,
  parseIsoDuration,
  resolveSecretKeyRef,
} from '@tributary/core';
import { createSourceSink } from './common/source-sink.js';
import { bindingSubjects, containerEnv } from './container/container-env.js';
import { type SupervisedProcess, superviseProcess } from './container/process-supervisor.js';
import { type PingRunner, startPingSource } from './ping/ping-runner.js';
import type { CeOverrides } from './resources/common.js';
import type { SinkBinding } from './resources/container.js';
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

const RELAY_KINDS = { containersources: 'ContainerSource', sinkbindings: 'SinkBinding' } as const;

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
    const resolved = await ctx.resolve(sink, namespace);
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
          if (parts.length === 3 && parts[1]! in RELAY_KINDS)
            return relay(req, res, `${parts[1]}/${parts[0]}/${parts[2]}`, await rc.readBody());
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
      await startContainers(ctx);
    },

    async stop({ drainMs }) {
      await Promise.all(pings.map((p) => p.stop(Math.min(drainMs, 5_000))));
      abort.abort();
      await Promise.all(processes.map((p) => p.stop(Math.min(drainMs, 5_000))));
    },
  };

  async function startContainers(ctx: PluginContext): Promise<void> {
    const t = ctx.topology;
    const boundBy = new Map<string, SinkBinding & { url: string }>();
    for (const sb of t.byKind('SinkBinding')) {
      const { namespace, name } = sb.metadata;
      const logger = ctx.logger.child({ source: `SinkBinding/${namespace}/${name}` });
      const s = await resolveSink(
        ctx,
        'SinkBinding',
        namespace,
        name,
        sb.spec.sink,
        undefined,
        logger,
      );
      if (!s) continue;
      const url = sinkUrl(ctx, 'sinkbindings', namespace, name, s.url);
      relays.set(`sinkbindings/${namespace}/${name}`, s.sink);
      const subjects = bindingSubjects(sb, t);
      if (subjects.length === 0) {
        ctx.statuses.set(
          'SinkBinding',
          namespace,
          name,
          false,
          'SubjectMissing',
          `no ContainerSource matches the subject in namespace '${sb.spec.subject.namespace ?? namespace}'`,
        );
        logger.warn({}, `SinkBinding ${namespace}/${name}: no subject matches`);
        continue;
      }
      for (const cs of subjects) {
        const key = `${cs.metadata.namespace}/${cs.metadata.name}`;
        if (boundBy.has(key))
          logger.warn(
            {},
            `ContainerSource ${key} is already bound by SinkBinding ${boundBy.get(key)!.metadata.name}; keeping that one`,
          );
        else boundBy.set(key, { ...sb, url });
      }
      ctx.statuses.set(
        'SinkBinding',
        namespace,
        name,
        true,
        'Bound',
        `K_SINK=${url} for ${subjects.map((c) => `ContainerSource/${c.metadata.name}`).join(', ')}`,
      );
    }
    for (const cs of t.byKind('ContainerSource')) {
      const { namespace, name } = cs.metadata;
      const logger = ctx.logger.child({ source: `ContainerSource/${namespace}/${name}` });
      const binding = boundBy.get(`${namespace}/${name}`);
      let url: string;
      let overrides = cs.spec.ceOverrides;
      if (binding) {
        url = binding.url;
        overrides = binding.spec.ceOverrides;
      } else {
        const s = await resolveSink(
          ctx,
          'ContainerSource',
          namespace,
          name,
          cs.spec.sink,
          undefined,
          logger,
        );
        if (!s) continue;
        relays.set(`containersources/${namespace}/${name}`, s.sink);
        url = sinkUrl(ctx, 'containersources', namespace, name, s.url);
      }
      const baseDir = path.dirname(cs.source.file);
      try {
        const secret = (r: SecretRef) =>
          resolveSecretKeyRef(t, namespace, r.secretKeyRef, options.env);
        cs.spec.template.spec.containers.forEach((c, i) => {
          const label = `${namespace}/${name}/${c.name ?? i}`;
          if (c.image)
            logger.info(
              { container: label, image: c.image },
              `container ${label}: image '${c.image}' ignored; running command`,
            );
          const env = containerEnv(c, url, overrides, secret);
          processes.push(
            superviseProcess(
              {
                label,
                command: c.command,
                args: c.args,
                env,
                cwd: path.resolve(baseDir, c.workingDir ?? '.'),
              },
              logger,
            ),
          );
        });
        ctx.statuses.set(
          'ContainerSource',
          namespace,
          name,
          true,
          'Running',
          `${cs.spec.template.spec.containers.length} process(es), K_SINK=${url}`,
        );
      } catch (err) {
        ctx.statuses.set(
          'ContainerSource',
          namespace,
          name,
          false,
          'SecretMissing',
          (err as Error).message,
        );
        logger.error({}, `ContainerSource ${namespace}/${name}: ${(err as Error).message}`);
      }
    }
  }
}

/** K_SINK: the sink's own HTTP URL when it has one, else the relay route on this server. */
function sinkUrl(
  ctx: PluginContext,
  kind: keyof typeof RELAY_KINDS,
  ns: string,
  name: string,
  targetUrl: string,
): string {
  return /^https?:\/\//.test(targetUrl)
    ? targetUrl
    : `${ctx.baseUrl}${WEBHOOK_PREFIX}${ns}/${kind}/${name}`;
}
