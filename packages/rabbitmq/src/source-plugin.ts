/**
 * The RabbitmqSource plugin of `tributary run`: for every RabbitmqSource it resolves the
 * connection Secret and the sink, connects (reconnecting after losses) and consumes the queue,
 * reporting Ready or why not on the status board.
 */
import type { PluginContext, RuntimePlugin } from '@tributary/broker';
import { clientName, compileDelivery } from '@tributary/core';
import { DEFAULT_SOURCE_DELIVERY, createSourceSink } from '@tributary/sources';
import type { AmqpLink } from './amqp-link.js';
import { redactUrl, resolveAmqpUrl } from './connection-url.js';
import type { RabbitmqSource } from './resources.js';
import type { SourceConsumer } from './source-consumer.js';

/** Options of {@link createRabbitmqSourcePlugin}. */
export interface RabbitmqSourcePluginOptions {
  /** Environment for Secret fallbacks (`<SECRET>_<KEY>`). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long the first connection may take before the source is reported not Ready. @default 10000 */
  readonly connectTimeoutMs?: number;
}

/** Creates the plugin that runs RabbitmqSources. */
export function createRabbitmqSourcePlugin(
  options: RabbitmqSourcePluginOptions = {},
): RuntimePlugin {
  const running: Array<{ link: AmqpLink; consumer: SourceConsumer }> = [];
  const abort = new AbortController();

  async function startOne(ctx: PluginContext, src: RabbitmqSource): Promise<void> {
    const { namespace, name } = src.metadata;
    const logger = ctx.logger.child({ source: `RabbitmqSource/${namespace}/${name}` });
    const notReady = (reason: string, message: string): void => {
      ctx.statuses.set('RabbitmqSource', namespace, name, false, reason, message);
      logger.error({ reason }, `RabbitmqSource ${namespace}/${name}: ${message}`);
    };
    const cfg = src.spec.rabbitmqResourcesConfig;
    let url: string;
    try {
      url = resolveAmqpUrl(
        ctx.topology,
        namespace,
        src.spec.rabbitmqClusterReference,
        cfg.vhost,
        options.env,
      );
    } catch (err) {
      return notReady('ConnectionSecretInvalid', (err as Error).message);
    }
    const resolved = await ctx.resolve(src.spec.sink, namespace, {
      // The source is the sender EventPolicies name (docs/security.md).
      owner: { apiVersion: src.apiVersion, kind: 'RabbitmqSource', namespace, name },
    });
    if ('error' in resolved) return notReady('SinkNotFound', resolved.error);
    const policy = src.spec.delivery
      ? {
          ...compileDelivery(src.spec.delivery, {}),
          retryAfterMaxMs: DEFAULT_SOURCE_DELIVERY.retryAfterMaxMs,
        }
      : DEFAULT_SOURCE_DELIVERY;
    const sink = createSourceSink({
      target: resolved.target,
      policy,
      logger,
      signal: abort.signal,
    });
    // amqplib loads only when a RabbitmqSource exists (docs/architecture.md).
    const [{ AmqpLink }, { SourceConsumer }] = await Promise.all([
      import('./amqp-link.js'),
      import('./source-consumer.js'),
    ]);
    const link = new AmqpLink(url, clientName(`source-${namespace}-${name}`), logger);
    const consumer = new SourceConsumer(link, {
      namespace,
      name,
      queue: cfg.queueName,
      exchange: cfg.exchangeName,
      predeclared: cfg.predeclared,
      parallelism: cfg.parallelism,
      sink,
      logger,
    });
    running.push({ link, consumer });
    try {
      await link.open(options.connectTimeoutMs ?? 10_000);
    } catch (err) {
      await link.close();
      return notReady('ConnectionFailed', (err as Error).message);
    }
    ctx.statuses.set(
      'RabbitmqSource',
      namespace,
      name,
      true,
      'Ready',
      `queue ${cfg.queueName} on ${redactUrl(url)} → ${resolved.target.url}`,
    );
    logger.info({ queue: cfg.queueName, sink: resolved.target.url }, 'RabbitmqSource ready');
  }

  return {
    name: 'rabbitmq-sources',
    async start(ctx) {
      for (const src of ctx.topology.byKind('RabbitmqSource')) await startOne(ctx, src);
    },
    async stop({ drainMs }) {
      await Promise.all(running.map((r) => r.consumer.close(drainMs)));
      abort.abort();
      await Promise.all(running.map((r) => r.link.close()));
      running.length = 0;
    },
  };
}
