import type { Logger } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { LazyChildLogger } from './lazy-logger.js';

/** A logger that records the children it made and the lines they wrote. */
function recorder(level = 'info') {
  const lines: unknown[][] = [];
  const children: Record<string, unknown>[] = [];
  const make = (bound: Record<string, unknown>): Logger & { bindings(): object } => ({
    bindings: () => bound,
    child: (b) => {
      children.push(b);
      return make({ ...bound, ...b });
    },
    trace: (...a) => lines.push([bound, 'trace', ...a]),
    debug: (...a) => lines.push([bound, 'debug', ...a]),
    info: (...a) => lines.push([bound, 'info', ...a]),
    warn: (...a) => lines.push([bound, 'warn', ...a]),
    error: (...a) => lines.push([bound, 'error', ...a]),
    isLevelEnabled: (l) => l === level,
  });
  return { root: make({ service: 's' }), lines, children };
}

describe('LazyChildLogger', () => {
  it('makes its child at the first line, once, and writes through it', () => {
    const r = recorder();
    const log = new LazyChildLogger(r.root, { trigger: 't' });
    expect(r.children).toEqual([]);
    expect(log.bindings()).toEqual({ service: 's', trigger: 't' });
    expect(log.isLevelEnabled('info')).toBe(true);
    expect(log.isLevelEnabled('debug')).toBe(false);
    expect(r.children).toEqual([]);
    log.warn({ a: 1 }, 'one');
    log.error({ b: 2 });
    expect(r.children).toEqual([{ trigger: 't' }]);
    expect(r.lines).toEqual([
      [{ service: 's', trigger: 't' }, 'warn', { a: 1 }, 'one'],
      [{ service: 's', trigger: 't' }, 'error', { b: 2 }],
    ]);
    log.child({ x: 1 }).info({}, 'two');
    expect(r.children).toEqual([{ trigger: 't' }, { x: 1 }]);
  });

  it('counts every level as enabled when its parent cannot say', () => {
    const { isLevelEnabled: _, ...plain } = recorder().root;
    expect(new LazyChildLogger(plain, {}).isLevelEnabled('trace')).toBe(true);
  });
});
