/**
 * The environment of ContainerSource processes (docs/knative-behaviour.md §7.2): `K_SINK`, `K_CE_OVERRIDES` and
 * the container's own `env`, and which SinkBinding binds which ContainerSource.
 */
import type { Loaded, Topology } from '@tributary/core';
import type { CeOverrides } from '../resources/common.js';
import type { Container, ContainerSource, SinkBinding } from '../resources/container.js';

/** `K_CE_OVERRIDES`: the JSON of the whole ceOverrides object, or an empty string. */
export function ceOverridesEnv(overrides: CeOverrides | undefined): string {
  return overrides ? JSON.stringify(overrides) : '';
}

/**
 * A container's environment: its `env` entries (values, or secretKeyRefs through `secret`), then
 * `K_SINK` and `K_CE_OVERRIDES`, which win (Knative injects them into every container).
 */
export function containerEnv(
  container: Container,
  sinkUrl: string,
  overrides: CeOverrides | undefined,
  secret: (ref: { secretKeyRef: { name: string; key: string } }) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? [])
    env[e.name] = e.valueFrom ? secret(e.valueFrom) : (e.value ?? '');
  env['K_SINK'] = sinkUrl;
  env['K_CE_OVERRIDES'] = ceOverridesEnv(overrides);
  return env;
}

/** The ContainerSources a SinkBinding's subject selects (by name, or every label in matchLabels). */
export function bindingSubjects(
  binding: SinkBinding,
  topology: Topology,
): Loaded<ContainerSource>[] {
  const subject = binding.spec.subject;
  const ns = subject.namespace ?? binding.metadata.namespace;
  return topology.byKind('ContainerSource').filter((cs) => {
    if (cs.metadata.namespace !== ns) return false;
    if (subject.name !== undefined) return cs.metadata.name === subject.name;
    const labels = cs.metadata.labels ?? {};
    return Object.entries(subject.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  });
}
