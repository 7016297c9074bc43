import {
  type KindSet,
  type LoadResult,
  type ResourceValidator,
  loadManifests,
  triggerFilterData,
} from '@tributary/core';
import { validateTriggerFilters } from '@tributary/filter';
import { tributaryKinds } from '../kinds.js';

/** Checks a Trigger's filters (CESQL syntax, payload access without the annotation, dialects). */
export const triggerFilterValidator: ResourceValidator = (resource) => {
  if (resource.kind !== 'Trigger') return [];
  const problems = validateTriggerFilters(
    { filter: resource.spec.filter, filters: resource.spec.filters },
    { filterData: triggerFilterData(resource) },
  );
  return problems.map((p) => ({
    path: ['spec', ...p.path],
    message:
      p.offset === undefined || p.message.includes('position')
        ? p.message
        : `${p.message} (at position ${p.offset} of the expression)`,
  }));
};

/** Loads manifests with every kind and validator Tributary has (schemas, references, filters). */
export function loadAll(
  paths: readonly string[],
  kinds: KindSet = tributaryKinds,
): Promise<LoadResult> {
  return loadManifests([...paths], { validators: [triggerFilterValidator], kinds });
}
