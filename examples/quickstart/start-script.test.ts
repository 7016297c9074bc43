import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { freePort } from '@tributary/testkit';

// `pnpm quickstart` as a person runs it: Ctrl-C (SIGINT to the whole process group) stops the broker
// and the event-display, and the command ends with status 0 (no "ELIFECYCLE Command failed").
const root = fileURLToPath(new URL('../../', import.meta.url));

it('pnpm quickstart stops on Ctrl-C with exit status 0', async () => {
  const port = await freePort();
  const child = spawn('pnpm', ['quickstart'], {
    cwd: root,
    detached: true,
    env: { ...process.env, PORT: String(port), LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 50_000;
  while (!out.includes('"tributary running"') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(out).toContain('"tributary running"');
  process.kill(-child.pid!, 'SIGINT');
  expect(await exited).toBe(0);
  expect(out).toContain('"msg":"stopped"');
  expect(out).not.toContain('ELIFECYCLE');
}, 60_000);
