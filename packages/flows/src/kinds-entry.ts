/**
 * `@tributary/flows/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the flows
 * kinds as a value, the resource schemas, and the plugin descriptor whose `load` imports the
 * plugin's code only when a topology has one of its kinds.
 */
import type { RuntimePlugin } from '@tributary/broker';
import { KNOWN_CHANNEL_KINDS } from '@tributary/core';

export { flowsKinds } from './kinds.js';
export * from './resources.js';

/**
 * The flows plugin, loaded when a topology has a Channel, a resource of a channel kind Knative
 * defines (core's KNOWN_CHANNEL_KINDS), a Subscription, a Sequence or a Parallel.
 */
export const flowsPluginDescriptor = {
  name: 'flows',
  activatedBy: [
    'Channel',
    ...Object.keys(KNOWN_CHANNEL_KINDS),
    'Subscription',
    'Sequence',
    'Parallel',
  ] as readonly string[],
  load: async (): Promise<RuntimePlugin> => (await import('./flows-plugin.js')).createFlowsPlugin(),
};
