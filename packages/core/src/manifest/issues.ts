/**
 * Rewrites zod issues into messages that name the field, quote the value and say the fix.
 */
import type { z } from 'zod';
import { didYouMean } from './suggest.js';

/** Marker the per-parse error map puts on zod's default messages, so they get rewritten here. */
export const DEFAULT_MESSAGE = '\u0000default';

/** Pass as `safeParse(value, { error: defaultMessageMap })`: custom schema messages still win. */
export const defaultMessageMap = (): string => DEFAULT_MESSAGE;

/** A rewritten issue: where (path + which node) and what. */
export interface LocatedMessage {
  readonly path: (string | number)[];
  readonly mode: 'value' | 'key';
  readonly message: string;
}

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/lazy/pipe wrappers. */
function unwrap(schema: unknown): unknown {
  for (let i = 0; i < 32; i++) {
    const def = defOf(schema);
    if ('innerType' in def) schema = def.innerType;
    else if (def.type === 'lazy') schema = (def.getter as () => unknown)();
    else if (def.type === 'pipe') schema = def.in;
    else return schema;
  }
  return schema;
}

/** The field names a (strict) object schema accepts at `path`; used for "did you mean". */
export function fieldsAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const expand = (list: unknown[]): unknown[] =>
    list.flatMap((s) => {
      const def = defOf(s);
      return def.type === 'union' ? expand((def.options as unknown[]).map(unwrap)) : [s];
    });
  let level = expand([unwrap(schema)]);
  for (const seg of path) {
    const next: unknown[] = [];
    for (const s of level) {
      const def = defOf(s);
      if (def.type === 'object') {
        const child = (def.shape as Record<string, unknown>)[String(seg)];
        if (child) next.push(unwrap(child));
      } else if (def.type === 'array') next.push(unwrap(def.element));
      else if (def.type === 'record') next.push(unwrap(def.valueType));
    }
    level = expand(next);
  }
  const keys = new Set<string>();
  for (const s of level) {
    const def = defOf(s);
    if (def.type === 'object') for (const k of Object.keys(def.shape as object)) keys.add(k);
  }
  return [...keys];
}

/** Reads the input value at a path (undefined when absent). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** A short rendering of a value for messages: `'text'`, `42`, `a mapping`, `a list`, `null`. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function fieldName(path: readonly PropertyKey[]): string {
  for (let i = path.length - 1; i >= 0; i--)
    if (typeof path[i] === 'string') return String(path[i]);
  return 'document';
}

function defaultMessage(issue: z.core.$ZodIssue, field: string, value: unknown): string {
  const v = describe(value);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `${field} is required`;
      return `${field} must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${v}`;
    case 'invalid_value':
      if (issue.values.length === 1)
        return `${field} must be ${describe(issue.values[0])}, got ${v}`;
      return `${field} ${v} must be one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      if (issue.origin === 'string')
        return issue.code === 'too_small' && Number(bound) === 1
          ? `${field} must not be empty`
          : `${field} ${v} must be ${word} ${bound} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set')
        return `${field} must have ${word} ${bound} entries`;
      return `${field} ${v} must be ${issue.inclusive === false ? (issue.code === 'too_small' ? 'greater than' : 'less than') : word} ${bound}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern
        ? `${field} ${v} must match ${issue.pattern}`
        : `${field} ${v} is not a valid ${issue.format}`;
    case 'not_multiple_of':
      return `${field} ${v} must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return `${field} ${v} matches none of the allowed forms`;
    default:
      return `${field} ${v} is invalid`;
  }
}

/**
 * Turns one zod issue into located messages (an `unrecognized_keys` issue gives one per key).
 * `schema` is the document schema (for field-name suggestions), `root` the input document.
 */
export function rewriteIssue(
  issue: z.core.$ZodIssue,
  schema: unknown,
  root: unknown,
): LocatedMessage[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const custom = issue.message !== DEFAULT_MESSAGE;
  if (issue.code === 'unrecognized_keys') {
    const fields = fieldsAt(schema, path);
    return issue.keys.map((key) => ({
      path: [...path, key],
      mode: 'key' as const,
      message: `unknown field '${key}'${didYouMean(key, fields)}${fields.length ? ` (allowed: ${fields.join(', ')})` : ''}`,
    }));
  }
  if (issue.code === 'invalid_key') {
    const key = path[path.length - 1];
    const inner = issue.issues.map((i) => i.message).filter((m) => m !== DEFAULT_MESSAGE);
    return [
      {
        path,
        mode: 'key',
        message: inner.length ? inner.join('; ') : `key '${String(key)}' is invalid`,
      },
    ];
  }
  const value = valueAt(root, path);
  return [
    {
      path,
      mode: 'value',
      message: custom ? issue.message : defaultMessage(issue, fieldName(path), value),
    },
  ];
}
