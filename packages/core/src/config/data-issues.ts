import type { z } from 'zod';

/**
 * Messages for event data that fails its zod schema, shared by the producer SDK and the function
 * runtime so both say the same thing: `OrderCreated data.total: expected number, received string`.
 */

/** `data.items[0].sku` from a zod issue path. */
export function dataPath(path: readonly PropertyKey[]): string {
  let out = 'data';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** The value at a zod issue path inside `data` (undefined when the path does not exist). */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

/** One line per issue: the event's name, the field path, what was expected and what came. */
export function formatDataIssue(name: string, data: unknown, issue: z.core.$ZodIssue): string {
  const text =
    issue.code === 'invalid_type'
      ? `expected ${issue.expected}, received ${typeName(valueAt(data, issue.path))}`
      : issue.message.replace(/^Invalid input: /, '');
  return `${name} ${dataPath(issue.path)}: ${text}`;
}
