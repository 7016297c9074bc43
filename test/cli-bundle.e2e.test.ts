/**
 * The CLI's bundle (packages/cli/scripts/bundle.mjs, docs/architecture.md "Start-up"): the test
 * command builds it, so every end-to-end test that runs `tributary` runs the bundle; here, that it
 * is current, and that its V8 code cache is written after a first start and used by the next.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript beside the bin, without declarations
import { cliEntry } from '../packages/cli/bin/entry.js';
import { brokerWithTrigger } from './support/manifests.js';
import { writeManifests } from './support/tributary-process.js';

const CLI = fileURLToPath(new URL('../packages/cli/bin/tributary.js', import.meta.url));
const BROKER = brokerWithTrigger();

/** Runs `tributary run` until `done(stderr)` holds, then stops it; resolves with its stderr. */
function runUntil(env: Record<string, string>, done: (stderr: string) => boolean) {
  const dir = writeManifests({ 'broker.yaml': BROKER });
  const child = spawn(process.execPath, [CLI, 'run', '-f', dir, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env, NODE_DEBUG: 'tributary-code-cache' },
  });
  let stderr = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stderr:\n${stderr}`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (done(stderr)) {
        clearTimeout(timer);
        child.once('exit', () => resolve(stderr));
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!done(stderr)) reject(new Error(`exited ${code}; stderr:\n${stderr}`));
    });
  });
}

describe('the CLI bundle', () => {
  it('is current after the test command built it, so tributary runs from it', () => {
    const entry = (cliEntry as () => { kind: string; url: URL })();
    expect(entry.kind).toBe('bundle');
    expect(existsSync(entry.url)).toBe(true);
  });

  it('writes its code cache after a first start, and the next start uses it', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-code-cache-'));
    const env = { TRIBUTARY_CODE_CACHE_DIR: cacheDir };
    const first = await runUntil(env, (s) => /written .*\.cache/.test(s));
    expect(first).toMatch(/TRIBUTARY-CODE-CACHE \d+: none /);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.cache'))).toHaveLength(1);
    const second = await runUntil(env, (s) => /: used /.test(s));
    expect(second).not.toMatch(/: rejected /);
  }, 60_000);
});
