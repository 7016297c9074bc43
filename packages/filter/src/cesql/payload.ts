/**
 * Payload filters — a Tributary extension, not part of CESQL. With `filterData`, the identifier
 * `data` is the event's JSON data and `data.a.b` (or `data.items.0`) a value inside it.
 *
 * The data is parsed at most once per evaluation, and only when an evaluated part of the
 * expression reads it. Integers (32-bit) are Integer, strings String, booleans Boolean; anything
 * else, a missing field, data that is absent or not JSON are evaluation errors (the filter fails).
 */
import { isJsonContentType } from '@tributary/core';
import { INT_MAX, INT_MIN, raise, type CesqlValue, type EvalContext } from './values.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses the context's data once; false (with `dataError` set) when it is absent or not JSON. */
function ensureData(c: EvalContext): boolean {
  if (c.dataState === 1) return true;
  if (c.dataState === 2) return false;
  c.dataState = 2;
  if (c.data === undefined || c.data.length === 0) {
    c.dataError = 'the event has no data';
    return false;
  }
  if (!isJsonContentType(c.contentType)) {
    c.dataError = `the event data is not JSON (datacontenttype '${c.contentType}')`;
    return false;
  }
  try {
    c.dataValue = JSON.parse(decoder.decode(c.data));
  } catch {
    c.dataError = 'the event data is not valid JSON';
    return false;
  }
  c.dataState = 1;
  return true;
}

const MISSING = Symbol('missing');

function walkPath(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      if (!/^[0-9]+$/.test(seg)) return MISSING;
      const idx = Number(seg);
      if (idx >= cur.length) return MISSING;
      cur = cur[idx];
    } else if (typeof cur === 'object' && cur !== null && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return MISSING;
    }
  }
  return cur;
}

/** `data.path` as written in the expression. */
export function dataPathText(path: readonly string[]): string {
  return path.length === 0 ? 'data' : `data.${path.join('.')}`;
}

/** Reads `data.path` as a CESQL value; raises an error and returns false when it cannot. */
export function readData(c: EvalContext, path: readonly string[], position: number): CesqlValue {
  if (!ensureData(c)) {
    raise(c, 'missingAttribute', () => `${dataPathText(path)}: ${c.dataError}`, position);
    return false;
  }
  const v = walkPath(c.dataValue, path);
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX) return v;
      raise(c, 'cast', () => `${dataPathText(path)} is ${v}, not a 32-bit integer`, position);
      return false;
    default:
      if (v === MISSING)
        raise(
          c,
          'missingAttribute',
          () => `${dataPathText(path)} is not in the event data`,
          position,
        );
      else
        raise(
          c,
          'cast',
          () =>
            `${dataPathText(path)} is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object'}, not a string, integer or boolean`,
          position,
        );
      return false;
  }
}

/** `EXISTS data.path`: true when the data is JSON and has a value (of any kind) there. */
export function dataExists(c: EvalContext, path: readonly string[]): boolean {
  return ensureData(c) && walkPath(c.dataValue, path) !== MISSING;
}
