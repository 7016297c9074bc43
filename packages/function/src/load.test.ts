import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionLoadError } from './errors.js';
import { loadFunctionModule } from './load.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trib-fn-'));
  await writeFile(
    join(dir, 'fn.mjs'),
    'export default (e) => ({ type: e.type + ".reply" });\nexport const named = () => undefined;\nexport const notFn = 42;\n',
  );
  await writeFile(join(dir, 'broken.mjs'), 'export default (;\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadFunctionModule', () => {
  it('loads the default export relative to the base directory', async () => {
    const h = await loadFunctionModule('./fn.mjs', 'default', dir);
    expect(typeof h).toBe('function');
    expect(await h({ type: 'a' } as never, {} as never)).toEqual({ type: 'a.reply' });
  });

  it('loads a named export and absolute paths', async () => {
    const h = await loadFunctionModule(join(dir, 'fn.mjs'), 'named', '/elsewhere');
    expect(h({} as never, {} as never)).toBeUndefined();
  });

  it('fails clearly for missing files, missing exports, non-functions and syntax errors', async () => {
    await expect(loadFunctionModule('./nope.mjs', 'default', dir)).rejects.toThrow(
      /not found at .*nope\.mjs/,
    );
    await expect(loadFunctionModule('./fn.mjs', 'missing', dir)).rejects.toThrow(
      /no export 'missing' \(exports: .*named/,
    );
    await expect(loadFunctionModule('./fn.mjs', 'notFn', dir)).rejects.toThrow(
      /is a number, not a function/,
    );
    await expect(loadFunctionModule('./broken.mjs', 'default', dir)).rejects.toBeInstanceOf(
      FunctionLoadError,
    );
  });
});
