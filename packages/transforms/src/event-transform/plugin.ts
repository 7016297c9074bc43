/**
 * The EventTransform runtime plugin (docs/transforms.md): compiles each expression in `register`
 * (JSONata is imported only when there is one), makes each EventTransform addressable (refs from
 * Triggers, Subscriptions, Sequence steps and sources, and `POST /<ns>/eventtransforms/<name>`),
 * resolves sinks in `start`, and reports Ready per resource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  DeliveryTarget,
  PluginContext,
  RouteContext,
  RuntimePlugin,
  SendOptions,
  SendOutcome,
} from '@tributary/broker';
import { sendError } from '@tributary/broker';
import type { CloudEvent, Loaded } from '@tributary/core';
import { TransformExpressionError } from '../errors.js';
import { pathSegment, readOneEvent, writeOutcome } from '../http-answer.js';
import { EVENTING_V1ALPHA1, type EventTransform } from '../resources.js';
import {
  type CompiledExpression,
  type EvaluationLimits,
  compileExpression,
} from './jsonata-expression.js';
import { createTransformTarget } from './transform-target.js';

/** `POST /<ns>/eventtransforms/<name>`. */
export const EVENT_TRANSFORM_PATH = /^\/(?<ns>[^/]+)\/eventtransforms\/(?<name>[^/]+)\/?$/;

/** How long an HTTP caller of an EventTransform address waits for the sink. */
const HTTP_SEND_TIMEOUT_MS = 30_000;

/** Options of {@link createEventTransformPlugin}. */
export interface EventTransformPluginOptions {
  /** Limits of one JSONata evaluation. */
  readonly limits?: EvaluationLimits;
}

interface Entry {
  readonly resource: Loaded<EventTransform>;
  expression?: CompiledExpression;
  replyExpression?: CompiledExpression;
  target?: DeliveryTarget;
  /** Why it cannot deliver (not Ready). */
  problem?: string;
}

const notReadyOutcome = (message: string): SendOutcome => ({
  kind: 'response',
  status: 503,
  headers: { 'content-type': 'application/json', 'retry-after': '5' },
  body: Buffer.from(JSON.stringify({ error: message })),
});

/** Creates the plugin that runs `eventing.knative.dev/v1alpha1` EventTransform. */
export function createEventTransformPlugin(
  options: EventTransformPluginOptions = {},
): RuntimePlugin {
  const entries = new Map<string, Entry>();

  const deliver = (key: string, event: CloudEvent, o: SendOptions): Promise<SendOutcome> => {
    const e = entries.get(key);
    if (!e?.target)
      return Promise.resolve(
        notReadyOutcome(`EventTransform '${key}' is not Ready: ${e?.problem ?? 'starting'}`),
      );
    return e.target.send(event, o);
  };

  return {
    name: 'eventtransform',
    async register(ctx: PluginContext) {
      entries.clear();
      const log = ctx.logger.child({ component: 'eventtransform' });
      for (const t of ctx.topology.byKind('EventTransform') as readonly Loaded<EventTransform>[]) {
        const { namespace: ns, name } = t.metadata;
        const key = `${ns}/${name}`;
        const entry: Entry = { resource: t };
        entries.set(key, entry);
        try {
          entry.expression = await compileExpression(
            t.spec.jsonata?.expression ?? '',
            options.limits,
          );
          const replySource = t.spec.reply?.jsonata?.expression;
          if (replySource !== undefined)
            entry.replyExpression = await compileExpression(replySource, options.limits);
        } catch (err) {
          if (!(err instanceof TransformExpressionError)) throw err;
          entry.problem = err.message;
          ctx.statuses.set('EventTransform', ns, name, false, 'InvalidExpression', err.message);
          log.warn({ namespace: ns, name, reason: err.message }, 'eventtransform not ready');
        }
        ctx.registerAddressable(EVENTING_V1ALPHA1, 'EventTransform', ns, name, {
          target: () => ({
            get url() {
              return `${ctx.baseUrl}/${ns}/eventtransforms/${name}`;
            },
            send: (event, o) => deliver(key, event, o),
          }),
        });
      }
      ctx.server.route('*', EVENT_TRANSFORM_PATH, (req, res, rc) =>
        handleHttp(req, res, rc, (ns, name) => entries.has(`${ns}/${name}`), deliver, log),
      );
    },

    async start(ctx: PluginContext) {
      const log = ctx.logger.child({ component: 'eventtransform' });
      for (const [key, e] of entries) {
        if (!e.expression) continue;
        const { namespace: ns, name } = e.resource.metadata;
        let sink: DeliveryTarget | undefined;
        if (e.resource.spec.sink) {
          const r = await ctx.resolve(e.resource.spec.sink, ns);
          if ('error' in r) {
            e.problem = `sink: ${r.error}`;
            ctx.statuses.set('EventTransform', ns, name, false, 'SinkResolveFailed', e.problem);
            log.warn({ namespace: ns, name, reason: e.problem }, 'eventtransform not ready');
            continue;
          }
          sink = r.target;
        }
        e.target = createTransformTarget({
          resource: key,
          url: () => `${ctx.baseUrl}/${ns}/eventtransforms/${name}`,
          expression: e.expression,
          sink,
          replyExpression: e.replyExpression,
          discardReply: e.resource.spec.reply?.discard === true,
          logger: log.child({ eventtransform: key }),
        });
        const how = sink ? `sink ${sink.url}` : 'reply to the sender';
        ctx.statuses.set('EventTransform', ns, name, true, 'Ready', `jsonata, ${how}`);
        log.info({ namespace: ns, name, sink: sink?.url }, 'eventtransform ready');
      }
    },

    async stop() {
      entries.clear();
    },
  };
}

async function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  exists: (ns: string, name: string) => boolean,
  deliver: (key: string, event: CloudEvent, o: SendOptions) => Promise<SendOutcome>,
  log: PluginContext['logger'],
): Promise<void> {
  const ns = pathSegment(ctx.params['ns']);
  const name = pathSegment(ctx.params['name']);
  const what = `EventTransform '${ns}/${name}'`;
  const event = await readOneEvent(req, res, ctx, what, log, {
    kind: 'EventTransform',
    namespace: ns,
    name,
  });
  if (!event) return;
  if (!exists(ns, name)) return sendError(res, 404, `${what} not found`);
  const outcome = await deliver(`${ns}/${name}`, event, {
    format: 'binary',
    expectReply: true,
    timeoutMs: HTTP_SEND_TIMEOUT_MS,
  });
  writeOutcome(res, outcome);
}
