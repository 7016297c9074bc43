import { writeFile } from 'node:fs/promises';
import { generateTypeScript } from '../codegen/typescript.js';
import { CatalogReadError, eventTypesFromManifests, fetchEventTypes } from './eventtypes.js';

export interface CodegenOptions {
  lang: string;
  server?: string;
  filename: string[];
  output?: string;
  namespace?: string;
}

/**
 * `tributary codegen --lang ts [--server URL | -f manifests] [-o file]`: typed event definitions
 * for every EventType of a running tributary's catalog or of the manifests.
 */
export async function codegenCommand(opts: CodegenOptions): Promise<number> {
  if (opts.lang !== 'ts') {
    process.stderr.write(`--lang '${opts.lang}' is not supported; use --lang ts\n`);
    return 1;
  }
  if (opts.server && opts.filename.length > 0) {
    process.stderr.write('pass --server (a running tributary) or -f (manifests), not both\n');
    return 1;
  }
  const server = opts.server ?? process.env['TRIBUTARY_SERVER'] ?? 'http://127.0.0.1:8080';
  let items;
  try {
    items =
      opts.filename.length > 0
        ? await eventTypesFromManifests(opts.filename)
        : await fetchEventTypes(server, opts.namespace);
  } catch (err) {
    if (!(err instanceof CatalogReadError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const from = opts.filename.length > 0 ? opts.filename.join(', ') : server;
  const text = generateTypeScript(items, from);
  if (opts.output) {
    await writeFile(opts.output, text);
    process.stderr.write(`wrote ${items.length} event type(s) to ${opts.output}\n`);
  } else process.stdout.write(text);
  return 0;
}
