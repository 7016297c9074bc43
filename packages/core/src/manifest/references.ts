/**
 * Reference resolution for `tributary validate`: every dependency a kind declares (the broker of
 * a Trigger, subscribers, replies, dead-letter sinks, channels, sinks, configs) must name a
 * resource in the manifests; an unresolved one is reported where it is written, with the nearest
 * existing name of that kind in that namespace ("did you mean 'default'?").
 */
import type { ValidationProblem } from '../errors.js';
import type { Locate } from './positions.js';
import type { KindSet } from './kind-set.js';
import { nearest } from './suggest.js';
import type { Dependency, LoadedResource } from './types.js';
import { formatPath } from './validate.js';

/** Names of existing resources by `kind/namespace`. */
export type NameIndex = ReadonlyMap<string, readonly string[]>;

/** Builds the index of names by kind and namespace. */
export function nameIndex(resources: readonly LoadedResource[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const r of resources) {
    const key = `${r.kind}/${r.metadata.namespace}`;
    const list = index.get(key) ?? [];
    list.push(r.metadata.name);
    index.set(key, list);
  }
  return index;
}

/** True when a resource of the dependency's kind (or one of its `orKinds`) exists. */
export function satisfied(dep: Dependency, exists: (kind: string) => boolean): boolean {
  return exists(dep.kind) || (dep.orKinds ?? []).some(exists);
}

/**
 * The text added to a missing dependency's message: the nearest name (`; did you mean 'x'?`),
 * else with `listExisting` what exists of that kind there, else nothing.
 */
export function suggestionFor(dep: Dependency, names: NameIndex, listExisting = false): string {
  const kinds = [...new Set([...(dep.orKinds ?? []), dep.kind])];
  const candidates = kinds.flatMap((k) => names.get(`${k}/${dep.namespace}`) ?? []);
  const near = nearest(dep.name, candidates);
  if (near !== undefined) return `; did you mean '${near}'?`;
  if (!listExisting) return '';
  const what = kinds.join(' or ');
  if (candidates.length === 0) return ` (no ${what} in namespace '${dep.namespace}')`;
  const shown = candidates.slice(0, 5).map((n) => `'${n}'`);
  return ` (${kinds.map((k) => `${k}s`).join(' and ')} in namespace '${dep.namespace}': ${shown.join(', ')}${candidates.length > 5 ? ', …' : ''})`;
}

/** Every dependency that names nothing in the manifests, located where the reference is written. */
export function unresolvedReferences(
  loaded: readonly { resource: LoadedResource; locate: Locate }[],
  kinds: KindSet,
): ValidationProblem[] {
  const resources = loaded.map((l) => l.resource);
  const names = nameIndex(resources);
  const exists = new Set(
    resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`),
  );
  const problems: ValidationProblem[] = [];
  for (const { resource: r, locate } of loaded) {
    const deps = kinds.get(r.apiVersion, r.kind)?.dependencies?.(r as never) ?? [];
    for (const d of deps) {
      if (satisfied(d, (k) => exists.has(`${k}/${d.namespace}/${d.name}`))) continue;
      const path = d.path ?? [];
      const { line, col } = locate(path);
      problems.push({
        file: r.source.file,
        line,
        col,
        resource: `${r.kind}/${r.metadata.name}`,
        path: formatPath(path),
        message: `${d.message}${suggestionFor(d, names, true)}`,
      });
    }
  }
  return problems;
}
