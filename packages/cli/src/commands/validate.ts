import { formatProblem } from '@tributary/core';
import { loopWarnings } from './loop-warnings.js';
import { loadAll } from './manifests.js';

export async function validateCommand(opts: { filename: string[] }): Promise<number> {
  const { topology, problems } = await loadAll(opts.filename);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${problems.length} problem(s) found\n`);
    return 1;
  }
  // Loops are warnings: printed, but the manifests are valid (exit 0).
  for (const w of loopWarnings(topology)) process.stderr.write(`${formatProblem(w)}\n`);
  process.stdout.write(`valid: ${topology.resources.length} resource(s)\n`);
  return 0;
}
