/**
 * Turns a JSON Schema (what the event catalog infers or an EventType declares) into the source
 * text of an equivalent zod 4 schema. Covers the keywords inference produces and the common
 * declared ones (type unions, anyOf/oneOf, properties/required, additionalProperties, items,
 * enum, const, formats, description); anything else becomes `z.unknown()`, never a wrong type.
 */

type Schema = Record<string, unknown>;

const IDENT = /^[A-Za-z_$][\w$]*$/;
const key = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));
const isObject = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);

const STRING_FORMATS: Readonly<Record<string, string>> = {
  'date-time': 'z.iso.datetime({ offset: true })',
  date: 'z.iso.date()',
  time: 'z.iso.time()',
  email: 'z.email()',
  uri: 'z.url()',
  uuid: 'z.guid()',
  ipv4: 'z.ipv4()',
  ipv6: 'z.ipv6()',
};

const union = (parts: string[]): string =>
  parts.length === 0
    ? 'z.never()'
    : parts.length === 1
      ? parts[0]!
      : `z.union([${parts.join(', ')}])`;

function literal(v: unknown): string {
  return v === null ? 'z.null()' : `z.literal(${JSON.stringify(v)})`;
}

function ofType(type: string, s: Schema, indent: string): string {
  switch (type) {
    case 'null':
      return 'z.null()';
    case 'boolean':
      return 'z.boolean()';
    case 'integer':
      return 'z.number().int()';
    case 'number':
      return 'z.number()';
    case 'string':
      return (typeof s['format'] === 'string' && STRING_FORMATS[s['format']]) || 'z.string()';
    case 'array':
      return `z.array(${isObject(s['items']) ? emit(s['items'], indent) : 'z.unknown()'})`;
    case 'object':
      return objectOf(s, indent);
    default:
      return 'z.unknown()';
  }
}

function objectOf(s: Schema, indent: string): string {
  const props = isObject(s['properties']) ? s['properties'] : {};
  const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
  const inner = `${indent}  `;
  const lines = Object.entries(props).map(([k, v]) => {
    const field = isObject(v) ? emit(v, inner) : 'z.unknown()';
    return `${inner}${key(k)}: ${field}${required.has(k) ? '' : '.optional()'},`;
  });
  // JSON Schema allows other properties unless additionalProperties is false: keep them.
  const fn = s['additionalProperties'] === false ? 'z.strictObject' : 'z.looseObject';
  return lines.length ? `${fn}({\n${lines.join('\n')}\n${indent}})` : `${fn}({})`;
}

/** The zod source for `schema`; nested objects are indented from `indent`. */
export function emit(schema: Schema, indent = ''): string {
  let out: string;
  if ('const' in schema) out = literal(schema['const']);
  else if (Array.isArray(schema['enum'])) {
    const values = schema['enum'] as unknown[];
    out =
      values.length > 0 && values.every((v) => typeof v === 'string')
        ? `z.enum(${JSON.stringify(values)})`
        : union(values.map(literal));
  } else if (Array.isArray(schema['anyOf']) || Array.isArray(schema['oneOf'])) {
    const options = (schema['anyOf'] ?? schema['oneOf']) as unknown[];
    out = union(options.map((o) => (isObject(o) ? emit(o, indent) : 'z.unknown()')));
  } else if (Array.isArray(schema['type'])) {
    const types = (schema['type'] as unknown[]).filter((t): t is string => typeof t === 'string');
    const nonNull = types.filter((t) => t !== 'null');
    const body = union(nonNull.map((t) => ofType(t, schema, indent)));
    out = types.includes('null') ? (nonNull.length ? `${body}.nullable()` : 'z.null()') : body;
  } else if (typeof schema['type'] === 'string') out = ofType(schema['type'], schema, indent);
  else if (isObject(schema['properties'])) out = objectOf(schema, indent);
  else out = 'z.unknown()';
  if (typeof schema['description'] === 'string')
    out += `.describe(${JSON.stringify(schema['description'])})`;
  return out;
}
