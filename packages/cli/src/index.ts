/**
 * @tributary/cli: the `tributary` command and the embeddable API (`createMesh`) it is built on.
 */
export { main } from './main.js';
export {
  createMesh,
  MeshStateError,
  type Mesh,
  type MeshFilter,
  type MeshInput,
  type MeshOptions,
  type MeshSubscription,
} from './mesh.js';
export { defaultBackends, defaultPlugins, pluginDescriptors } from './plugins.js';
export { tributaryKinds } from './kinds.js';
export { lazyPlugin, type LazyPlugin, type PluginDescriptor } from './lazy-plugin.js';
export { cliErrorCodes, CatalogReadError, type CliErrorCode } from './errors.js';
