/**
 * `@tributary/transforms/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the
 * EventTransform and RequestReply kinds as a value, the resource schemas, and the plugin
 * descriptors whose `load` imports a plugin's code only when a topology has its kind.
 */
import type { RuntimePlugin } from '@tributary/broker';

export { transformsKinds } from './kinds.js';
export * from './resources.js';

/** The EventTransform plugin, loaded when a topology has an EventTransform. */
export const eventTransformPluginDescriptor = {
  name: 'eventtransform',
  activatedBy: ['EventTransform'] as readonly string[],
  load: async (): Promise<RuntimePlugin> =>
    (await import('./event-transform/plugin.js')).createEventTransformPlugin(),
};

/** The RequestReply plugin, loaded when a topology has a RequestReply. */
export const requestReplyPluginDescriptor = {
  name: 'requestreply',
  activatedBy: ['RequestReply'] as readonly string[],
  load: async (): Promise<RuntimePlugin> =>
    (await import('./request-reply/plugin.js')).createRequestReplyPlugin(),
};
