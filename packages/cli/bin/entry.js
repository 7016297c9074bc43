// Which compiled form of the CLI bin/tributary.js imports: the bundle (scripts/bundle.mjs; ~330
// fewer module files to load at start, docs/architecture.md "Start-up") while it is newer than
// every input it was built from, the modules in ../dist otherwise (after a `tsc -b` that was not
// followed by a bundle, or with TRIBUTARY_BUNDLE=0). Both run the same code.
import { readFileSync, statSync } from 'node:fs';

/** The URL of the CLI's main module: bundle/main.js when current, else dist/main.js. */
export function cliEntry(env = process.env, binUrl = import.meta.url) {
  const dist = new URL('../dist/main.js', binUrl);
  if (env.TRIBUTARY_BUNDLE === '0') return dist;
  const bundle = new URL('../bundle/main.js', binUrl);
  try {
    const built = statSync(bundle).mtimeMs;
    const inputsUrl = new URL('../bundle/inputs.json', binUrl);
    const inputs = JSON.parse(readFileSync(inputsUrl, 'utf8'));
    const stale = inputs.some((rel) => {
      const mtime = statSync(new URL(rel, inputsUrl), { throwIfNoEntry: false })?.mtimeMs;
      return mtime === undefined || mtime > built;
    });
    return stale ? dist : bundle;
  } catch {
    return dist;
  }
}
