/**
 * `@tributary/kafka/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the Kafka
 * kinds as a value, the broker class provider, and the plugin descriptor whose `load` imports the
 * plugin's code only when a topology uses Kafka resources. kafkajs loads later still, when a Kafka
 * broker, channel, sink or source starts (docs/architecture.md, "Lazy technology packages").
 */
import type { RuntimePlugin } from '@tributary/broker';
import type { KindDefinition } from '@tributary/core';
import { kafkaChannelKind } from './channel/kafka-channel-resource.js';
import { kafkaSinkKind } from './sink/kafka-sink-resource.js';
import { kafkaSourceKinds } from './source/kafka-source-resource.js';

export { kafkaBackendProvider } from './kafka-provider.js';

/** KafkaChannel, KafkaSink and KafkaSource (v1 and v1beta1). */
export const kafkaKinds: readonly KindDefinition[] = Object.freeze([
  kafkaChannelKind,
  kafkaSinkKind,
  ...kafkaSourceKinds,
]);

/**
 * The Kafka plugin (KafkaSources, KafkaSinks, the KafkaChannel config), loaded when a topology
 * has a Kafka resource or a channel, Sequence or Parallel (whose template may be a KafkaChannel).
 * List it before the flows plugin.
 */
export const kafkaPluginDescriptor = {
  name: 'kafka',
  activatedBy: [
    'KafkaChannel',
    'KafkaSink',
    'KafkaSource',
    'Channel',
    'Sequence',
    'Parallel',
  ] as readonly string[],
  load: async (): Promise<RuntimePlugin> => (await import('./plugin.js')).createKafkaPlugin(),
};
