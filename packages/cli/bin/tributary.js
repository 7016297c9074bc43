#!/usr/bin/env node
// The `tributary` command. The implementation is compiled TypeScript in ../dist (run `pnpm build`),
// bundled into ../bundle for a faster start (entry.js says which one runs).
import v8 from 'node:v8';
import { loadCli } from './entry.js';

// No new-space growth while the modules and manifests load (set before anything is imported):
// saves ~7 MiB of idle resident memory; `run` restores V8's default once started
// (src/startup-heap.ts).
v8.setFlagsFromString('--semi-space-growth-factor=1');
const { main } = await loadCli();

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
