#!/usr/bin/env node
// The `tributary` command. The implementation is compiled TypeScript in ../dist (run `pnpm build`).
import v8 from 'node:v8';

// No new-space growth while the modules and manifests load (set before anything is imported):
// saves ~7 MiB of idle resident memory; `run` restores V8's default once started
// (src/startup-heap.ts).
v8.setFlagsFromString('--semi-space-growth-factor=1');
const { main } = await import('../dist/main.js');

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
