// Runs the quickstart: the HTTP event-display on :8081 and `tributary run` on :8080.
// Stop both with Ctrl-C.
// It builds the workspace first (tsc -b, the CLI's bundle, and the console's assets when missing) and runs without a shell in between, so that Ctrl-C reaches
// the broker, which drains and exits 0, and `pnpm quickstart` ends with status 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
// The CLI's bundle (packages/cli/scripts/bundle.mjs) starts faster than the compiled modules.
const bundle = spawnSync(process.execPath, [`${root}packages/cli/scripts/bundle.mjs`], {
  cwd: root,
  stdio: 'inherit',
});
if (bundle.status !== 0) process.exit(bundle.status ?? 1);
// The console's front end (served at /console/, docs/console.md) is built once, when missing.
const consoleDir = fileURLToPath(new URL('../../packages/console/', import.meta.url));
if (!existsSync(`${consoleDir}web-dist/index.html`)) {
  const vite = `${consoleDir}node_modules/vite/bin/vite.js`;
  const web = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts'], {
    cwd: consoleDir,
    stdio: 'inherit',
  });
  if (web.status !== 0) process.exit(web.status ?? 1);
}
const cli = fileURLToPath(new URL('../../packages/cli/bin/tributary.js', import.meta.url));
const port = process.env.PORT ?? '8080';

// PORT is the broker's; the event-display stays on 8081, where the manifests address it.
const display = spawn(process.execPath, [`${here}event-display.mjs`], {
  stdio: 'inherit',
  cwd: here,
  env: { ...process.env, PORT: '8081' },
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
