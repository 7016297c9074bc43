/**
 * undici, loaded at the first HTTP delivery rather than at start. Importing it costs about 18 MiB
 * of resident memory and ~65 ms of CPU (it compiles its llhttp WebAssembly parser as it loads), which
 * a process that has not delivered anything over HTTP yet does not need (docs/architecture.md,
 * "Lazy technology packages"; idle RSS of `tributary run` is measured by `pnpm bench`).
 *
 * undici is a CommonJS package, so `require` loads it synchronously: `dispatch` (undici's own API)
 * is synchronous, and the first delivery pays the load once. A later `import('undici')` elsewhere
 * gets the same module instance from Node's module cache.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const requireFromHere = createRequire(import.meta.url);
let undici: typeof Undici | undefined;

/** The undici module, loaded on the first call. */
export function undiciModule(): typeof Undici {
  return (undici ??= requireFromHere('undici') as typeof Undici);
}
