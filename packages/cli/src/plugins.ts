import { type AuthPluginOptions, createAuthPlugin, registerAuthKinds } from '@tributary/auth';
import { BackendRegistry, memoryBackendProvider, type RuntimePlugin } from '@tributary/broker';
import { createFlowsPlugin } from '@tributary/flows';
import { createKafkaPlugin, kafkaBackendProvider } from '@tributary/kafka/wiring';
import { createServingPlugin, registerServingKinds } from '@tributary/serving';
import { createSourcesPlugin } from '@tributary/sources';
import { createRabbitmqSourcePlugin, rabbitmqBackendProvider } from '@tributary/rabbitmq/wiring';
import { createRedisPlugin, redisBackendProvider } from '@tributary/redis/wiring';
import {
  createEventTransformPlugin,
  createRequestReplyPlugin,
  registerTransformsKinds,
} from '@tributary/transforms';

/**
 * Kinds registered explicitly (packages added since the second wave have no import side effects):
 * the serving kinds (Service, JobSink) and the transforms kinds (EventTransform, RequestReply).
 * Runs when this module loads, before any manifest does.
 */
export function registerKinds(): void {
  registerServingKinds();
  registerTransformsKinds();
}
registerKinds();

registerAuthKinds();

/**
 * The plugins `tributary run` starts with the brokers. Importing a plugin's package also registers
 * its resource kinds with the manifest loader, so `validate` and `match` know them too. With
 * `auth`, the auth plugin comes first (docs/security.md). Technology packages are imported through
 * their `/wiring` entry, which loads no driver (docs/architecture.md, "Lazy technology packages").
 */
export function defaultPlugins(auth?: AuthPluginOptions): RuntimePlugin[] {
  return [
    ...(auth ? [createAuthPlugin(auth)] : []),
    createKafkaPlugin(), // before flows: gives KafkaChannel its config
    createFlowsPlugin(),
    createServingPlugin(),
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
