/**
 * `@tributary/sources/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the
 * source kinds as a value, the resource schemas, and the plugin descriptor whose `load` imports
 * the plugin's code only when a topology has a source.
 */
import type { RuntimePlugin } from '@tributary/broker';

export { sourcesKinds } from './resources/register.js';
export * from './resources/common.js';
export * from './resources/ping.js';
export * from './resources/git.js';
export * from './resources/webhook.js';
export * from './resources/container.js';

/** The sources plugin, loaded when a topology has one of the six source kinds. */
export const sourcesPluginDescriptor = {
  name: 'sources',
  activatedBy: [
    'PingSource',
    'GitHubSource',
    'GitLabSource',
    'WebhookSource',
    'ContainerSource',
    'SinkBinding',
  ] as readonly string[],
  load: async (): Promise<RuntimePlugin> => (await import('./plugin.js')).createSourcesPlugin(),
};
