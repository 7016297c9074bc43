/**
 * Registers the kinds core knows: Broker, Trigger (eventing.knative.dev/v1), Function
 * (tributary.dev/v1alpha1), Secret, ConfigMap (v1).
 */
import { validateBrokerAnnotations, validateTriggerAnnotations } from '../resources/annotations.js';
import type { Destination, DeliverySpec, KReference } from '../resources/common.js';
import {
  BrokerSchema,
  ConfigMapSchema,
  FunctionSchema,
  SecretSchema,
  TriggerSchema,
} from '../resources/kinds.js';
import { refTopologyKind } from './destinations.js';
import { registerKind } from './registry.js';
import type { Dependency } from './types.js';

/** The dependency on the target of a Destination's `ref` (none for a plain `uri`). */
export function destinationDependency(
  dest: Destination | undefined,
  ownerNamespace: string,
  role: string,
  reason: string,
): Dependency[] {
  const ref = dest?.ref;
  return ref ? [refDependency(ref, ownerNamespace, role, reason)] : [];
}

/** The dependency on the resource a KReference names. */
export function refDependency(
  ref: KReference,
  ownerNamespace: string,
  role: string,
  reason: string,
): Dependency {
  const namespace = ref.namespace ?? ownerNamespace;
  return {
    kind: refTopologyKind(ref),
    namespace,
    name: ref.name,
    reason,
    message: `${role} ref ${ref.kind} '${namespace}/${ref.name}' (${ref.apiVersion}) does not exist`,
  };
}

const deadLetter = (d: DeliverySpec | undefined, ns: string) =>
  destinationDependency(d?.deadLetterSink, ns, 'deadLetterSink', 'DeadLetterSinkResolveFailed');

registerKind({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Broker',
  schema: BrokerSchema,
  validate: (b) => validateBrokerAnnotations(b),
  validateUnparsed: true,
  dependencies: (b) => {
    const ns = b.metadata.namespace;
    const deps = deadLetter(b.spec.delivery, ns);
    const config = b.spec.config;
    if (config?.kind === 'ConfigMap' || config?.kind === 'Secret')
      deps.push(refDependency(config, ns, 'config', 'ConfigDoesNotExist'));
    return deps;
  },
});

registerKind({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  schema: TriggerSchema,
  validate: (t) => validateTriggerAnnotations(t),
  validateUnparsed: true,
  dependencies: (t) => {
    const ns = t.metadata.namespace;
    const broker = t.spec.broker ?? t.spec.brokerRef?.name ?? '';
    return [
      {
        kind: 'Broker',
        namespace: ns,
        name: broker,
        reason: 'BrokerDoesNotExist',
        message: `Broker '${ns}/${broker}' does not exist`,
      },
      ...destinationDependency(t.spec.subscriber, ns, 'subscriber', 'SubscriberResolveFailed'),
      ...deadLetter(t.spec.delivery, ns),
    ];
  },
});

registerKind({ apiVersion: 'tributary.dev/v1alpha1', kind: 'Function', schema: FunctionSchema });
registerKind({ apiVersion: 'v1', kind: 'Secret', schema: SecretSchema });
registerKind({ apiVersion: 'v1', kind: 'ConfigMap', schema: ConfigMapSchema });
