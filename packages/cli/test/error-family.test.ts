import { readFileSync } from 'node:fs';
import * as auth from '@tributary/auth';
import * as broker from '@tributary/broker';
import * as core from '@tributary/core';
import * as filter from '@tributary/filter';
import * as flows from '@tributary/flows';
import * as fn from '@tributary/function';
import * as kafka from '@tributary/kafka';
import * as rabbitmq from '@tributary/rabbitmq';
import * as redis from '@tributary/redis';
import * as sdk from '@tributary/sdk';
import * as serving from '@tributary/serving';
import * as sources from '@tributary/sources';
import * as sqlite from '@tributary/sqlite';
import * as testkit from '@tributary/testkit';
import * as transforms from '@tributary/transforms';
import { describe, expect, it } from 'vitest';
import * as cli from '../src/index.js';

/** Every package's public exports (docs/errors.md: one error family with stable codes). */
const packages: Record<string, Record<string, unknown>> = {
  auth,
  broker,
  cli,
  core,
  filter,
  flows,
  function: fn,
  kafka,
  rabbitmq,
  redis,
  sdk,
  serving,
  sources,
  sqlite,
  testkit,
  transforms,
};

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

function isErrorClass(v: unknown): v is new (...args: never[]) => Error {
  return typeof v === 'function' && v.prototype instanceof Error;
}

/** Exports that are code lists: `{ TRIB_ERR_…: 'meaning' }`. */
function codeLists(exports: Record<string, unknown>): Record<string, string>[] {
  return Object.values(exports).filter(
    (v): v is Record<string, string> =>
      typeof v === 'object' &&
      v !== null &&
      Object.keys(v).length > 0 &&
      Object.keys(v).every((k) => k.startsWith('TRIB_ERR_')),
  );
}

describe('one error family across the packages (docs/errors.md)', () => {
  it('every exported error class derives from core TributaryError', () => {
    const strays: string[] = [];
    let checked = 0;
    for (const [pkg, exports] of Object.entries(packages))
      for (const [name, value] of Object.entries(exports))
        if (isErrorClass(value) && value !== core.TributaryError) {
          checked++;
          if (!(value.prototype instanceof core.TributaryError)) strays.push(`${pkg}.${name}`);
        }
    expect(strays).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('every package exports a list of its codes; codes are unique and documented', () => {
    const seen = new Map<string, string>();
    const missing: string[] = [];
    for (const [pkg, exports] of Object.entries(packages)) {
      const lists = codeLists(exports);
      expect(lists.length, `${pkg} exports no code list`).toBeGreaterThan(0);
      for (const code of lists.flatMap((l) => Object.keys(l))) {
        const owner = seen.get(code);
        if (owner !== undefined && owner !== pkg)
          throw new Error(`${code} in both ${owner} and ${pkg}`);
        seen.set(code, pkg);
        if (!docs.includes(`| \`${code}\``)) missing.push(code);
      }
    }
    expect(missing).toEqual([]);
    expect(seen.get('TRIB_ERR_KAFKA_START_OFFSETS')).toBe('kafka');
    expect(seen.get('TRIB_ERR_DATA_DIR_LOCKED')).toBe('sqlite');
  });
});
