/**
 * `@tributary/auth/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the
 * Authentication and EventPolicy kinds as a value and the resource schemas, without the plugin.
 */
export { authKinds } from './resources.js';
export * from './resources.js';
