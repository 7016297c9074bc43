import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript beside the bin, without declarations
import { cliEntry } from '../bin/entry.js';

const entry = (env: Record<string, string>, binUrl: string) =>
  (cliEntry as (e: Record<string, string>, b: string) => { url: URL })(env, binUrl).url;

/** A package layout like the CLI's: bin/, dist/main.js, bundle/main.cjs and its inputs. */
function layout(withBundle = true) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-entry-'));
  for (const d of ['bin', 'dist', 'bundle', 'pkg']) mkdirSync(path.join(dir, d));
  writeFileSync(path.join(dir, 'dist/main.js'), '');
  const input = path.join(dir, 'pkg/tsconfig.tsbuildinfo');
  writeFileSync(input, '');
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);
  at(input, 1000);
  if (withBundle) {
    writeFileSync(path.join(dir, 'bundle/main.cjs'), '');
    writeFileSync(
      path.join(dir, 'bundle/bundle.json'),
      '{"id":"x","inputs":["../pkg/tsconfig.tsbuildinfo"]}',
    );
    at(path.join(dir, 'bundle/main.cjs'), 2000);
  }
  const binUrl = pathToFileURL(path.join(dir, 'bin/tributary.js')).href;
  return { dir, binUrl, input, at };
}

const tail = (url: URL) => url.pathname.split('/').slice(-2).join('/');

describe('cliEntry', () => {
  it('runs the bundle while it is newer than every input', () => {
    const { binUrl } = layout();
    expect(tail(entry({}, binUrl))).toBe('bundle/main.cjs');
  });

  it('runs dist once a package was rebuilt after the bundle', () => {
    const { binUrl, input, at } = layout();
    at(input, 3000);
    expect(tail(entry({}, binUrl))).toBe('dist/main.js');
  });

  it('runs dist when an input is gone, the bundle is missing, or TRIBUTARY_BUNDLE=0', () => {
    const gone = layout();
    writeFileSync(
      path.join(gone.dir, 'bundle/bundle.json'),
      '{"id":"x","inputs":["../pkg/missing"]}',
    );
    expect(tail(entry({}, gone.binUrl))).toBe('dist/main.js');
    expect(tail(entry({}, layout(false).binUrl))).toBe('dist/main.js');
    expect(tail(entry({ TRIBUTARY_BUNDLE: '0' }, layout().binUrl))).toBe('dist/main.js');
  });
});
