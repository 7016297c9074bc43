// Runs the quickstart: the HTTP event-display on :8081 and `tributary run` on :8080.
// Stop both with Ctrl-C.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = fileURLToPath(new URL('../../packages/cli/bin/tributary.js', import.meta.url));
const port = process.env.PORT ?? '8080';

const display = spawn(process.execPath, [`${here}event-display.mjs`], {
  stdio: 'inherit',
  cwd: here,
});
const broker = spawn(
  process.execPath,
  [cli, 'run', '-f', here, '--port', port, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);

let exiting = false;
const shutdown = (code) => {
  if (exiting) return;
  exiting = true;
  display.kill('SIGTERM');
  broker.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
display.on('exit', (code) => shutdown(code ?? 1));
broker.on('exit', (code) => shutdown(code ?? 1));
