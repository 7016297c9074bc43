import { type LoadResult, loadManifests } from '@tributary/core';
import { triggerFilterValidator } from '@tributary/filter';

/** Loads manifests with every validator Tributary has (schemas, references, filters). */
export function loadAll(paths: readonly string[]): Promise<LoadResult> {
  return loadManifests([...paths], { validators: [triggerFilterValidator] });
}
