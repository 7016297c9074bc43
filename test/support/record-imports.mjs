// Loaded with `node --import` by test/lazy-loading.e2e.test.ts: registers a resolve hook that appends
// every resolved module URL to the file named by TRIBUTARY_IMPORT_LOG.
import { register } from 'node:module';

register('./record-imports-hook.mjs', import.meta.url, {
  data: { file: process.env['TRIBUTARY_IMPORT_LOG'] },
});
