/**
 * Warnings for Knative ConfigMaps that Tributary reads nothing from: a user who copies a cluster's
 * `knative-eventing` ConfigMaps should learn which settings have no effect here
 * (docs/knative-compatibility.md lists them).
 */
import type { ValidationProblem } from '../errors.js';
import {
  BROKER_DEFAULTS_CONFIGMAP,
  CHANNEL_DEFAULTS_CONFIGMAP,
  KNATIVE_SYSTEM_NAMESPACE,
} from './knative-defaults.js';
import type { Locate } from './positions.js';
import type { KindSet } from './kind-set.js';
import type { LoadedResource } from './types.js';

/** ConfigMaps Tributary acts on wherever they are (the Kafka plugin reads this one in any namespace). */
const ACTED_ON_ANYWHERE = new Set(['kafka-channel-config']);
/** ConfigMaps Tributary acts on in namespace knative-eventing. */
const ACTED_ON_IN_SYSTEM = new Set([BROKER_DEFAULTS_CONFIGMAP, CHANNEL_DEFAULTS_CONFIGMAP]);

/** Knative ConfigMap names (eventing core and the Kafka, RabbitMQ and Redis extensions), with why they do nothing here. */
const KNATIVE_CONFIGMAPS: Readonly<Record<string, string>> = {
  'config-br-defaults': 'Knative reads it only in namespace knative-eventing',
  'default-ch-webhook': 'Knative reads it only in namespace knative-eventing',
  'config-br-default-channel':
    'the MTChannelBasedBroker class runs on the in-memory backend, which uses no channel',
  'config-features':
    'feature flags are not read; Tributary behaves as documented in docs/knative-compatibility.md',
  'config-tracing':
    'tracing is configured with OTEL_EXPORTER_OTLP_* variables (docs/operations.md)',
  'config-observability': 'metrics are always served at GET /metrics (docs/metrics.md)',
  'config-logging': 'logging is set with --log-level or LOG_LEVEL',
  'config-leader-election': 'there is no controller to elect',
  'config-ping-defaults': 'PingSource limits are not read from it',
  'config-kreference-mapping': 'reference mappings are not supported',
  'config-sugar': 'sugar (automatic Brokers) is not supported',
  'config-imc-event-dispatcher': 'the in-memory dispatcher is tuned with tributary.dev annotations',
  'kafka-broker-config': 'it is read only when a Broker spec.config refers to it',
  'config-kafka-features': 'Kafka feature flags are not read',
  'config-kafka-broker-data-plane': 'data-plane client properties are not read',
  'config-kafka-channel-data-plane': 'data-plane client properties are not read',
  'config-kafka-sink-data-plane': 'data-plane client properties are not read',
  'config-kafka-source-data-plane': 'data-plane client properties are not read',
  'kafka-config-logging': 'logging is set with --log-level or LOG_LEVEL',
  'config-kafka-scheduler': 'there is no scheduler',
  'config-kafka-descheduler': 'there is no scheduler',
  'config-kafka-autoscaler': 'there is no autoscaler for sources',
};

/**
 * One warning per ConfigMap that looks like Knative's (it is in namespace knative-eventing, or it
 * has a Knative ConfigMap name) and that Tributary does not act on: not one it reads, and not
 * referenced by any resource (a Broker's `spec.config`, …).
 */
export function knativeConfigMapWarnings(
  loaded: readonly { resource: LoadedResource; locate: Locate }[],
  kinds: KindSet,
): ValidationProblem[] {
  const referenced = new Set<string>();
  for (const { resource: r } of loaded)
    for (const d of kinds.get(r.apiVersion, r.kind)?.dependencies?.(r as never) ?? [])
      if (d.kind === 'ConfigMap') referenced.add(`${d.namespace}/${d.name}`);
  const warnings: ValidationProblem[] = [];
  for (const { resource: r, locate } of loaded) {
    if (r.kind !== 'ConfigMap') continue;
    const { name, namespace } = r.metadata;
    if (referenced.has(`${namespace}/${name}`) || ACTED_ON_ANYWHERE.has(name)) continue;
    const system = namespace === KNATIVE_SYSTEM_NAMESPACE;
    if (system && ACTED_ON_IN_SYSTEM.has(name)) continue;
    const why = KNATIVE_CONFIGMAPS[name];
    if (!system && why === undefined) continue;
    const { line, col } = locate(['metadata', 'name']);
    warnings.push({
      file: r.source.file,
      line,
      col,
      resource: `ConfigMap/${name}`,
      path: 'metadata.name',
      message: `Knative ConfigMap '${namespace}/${name}' is not acted on by Tributary: ${
        why ?? 'Tributary reads no settings from it'
      }; its settings have no effect (see docs/knative-compatibility.md)`,
    });
  }
  return warnings;
}
