/**
 * Which compiled modules of the workspace a `tributary run` loaded, from the log of
 * record-imports.mjs. `tributary` runs from the CLI's bundle (packages/cli/scripts/bundle.mjs)
 * when it is current: a bundle file then stands for the modules it holds, as
 * packages/cli/bundle/modules.json lists them, so the same assertions hold for both forms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUNDLE_MODULES = fileURLToPath(
  new URL('../../packages/cli/bundle/modules.json', import.meta.url),
);

/** Paths inside packages/ (e.g. `flows/dist/flows-plugin.js`) of every module the log resolved. */
export function loadedModules(logText: string): Set<string> {
  const bundle: Record<string, string[]> = existsSync(BUNDLE_MODULES)
    ? (JSON.parse(readFileSync(BUNDLE_MODULES, 'utf8')) as Record<string, string[]>)
    : {};
  const out = new Set<string>();
  for (const line of logText.split('\n')) {
    const url = line.split(' ')[1] ?? '';
    const bundled = /\/packages\/cli\/bundle\/([^/]+\.js)$/.exec(url);
    if (bundled) for (const m of bundle[bundled[1]!] ?? []) out.add(m);
    const inPackages = /\/packages\/(.+)$/.exec(url);
    if (inPackages && !bundled) out.add(inPackages[1]!);
  }
  return out;
}
