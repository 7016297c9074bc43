import { formatProblem } from '@tributary/core';
import { loopWarnings } from './loop-warnings.js';
import { loadAll } from './manifests.js';

/**
 * `tributary validate`: schema problems and unresolved references (with the nearest existing
 * name) fail it; warnings (Knative ConfigMaps Tributary does not act on) are printed only.
 */
export async function validateCommand(opts: { filename: string[] }): Promise<number> {
  const { topology, problems, unresolved = [], warnings = [] } = await loadAll(opts.filename);
  for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  const all = [...problems, ...unresolved];
  if (all.length > 0) {
    for (const p of all) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${all.length} problem(s) found\n`);
    return 1;
  }
  // Loops are warnings: printed, but the manifests are valid (exit 0).
  for (const w of loopWarnings(topology)) process.stderr.write(`${formatProblem(w)}\n`);
  process.stdout.write(`valid: ${topology.resources.length} resource(s)\n`);
  return 0;
}
