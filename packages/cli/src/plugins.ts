/**
 * The plugins and backends `tributary run` wires in, explicitly (docs/embedding.md, "Wiring").
 * Each plugin is a descriptor from its package's light `/kinds` entry, wrapped by
 * {@link lazyPlugin}: its code is imported only when the topology has one of its kinds. Backends
 * come from the same entries; their drivers load when a broker of their class starts
 * (docs/architecture.md, "Lazy technology packages").
 */
import type { AuthPluginOptions } from '@tributary/auth';
import { BackendRegistry, memoryBackendProvider, type RuntimePlugin } from '@tributary/broker';
import { flowsPluginDescriptor } from '@tributary/flows/kinds';
import { kafkaBackendProvider, kafkaPluginDescriptor } from '@tributary/kafka/kinds';
import { rabbitmqBackendProvider, rabbitmqSourcePluginDescriptor } from '@tributary/rabbitmq/kinds';
import { redisBackendProvider, redisPluginDescriptor } from '@tributary/redis/kinds';
import { servingPluginDescriptor } from '@tributary/serving/kinds';
import { sourcesPluginDescriptor } from '@tributary/sources/kinds';
import {
  eventTransformPluginDescriptor,
  requestReplyPluginDescriptor,
} from '@tributary/transforms/kinds';
import { type LazyPlugin, type PluginDescriptor, lazyPlugin } from './lazy-plugin.js';

/** The plugin descriptors, in start order: Kafka before flows (it gives KafkaChannel its config). */
export const pluginDescriptors: readonly PluginDescriptor[] = Object.freeze([
  kafkaPluginDescriptor,
  flowsPluginDescriptor,
  servingPluginDescriptor,
  sourcesPluginDescriptor,
  rabbitmqSourcePluginDescriptor,
  redisPluginDescriptor,
  eventTransformPluginDescriptor,
  requestReplyPluginDescriptor,
]);

/**
 * The auth plugin: with `auth` options it always runs (it serves the JWKS and issues delivery
 * tokens even without an Authentication resource); without, only for Authentication or
 * EventPolicy resources it could not act on anyway, so it is left out as before.
 */
function authPluginDescriptor(auth: AuthPluginOptions): PluginDescriptor {
  return {
    name: 'auth',
    activatedBy: ['Authentication', 'EventPolicy'],
    load: async () => (await import('@tributary/auth')).createAuthPlugin(auth),
  };
}

/**
 * The plugins `tributary run` starts with the brokers, each loaded only when used. With `auth`,
 * the auth plugin comes first (docs/security.md).
 */
export function defaultPlugins(auth?: AuthPluginOptions): LazyPlugin[] {
  return [
    ...(auth ? [lazyPlugin(authPluginDescriptor(auth), true)] : []),
    ...pluginDescriptors.map((d) => lazyPlugin(d)),
  ];
}

/** The real plugin behind `plugin` when it is lazy and loaded, else `plugin` itself. */
export function loadedPlugin(plugin: RuntimePlugin): RuntimePlugin | undefined {
  return 'loaded' in plugin ? (plugin as LazyPlugin).loaded : plugin;
}

/**
 * The backends `tributary run` knows, by broker class (memory serves the default class
 * `MTChannelBasedBroker`).
 */
export function defaultBackends(): BackendRegistry {
  return new BackendRegistry()
    .register(memoryBackendProvider)
    .register(kafkaBackendProvider)
    .register(rabbitmqBackendProvider)
    .register(redisBackendProvider);
}
