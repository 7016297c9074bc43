/**
 * @tributary/flows — `messaging.knative.dev/v1` Channel, InMemoryChannel, Subscription and
 * `flows.knative.dev/v1` Sequence, Parallel on top of the broker's public API. The kinds are the
 * value `flowsKinds` (pass it to the loader); `createFlowsPlugin()` runs them.
 */
export { flowsKinds } from './kinds.js';
export { flowsPluginDescriptor } from './kinds-entry.js';

export * from './resources.js';
export {
  validateChannelTemplate,
  templateDelivery,
  DEFAULT_CHANNEL_TEMPLATE,
} from './channel-kinds.js';
export type { ChannelKindDefinition } from '@tributary/core';
export {
  ChannelFabric,
  CHANNEL_SUBSCRIPTION_CONCURRENCY,
  type FabricChannel,
  type FabricSubscription,
  type ChannelFabricOptions,
} from './channel-fabric.js';
export { createFlowsPlugin, type FlowsPluginOptions, type FlowChannels } from './flows-plugin.js';
export { FLOW_INGRESS_PATH, createFlowIngressHandler, type FlowIngress } from './ingress-route.js';
export * from './naming.js';
export { WiringError, flowsErrorCodes, type FlowsErrorCode } from './errors.js';
