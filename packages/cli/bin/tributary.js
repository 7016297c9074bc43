#!/usr/bin/env node
// The `tributary` command. The implementation is compiled TypeScript in ../dist (run `pnpm build`),
// bundled into ../bundle for a faster start (entry.js says which one runs).
import { holdHeapForStartup } from '../dist/startup-heap.js';

// The heap stays tight while the modules and manifests load and the resources start (set before
// anything else is imported; `run` gives V8 its defaults back once started): src/startup-heap.ts.
holdHeapForStartup();
const { loadCli } = await import('./entry.js');
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
