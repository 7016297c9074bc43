import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The runnable example of docs/embedding.md, run as a user would: a separate `node` process that
// imports the built `@tributary/cli` (needs `pnpm exec tsc -b`).
const repo = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-embed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function exampleFromDocs(): string {
  const md = readFileSync(path.join(repo, 'docs/embedding.md'), 'utf8');
  const block = /## A runnable example[\s\S]*?```js\n([\s\S]*?)```/.exec(md);
  if (!block) throw new Error('docs/embedding.md has no ```js block under "A runnable example"');
  return block[1]!;
}

describe('docs/embedding.md example', () => {
  it('runs: the subscriber replies, the reply reaches the second subscriber, the process exits 0', async () => {
    symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    writeFileSync(path.join(dir, 'mesh-demo.mjs'), exampleFromDocs());
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['mesh-demo.mjs'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(result.out).toMatch(/ingress: http:\/\/127\.0\.0\.1:\d+\/default\/default/);
    expect(result.out).toContain('published: 202');
    expect(result.out).toContain('confirmed: o-1');
    expect(result.code).toBe(0);
  });
});
