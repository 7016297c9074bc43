import { BackendRegistry, memoryBackendProvider, type RuntimePlugin } from '@tributary/broker';
import { createFlowsPlugin } from '@tributary/flows';
import { createKafkaPlugin, kafkaBackendProvider } from '@tributary/kafka';
import { createSourcesPlugin } from '@tributary/sources';
import { createRabbitmqSourcePlugin, rabbitmqBackendProvider } from '@tributary/rabbitmq';
import { createRedisPlugin, redisBackendProvider } from '@tributary/redis';
import {
  createEventTransformPlugin,
  createRequestReplyPlugin,
  registerTransformsKinds,
} from '@tributary/transforms';

registerTransformsKinds();

/**
 * The plugins `tributary run` starts with the brokers. Importing a plugin's package also registers
 * its resource kinds with the manifest loader, so `validate` and `match` know them too.
 */
export function defaultPlugins(): RuntimePlugin[] {
  return [
    createKafkaPlugin(), // before flows: gives KafkaChannel its config
    createFlowsPlugin(),
    createSourcesPlugin(),
    createRabbitmqSourcePlugin(),
    createRedisPlugin(),
    createEventTransformPlugin(),
    createRequestReplyPlugin(),
  ];
}

/**
 * The backends `tributary run` knows, by broker class: technology packages register their
 * provider here (memory serves the default class `MTChannelBasedBroker`).
 */
export function defaultBackends(): BackendRegistry {
  return new BackendRegistry()
    .register(memoryBackendProvider)
    .register(kafkaBackendProvider)
    .register(rabbitmqBackendProvider)
    .register(redisBackendProvider);
}
