import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FunctionLoadError } from './errors.js';
import type { FunctionHandler } from './types.js';

/**
 * Loads an in-process function from a module file (the `spec.module` of a `tributary.dev/v1alpha1`
 * Function). `modulePath` is resolved against `baseDir` (the directory of the manifest that names it)
 * unless it is absolute. The module must be loadable by Node as-is (`.js`/`.mjs`, or TypeScript only
 * when Node runs with a loader that handles it).
 *
 * @throws FunctionLoadError when the file is missing, fails to import, or the export is absent or
 *   not a function. The message names the file and the export.
 */
export async function loadFunctionModule(
  modulePath: string,
  exportName = 'default',
  baseDir: string = process.cwd(),
): Promise<FunctionHandler> {
  const file = isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath);
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
  } catch {
    throw new FunctionLoadError(
      `function module '${modulePath}' not found at ${file} (relative paths resolve against the manifest's directory ${baseDir})`,
      file,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new FunctionLoadError(
      `function module ${file} failed to load: ${err instanceof Error ? err.message : String(err)}`,
      file,
      { cause: err },
    );
  }
  const handler = mod[exportName];
  if (handler === undefined) {
    const names = Object.keys(mod);
    throw new FunctionLoadError(
      `function module ${file} has no export '${exportName}' (exports: ${names.length ? names.join(', ') : 'none'}); ` +
        `export the handler as '${exportName}' or set the export name in the Function's spec`,
      file,
    );
  }
  if (typeof handler !== 'function') {
    throw new FunctionLoadError(
      `export '${exportName}' of function module ${file} is a ${handler === null ? 'null' : typeof handler}, not a function; ` +
        'export a handler (event, context) => reply | undefined',
      file,
    );
  }
  return handler as FunctionHandler;
}
