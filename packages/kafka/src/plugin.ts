/**
 * The Kafka plugin of `tributary run`: runs every KafkaSource and every KafkaSink. (KafkaChannel's
 * config comes from the provider, see `kafkaChannelBackendConfig`.)
 */
import type { PluginContext, RuntimePlugin } from '@tributary/broker';
import type { Loaded } from '@tributary/core';
import { createKafkaSinks } from './sink/kafka-sinks.js';
import type { KafkaSource } from './source/kafka-source-resource.js';
import type { KafkaSourceRunner } from './source/kafka-source-runner.js';

export { KAFKA_CHANNEL_CONFIG } from './kafka-provider.js';

export interface KafkaPluginOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Creates the plugin. */
export function createKafkaPlugin(options: KafkaPluginOptions = {}): RuntimePlugin {
  const runners: KafkaSourceRunner[] = [];
  const sinks = createKafkaSinks();
  return {
    name: 'kafka',
    register(ctx: PluginContext) {
      sinks.register(ctx);
    },
    async start(ctx: PluginContext) {
      await sinks.start(ctx);
      for (const s of ctx.topology.byKind('KafkaSource') as readonly Loaded<KafkaSource>[]) {
        const { namespace, name } = s.metadata;
        const logger = ctx.logger.child({ source: `KafkaSource/${namespace}/${name}` });
        const notReady = (reason: string, message: string): void => {
          ctx.statuses.set('KafkaSource', namespace, name, false, reason, message);
          logger.error({ reason }, `KafkaSource ${namespace}/${name}: ${message}`);
        };
        const sink = await ctx.resolve(s.spec.sink, namespace, {
          // The source is the sender EventPolicies name (docs/security.md).
          owner: { apiVersion: s.apiVersion, kind: 'KafkaSource', namespace, name },
        });
        if ('error' in sink) {
          notReady('SinkNotFound', sink.error);
          continue;
        }
        let deadLetter;
        const dlsSpec = s.spec.delivery?.deadLetterSink;
        if (dlsSpec) {
          const r = await ctx.resolve(dlsSpec, namespace);
          if ('error' in r) {
            notReady('DeadLetterSinkResolveFailed', r.error);
            continue;
          }
          deadLetter = r.target;
        }
        try {
          // kafkajs loads only when a KafkaSource exists (docs/architecture.md).
          const { startKafkaSource } = await import('./source/kafka-source-runner.js');
          const runner = await startKafkaSource({
            source: s,
            topology: ctx.topology,
            sink: sink.target,
            deadLetter,
            logger,
            env: options.env,
          });
          runners.push(runner);
          const waiting = runner.missingTopics;
          ctx.statuses.set(
            'KafkaSource',
            namespace,
            name,
            true,
            'Ready',
            `sink ${sink.target.url}${waiting.length ? `; topics not created yet (read from their start once they are): ${waiting.join(', ')}` : ''}`,
          );
          logger.info({ topics: s.spec.topics, sink: sink.target.url }, 'KafkaSource ready');
        } catch (err) {
          notReady('KafkaUnavailable', (err as Error).message);
        }
      }
    },
    async stop({ drainMs }) {
      await Promise.all(runners.splice(0).map((r) => r.stop(drainMs)));
      await sinks.stop();
    },
  };
}
