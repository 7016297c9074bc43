/**
 * JSON Schema inference from sample values, merged across samples (docs/event-catalog.md): a
 * property missing from some samples is optional, a field seen with several types becomes a
 * union, strings that all match a format (date-time, date, email, uri, uuid, ipv4) get it, and
 * integers widen to numbers. Bounded: depth, properties per object, array items looked at per
 * sample and nodes per schema are capped; what is cut off is marked, never silently dropped.
 */

/** Caps that keep one schema's memory and the cost of one sample bounded. */
export interface InferenceLimits {
  /** Nesting below this depth is not described (the value is `{}`). @default 8 */
  readonly maxDepth: number;
  /** Properties recorded per object; more make `additionalProperties: true`. @default 100 */
  readonly maxProperties: number;
  /** Items of one array looked at per sample. @default 50 */
  readonly maxArrayItems: number;
  /** Nodes per schema in total. @default 1000 */
  readonly maxNodes: number;
}

export const DEFAULT_INFERENCE_LIMITS: InferenceLimits = {
  maxDepth: 8,
  maxProperties: 100,
  maxArrayItems: 50,
  maxNodes: 1000,
};

/** String formats recognised, in order of preference. */
const FORMATS: ReadonlyArray<readonly [string, RegExp]> = [
  ['date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/],
  ['date', /^\d{4}-\d{2}-\d{2}$/],
  ['uuid', /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/],
  ['email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/],
  ['uri', /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s]+$/],
  ['ipv4', /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/],
];

/** What was seen at one place of the data, over every sample. */
interface Node {
  /** Samples in which this place had a value. */
  seen: number;
  nulls: number;
  booleans: number;
  integers: number;
  numbers: number;
  strings?: { count: number; formats: number[] };
  arrays?: { count: number; items?: Node };
  objects?: { count: number; props: Map<string, Node>; overflow: boolean };
  /** Depth limit reached here. */
  truncated?: boolean;
}

const newNode = (): Node => ({ seen: 0, nulls: 0, booleans: 0, integers: 0, numbers: 0 });

/** A JSON Schema (the subset inference produces). */
export type JsonSchema = Record<string, unknown>;

/** The schema of the data of one event type, built from samples. */
export class SchemaAccumulator {
  readonly #root = newNode();
  #nodes = 1;
  #samples = 0;
  #absent = 0;
  readonly #limits: InferenceLimits;

  constructor(limits: Partial<InferenceLimits> = {}) {
    this.#limits = { ...DEFAULT_INFERENCE_LIMITS, ...limits };
  }

  /** Samples merged so far (`add` calls, with or without data). */
  get samples(): number {
    return this.#samples;
  }

  /** Merges one sample; `undefined` is an event without data. */
  add(value: unknown): void {
    this.#samples++;
    if (value === undefined) this.#absent++;
    else this.#observe(this.#root, value, 0);
  }

  #child(): Node | undefined {
    if (this.#nodes >= this.#limits.maxNodes) return undefined;
    this.#nodes++;
    return newNode();
  }

  #observe(node: Node, value: unknown, depth: number): void {
    node.seen++;
    if (value === null) node.nulls++;
    else if (typeof value === 'boolean') node.booleans++;
    else if (typeof value === 'number') {
      if (Number.isInteger(value)) node.integers++;
      else node.numbers++;
    } else if (typeof value === 'string') {
      const s = (node.strings ??= { count: 0, formats: FORMATS.map(() => 0) });
      s.count++;
      FORMATS.forEach(([, re], i) => {
        // Only formats every earlier string matched can still hold; skip the rest.
        if (s.formats[i] === s.count - 1 && re.test(value)) s.formats[i]!++;
      });
    } else if (depth >= this.#limits.maxDepth) {
      node.truncated = true;
    } else if (Array.isArray(value)) {
      const a = (node.arrays ??= { count: 0 });
      a.count++;
      const n = Math.min(value.length, this.#limits.maxArrayItems);
      for (let i = 0; i < n; i++) {
        a.items ??= this.#child();
        if (!a.items) {
          node.truncated = true;
          break;
        }
        this.#observe(a.items, value[i], depth + 1);
      }
    } else if (typeof value === 'object') {
      const o = (node.objects ??= { count: 0, props: new Map(), overflow: false });
      o.count++;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        let child = o.props.get(k);
        if (!child) {
          child = o.props.size < this.#limits.maxProperties ? this.#child() : undefined;
          if (!child) {
            o.overflow = true;
            continue;
          }
          o.props.set(k, child);
        }
        this.#observe(child, v, depth + 1);
      }
    }
  }

  /** The merged JSON Schema (draft 2020-12); `{}` when no sample had data. */
  toJsonSchema(): JsonSchema {
    const body = this.#root.seen === 0 ? {} : render(this.#root);
    return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...body };
  }
}

function render(node: Node): JsonSchema {
  const variants: JsonSchema[] = [];
  if (node.nulls) variants.push({ type: 'null' });
  if (node.booleans) variants.push({ type: 'boolean' });
  if (node.numbers) variants.push({ type: 'number' });
  else if (node.integers) variants.push({ type: 'integer' });
  if (node.strings) {
    const s = node.strings;
    const i = s.formats.findIndex((c) => c === s.count);
    variants.push(i >= 0 ? { type: 'string', format: FORMATS[i]![0] } : { type: 'string' });
  }
  if (node.arrays)
    variants.push({ type: 'array', items: node.arrays.items ? render(node.arrays.items) : {} });
  if (node.objects) {
    const o = node.objects;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [k, child] of o.props) {
      properties[k] = render(child);
      if (child.seen === o.count) required.push(k);
    }
    variants.push({
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      ...(o.overflow ? { additionalProperties: true } : {}),
    });
  }
  if (node.truncated) variants.push({});
  if (variants.length === 0) return {};
  if (variants.length === 1) return variants[0]!;
  const simple = variants.every(
    (v) => Object.keys(v).length === 1 && typeof v['type'] === 'string',
  );
  return simple ? { type: variants.map((v) => v['type']) } : { anyOf: variants };
}
