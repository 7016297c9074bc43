// Which compiled form of the CLI bin/tributary.js runs: the bundle (scripts/bundle.mjs: one file
// instead of ~330 modules, with a V8 code cache; docs/architecture.md "Start-up") while it is newer
// than every input it was built from, the modules in ../dist otherwise (after a `tsc -b` that was
// not followed by a bundle, or with TRIBUTARY_BUNDLE=0). Both run the same code.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runBundle } from './code-cache.js';

/**
 * The CLI's main module: `{ kind: 'bundle', url, id }` for bundle/main.cjs when current, else
 * `{ kind: 'dist', url }` for dist/main.js.
 */
export function cliEntry(env = process.env, binUrl = import.meta.url) {
  const dist = { kind: 'dist', url: new URL('../dist/main.js', binUrl) };
  if (env.TRIBUTARY_BUNDLE === '0') return dist;
  const url = new URL('../bundle/main.cjs', binUrl);
  try {
    const built = statSync(url).mtimeMs;
    const metaUrl = new URL('../bundle/bundle.json', binUrl);
    const { id, inputs } = JSON.parse(readFileSync(metaUrl, 'utf8'));
    const stale = inputs.some((rel) => {
      const mtime = statSync(new URL(rel, metaUrl), { throwIfNoEntry: false })?.mtimeMs;
      return mtime === undefined || mtime > built;
    });
    return stale ? dist : { kind: 'bundle', url, id };
  } catch {
    return dist;
  }
}

/** Loads the CLI's main module in the form {@link cliEntry} chooses. */
export async function loadCli(env = process.env) {
  const entry = cliEntry(env);
  if (entry.kind === 'dist') return import(entry.url.href);
  return runBundle(fileURLToPath(entry.url), entry.id);
}
