// Runs the CLI's bundle (scripts/bundle.mjs) as a CommonJS module compiled with a V8 code cache,
// so that a start does not parse and compile its ~1.5 MB of JavaScript again: with the cache,
// `tributary run` with 100 Triggers reaches `/readyz` with ~60 ms less CPU (docs/architecture.md,
// "Start-up"). The cache is written beside the bundle 2 s after a start that found none (or found
// one V8 refused: another Node version or V8 flags), and is named after the bundle's content
// hash, because V8 itself checks only the source's length. TRIBUTARY_CODE_CACHE_DIR puts it
// elsewhere; a cache that cannot be written (a read-only install) is left out: the CLI then
// compiles the bundle at each start, as Node would. NODE_DEBUG=tributary-code-cache says which.
import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { debuglog } from 'node:util';
import vm from 'node:vm';
import { withStartupFlags } from '../dist/startup-heap.js';

/** Delay after start before the code cache is written: start-up code has been compiled by then. */
const WRITE_AFTER_MS = 2000;
const debug = debuglog('tributary-code-cache');

/** The bundle as a function of CommonJS's module arguments and the bundle's `import()`. */
const wrap = (source) =>
  `(function (exports, require, module, __filename, __dirname, __tributaryImport) {${source}\n})`;

/**
 * Compiles and runs `file` (with the code cache of bundle `id` when there is one) and returns its
 * exports.
 */
export function runBundle(file, id, env = process.env) {
  const cacheDir = env.TRIBUTARY_CODE_CACHE_DIR || path.dirname(file);
  const cacheFile = path.join(cacheDir, `main-${id}-${process.version}.cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new vm.Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const state = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  debug('%s %s', state, cacheFile);
  if (state !== 'used') setTimeout(() => writeCodeCache(script, cacheFile), WRITE_AFTER_MS).unref();
  const module = { exports: {} };
  const run = script.runInThisContext();
  const here = pathToFileURL(file);
  // Relative specifiers are the bundle's paths to third-party files; the rest are URLs or names.
  const importFromBundle = (specifier) =>
    import(specifier.startsWith('.') ? new URL(specifier, here).href : specifier);
  const dir = path.dirname(file);
  run.call(
    module.exports,
    module.exports,
    createRequire(file),
    module,
    file,
    dir,
    importFromBundle,
  );
  return module.exports;
}

function writeCodeCache(script, cacheFile) {
  // V8 takes a cache only under the flags it was made with: the start-up flags, under which the
  // next start compiles (bin/tributary.js, src/startup-heap.ts).
  const data = withStartupFlags(() => script.createCachedData());
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, cacheFile);
    debug('written %s (%d bytes)', cacheFile, data.length);
  } catch (err) {
    debug('not written: %s', err instanceof Error ? err.message : err);
  }
}
