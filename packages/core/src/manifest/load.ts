/**
 * Loading manifests (YAML files, directories, text or objects) into a validated Topology.
 * Bad manifests never throw: every problem is collected, with file, line and column.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type ValidationProblem } from '../errors.js';
import { coreKindSet } from './builtin-kinds.js';
import type { KindSet } from './kind-set.js';
import { knativeConfigMapWarnings } from './knative-configmaps.js';
import { readKnativeDefaults } from './knative-defaults.js';
import { noPositions, type Locate } from './positions.js';
import { unresolvedReferences } from './references.js';
import { type StringTable, internStrings } from './string-table.js';
import { createTopology, type Topology } from './topology.js';
import type { LoadedResource, ResourceValidator } from './types.js';
import { crossCheck, validateDocument, type RawDocument } from './validate.js';
import { readYamlDocuments } from './yaml-documents.js';

/** Options of the loaders. */
export interface LoadOptions {
  /** Extra checks run on every schema-valid resource (e.g. the CESQL check of @tributary/filter). */
  readonly validators?: readonly ResourceValidator[];
  /**
   * The kinds the manifests may use (build it with `createKindSet(coreKinds, flowsKinds, …)`).
   * @default the core kinds alone (Broker, Trigger, Function, Secret, ConfigMap, EventType)
   */
  readonly kinds?: KindSet;
}

/**
 * The outcome of loading: the topology of the valid resources and every problem found.
 * `problems` make the manifests invalid; `unresolved` (references to resources the manifests do
 * not declare) make `tributary validate` fail but let `run` start with those resources not Ready;
 * `warnings` (Knative ConfigMaps Tributary does not act on) are only reported.
 */
export interface LoadResult {
  readonly topology: Topology;
  readonly problems: readonly ValidationProblem[];
  readonly unresolved?: readonly ValidationProblem[];
  readonly warnings?: readonly ValidationProblem[];
}

const fileProblem = (file: string, message: string, line = 0, col = 0): ValidationProblem => ({
  file,
  line,
  col,
  resource: '-',
  path: '',
  message,
});

function validateAll(
  docs: readonly RawDocument[],
  options: LoadOptions,
  initial: ValidationProblem[],
): LoadResult {
  const kinds = options.kinds ?? coreKindSet;
  const problems = [...initial];
  const valid: { resource: LoadedResource; locate: Locate }[] = [];
  for (const doc of docs) {
    const r = validateDocument(doc, options.validators ?? [], kinds);
    problems.push(...r.problems);
    if (r.resource) valid.push({ resource: r.resource, locate: doc.locate });
  }
  const defaulted = applyDefaults(valid, problems, kinds);
  problems.push(...crossCheck(defaulted));
  return {
    topology: createTopology(
      defaulted.map((v) => v.resource),
      kinds,
    ),
    problems,
    unresolved: unresolvedReferences(defaulted, kinds),
    warnings: knativeConfigMapWarnings(defaulted, kinds),
  };
}

/** Applies config-br-defaults / default-ch-webhook through each kind's `defaults`. */
function applyDefaults(
  valid: { resource: LoadedResource; locate: Locate }[],
  problems: ValidationProblem[],
  kinds: KindSet,
): { resource: LoadedResource; locate: Locate }[] {
  const configMaps = valid.flatMap((v) => (v.resource.kind === 'ConfigMap' ? [v.resource] : []));
  const { defaults, problems: found } = readKnativeDefaults(configMaps);
  for (const p of found) {
    const at = valid.find((v) => v.resource === p.configMap);
    const { line, col } = at?.locate(['data', p.key]) ?? { line: 0, col: 0 };
    problems.push({
      file: p.configMap.source.file,
      line,
      col,
      resource: `ConfigMap/${p.configMap.metadata.name}`,
      path: `data.${p.key}`,
      message: p.message,
    });
  }
  return valid.map((v) => {
    const def = kinds.get(v.resource.apiVersion, v.resource.kind);
    return def?.defaults
      ? {
          resource: def.defaults(v.resource as never, defaults) as LoadedResource,
          locate: v.locate,
        }
      : v;
  });
}

/**
 * A Kubernetes `List` (what `kubectl get -o yaml` and `tributary get eventtypes -o yaml` print:
 * `kind: List` with `items`) stands for its items; each is located inside the list.
 */
function expandList(file: string, value: unknown, locate: Locate): RawDocument[] {
  const v = value as { kind?: unknown; items?: unknown } | null;
  if (!v || typeof v !== 'object' || v.kind !== 'List' || !Array.isArray(v.items))
    return [{ file, value, locate }];
  return v.items.map((item, i) => ({
    file,
    value: item,
    locate: (path, mode) => locate(['items', i, ...path], mode),
  }));
}

/** Parses YAML text into documents (empty documents skipped) plus YAML syntax problems. */
function parseText(
  file: string,
  text: string,
  strings: StringTable,
): { docs: RawDocument[]; problems: readonly ValidationProblem[] } {
  const { documents, problems, readBy } = readYamlDocuments(file, text);
  // js-yaml reads no aliases (it hands those texts to the `yaml` library): no shared objects.
  const seen = readBy === 'yaml' ? new WeakSet<object>() : undefined;
  const docs: RawDocument[] = [];
  for (const { value, locate } of documents)
    if (value !== null && value !== undefined)
      docs.push(...expandList(file, internStrings(value, strings, seen), locate));
  return { docs, problems };
}

/**
 * Loads manifests given as text, e.g. `[{ file: 'inline.yaml', text }]`. Each text may hold several
 * YAML documents (`---`); empty ones are skipped.
 */
export function loadManifestsFromText(
  sources: readonly { file: string; text: string }[],
  options: LoadOptions = {},
): LoadResult {
  const docs: RawDocument[] = [];
  const problems: ValidationProblem[] = [];
  const strings: StringTable = new Map();
  for (const { file, text } of sources) {
    const parsed = parseText(file, text, strings);
    docs.push(...parsed.docs);
    problems.push(...parsed.problems);
  }
  return validateAll(docs, options, problems);
}

/**
 * Validates resources given as objects (no positions: problems carry `file` `<resources>[i]`,
 * line and column 0).
 */
export function loadResources(objects: readonly unknown[], options: LoadOptions = {}): LoadResult {
  return validateAll(
    objects.map((value, i) => ({ file: `<resources>[${i}]`, value, locate: noPositions })),
    options,
    [],
  );
}

async function collect(path: string, out: string[], problems: ValidationProblem[]): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    problems.push(
      fileProblem(
        path,
        `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the path`,
      ),
    );
    return;
  }
  if (!info.isDirectory()) {
    out.push(path);
    return;
  }
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (/\.ya?ml$/i.test(e.name)) found.push(full);
    }
  };
  await walk(path);
  if (!found.length) problems.push(fileProblem(path, 'directory has no *.yaml or *.yml files'));
  out.push(...found);
}

/**
 * Loads manifests from files and directories (directories recursively: every `*.yaml` / `*.yml`,
 * in sorted order). Never throws for bad manifests or unreadable paths: see `problems`.
 *
 * @example
 * const result = await loadManifests(['./manifests']);
 * const topology = assertValid(result);
 */
export async function loadManifests(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  const problems: ValidationProblem[] = [];
  const files: string[] = [];
  for (const p of paths) await collect(p, files, problems);
  const sources: { file: string; text: string }[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      problems.push(
        fileProblem(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`),
      );
    }
  }
  const result = loadManifestsFromText(sources, options);
  return { ...result, problems: [...problems, ...result.problems] };
}

/** Returns the topology, or throws {@link ConfigError} with every problem when there is one. */
export function assertValid(result: LoadResult): Topology {
  if (result.problems.length) throw new ConfigError(result.problems);
  return result.topology;
}
