/**
 * Validation of parsed documents: kind dispatch, schema, kind checks, extra validators and the
 * cross-resource checks, all into one list of located problems.
 */
import type { ValidationProblem } from '../errors.js';
import { defaultMessageMap, describe, rewriteIssue } from './issues.js';
import type { FieldPath, Locate } from './positions.js';
import type { KindSet } from './kind-set.js';
import { didYouMean } from './suggest.js';
import type { LoadedResource, ResourceProblem, ResourceValidator } from './types.js';

/** One document to validate: its value and how to locate its fields. */
export interface RawDocument {
  readonly file: string;
  readonly value: unknown;
  readonly locate: Locate;
}

/** Formats a field path: `spec.filters[0].cesql`, `metadata.annotations["a.b/c"]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$-]*$/.test(seg))
      out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validates one document. Returns the loaded resource when it is valid. */
export function validateDocument(
  doc: RawDocument,
  validators: readonly ResourceValidator[],
  kinds: KindSet,
): { resource?: LoadedResource; problems: ValidationProblem[] } {
  const problems: ValidationProblem[] = [];
  // A `spec:` that holds only a comment is YAML null; Kubernetes treats it as an empty spec.
  const v =
    isRecord(doc.value) && doc.value.spec === null
      ? (({ spec: _null, ...rest }) => rest)(doc.value)
      : doc.value;
  const kindText = isRecord(v) && typeof v.kind === 'string' ? v.kind : undefined;
  const meta = isRecord(v) && isRecord(v.metadata) ? v.metadata : undefined;
  const label = kindText ? `${kindText}/${typeof meta?.name === 'string' ? meta.name : '-'}` : '-';
  const add = (path: FieldPath, message: string, mode: 'value' | 'key' = 'value') => {
    const { line, col } = doc.locate(path, mode);
    problems.push({ file: doc.file, line, col, resource: label, path: formatPath(path), message });
  };

  if (!isRecord(v)) {
    add(
      [],
      `a resource document must be a mapping with apiVersion, kind, metadata and spec; got ${describe(v)}`,
    );
    return { problems };
  }
  const { apiVersion, kind } = v;
  if (typeof apiVersion !== 'string' || !apiVersion) {
    add(
      ['apiVersion'],
      apiVersion === undefined
        ? 'apiVersion is required, e.g. eventing.knative.dev/v1'
        : `apiVersion must be a string, got ${describe(apiVersion)}`,
    );
  }
  if (typeof kind !== 'string' || !kind) {
    add(
      ['kind'],
      kind === undefined
        ? 'kind is required, e.g. Broker or Trigger'
        : `kind must be a string, got ${describe(kind)}`,
    );
  }
  if (problems.length) return { problems };
  const av = apiVersion as string;
  const k = kind as string;
  const def = kinds.get(av, k);
  if (!def) {
    const versions = kinds.apiVersionsOf(k);
    if (versions.length)
      add(['apiVersion'], `kind ${k} has apiVersion ${versions.join(' or ')}, not '${av}'`);
    else
      add(
        ['kind'],
        `unknown kind '${k}' for apiVersion ${av}${didYouMean(k, kinds.kindsOf(av))} (known kinds: ${kinds.kindsOf(av).join(', ')})`,
      );
    return { problems };
  }

  const parsed = def.schema.safeParse(v, { error: defaultMessageMap });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      for (const m of rewriteIssue(issue, def.schema, v)) add(m.path, m.message, m.mode);
    if (def.validate && def.validateUnparsed) {
      const seen = new Set(problems.map((p) => p.path));
      try {
        for (const p of def.validate(v as never))
          if (!seen.has(formatPath(p.path))) add(p.path, p.message);
      } catch {
        // best effort on an invalid document
      }
    }
    return { problems: sortByPosition(problems) };
  }
  const { line, col } = doc.locate([]);
  // Object.assign, not a spread: past a few dozen documents V8's object spread gave every copy a
  // hidden class of its own (with its descriptor array, ~0.2 KB per Trigger: heap snapshots of
  // `tributary run` with 10,000 Triggers, bench/footprint.mjs).
  const resource = Object.assign({}, parsed.data as object, {
    source: { file: doc.file, line, col },
  }) as LoadedResource;
  const extra: ResourceProblem[] = [];
  const run = (name: string, f: (r: LoadedResource) => ResourceProblem[]) => {
    try {
      extra.push(...f(resource));
    } catch (err) {
      extra.push({
        path: [],
        message: `${name} failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  };
  if (def.validate)
    run(`${k} validation`, def.validate as (r: LoadedResource) => ResourceProblem[]);
  validators.forEach((f, i) => run(`validator #${i + 1}${f.name ? ` (${f.name})` : ''}`, f));
  for (const p of extra) add(p.path, p.message);
  return problems.length ? { problems: sortByPosition(problems) } : { resource, problems };
}

function sortByPosition(problems: ValidationProblem[]): ValidationProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * Cross-resource checks: a `Kind/namespace/name` defined twice is a problem at the second
 * definition's `metadata.name`.
 */
export function crossCheck(
  resources: readonly { resource: LoadedResource; locate: Locate }[],
): ValidationProblem[] {
  const seen = new Map<string, LoadedResource>();
  const problems: ValidationProblem[] = [];
  for (const { resource: r, locate } of resources) {
    const key = `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, r);
      continue;
    }
    const { line, col } = locate(['metadata', 'name']);
    const at = `${first.source.file}:${first.source.line}:${first.source.col}`;
    problems.push({
      file: r.source.file,
      line,
      col,
      resource: `${r.kind}/${r.metadata.name}`,
      path: 'metadata.name',
      message: `duplicate ${key}: already defined at ${at}; rename one or remove it`,
    });
  }
  return problems;
}
