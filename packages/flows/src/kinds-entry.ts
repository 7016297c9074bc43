/**
 * `@tributary/flows/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the flows
 * kinds as a value, the resource schemas, and the plugin descriptor whose `load` imports the
 * plugin's code only when a topology has one of its kinds.
 */
import type { RuntimePlugin } from '@tributary/broker';

export { flowsKinds } from './kinds.js';
export * from './resources.js';

/** The flows plugin, loaded when a topology has a channel, Subscription, Sequence or Parallel. */
export const flowsPluginDescriptor = {
  name: 'flows',
  activatedBy: [
    'Channel',
    'InMemoryChannel',
    'KafkaChannel',
    'Subscription',
    'Sequence',
    'Parallel',
  ] as readonly string[],
  load: async (): Promise<RuntimePlugin> => (await import('./flows-plugin.js')).createFlowsPlugin(),
};
