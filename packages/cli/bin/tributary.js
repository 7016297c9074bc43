#!/usr/bin/env node
// The `tributary` command. The implementation is compiled TypeScript in ../dist (run `pnpm build`).
import { main } from '../dist/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
