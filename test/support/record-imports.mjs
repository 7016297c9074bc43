// Loaded with `node --import` by test/lazy-loading.e2e.test.ts: registers a resolve hook that appends
// every resolved module URL to the file named by TRIBUTARY_IMPORT_LOG, and logs CommonJS
// `require` resolutions the same way (the CLI's bundle requires what it imports statically, and
// Node 20's module hooks do not see `require`).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env['TRIBUTARY_IMPORT_LOG'];
register('./record-imports-hook.mjs', import.meta.url, { data: { file } });

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function recordRequire(request, ...rest) {
  const resolved = resolveFilename.call(this, request, ...rest);
  if (file && resolved.startsWith('/'))
    appendFileSync(file, `${request} ${pathToFileURL(resolved).href}\n`);
  return resolved;
};
