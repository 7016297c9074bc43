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
export { defaultBackends, defaultPlugins } from './plugins.js';
export { cliErrorCodes, CatalogReadError, type CliErrorCode } from './errors.js';
