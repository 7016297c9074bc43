/**
 * `@tributary/rabbitmq/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the
 * RabbitMQ kinds as a value, the broker class provider, and the plugin descriptor whose `load`
 * imports the source plugin's code only when a topology has a RabbitmqSource. amqplib loads later
 * still (docs/architecture.md, "Lazy technology packages").
 */
import type { RuntimePlugin } from '@tributary/broker';

export { rabbitmqKinds } from './resources.js';
export { rabbitmqBackendProvider } from './rabbitmq-provider.js';

/** The RabbitmqSource plugin, loaded when a topology has a RabbitmqSource. */
export const rabbitmqSourcePluginDescriptor = {
  name: 'rabbitmq-sources',
  activatedBy: ['RabbitmqSource'] as readonly string[],
  load: async (): Promise<RuntimePlugin> =>
    (await import('./source-plugin.js')).createRabbitmqSourcePlugin(),
};
