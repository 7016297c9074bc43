/**
 * `@tributary/serving/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the
 * serving kinds as a value, the resource schemas, and the plugin descriptor whose `load` imports
 * the plugin's code only when a topology has a Service or JobSink.
 */
import type { RuntimePlugin } from '@tributary/broker';

export { servingKinds } from './kinds.js';
export * from './resources.js';

/** The serving plugin, loaded when a topology has a Service or a JobSink. */
export const servingPluginDescriptor = {
  name: 'serving',
  activatedBy: ['Service', 'JobSink'] as readonly string[],
  load: async (): Promise<RuntimePlugin> => (await import('./plugin.js')).createServingPlugin(),
};
