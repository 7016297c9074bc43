/**
 * The kinds core knows, as a value ({@link coreKinds}): Broker, Trigger (eventing.knative.dev/v1), EventType
 * (eventing.knative.dev/v1beta3), Function (tributary.dev/v1alpha1), Secret, ConfigMap (v1).
 */
import {
  BROKER_CLASS_ANNOTATION,
  DEFAULT_BROKER_CLASS,
  validateBrokerAnnotations,
  validateTriggerAnnotations,
} from '../resources/annotations.js';
import type { Destination, DeliverySpec, KReference } from '../resources/common.js';
import {
  BrokerSchema,
  ConfigMapSchema,
  FunctionSchema,
  SecretSchema,
  TriggerSchema,
} from '../resources/kinds.js';
import { EVENTING_V1BETA3, EventTypeSchema, validateEventType } from '../resources/eventtype.js';
import { refTopologyKind } from './destinations.js';
import { type KindDefinition, createKindSet, defineKind } from './kind-set.js';
import type { Dependency } from './types.js';

/**
 * The dependency on the target of a Destination's `ref` (none for a plain `uri`); `path` is where
 * the Destination is written (its `ref.name` is what `validate` points at).
 */
export function destinationDependency(
  dest: Destination | undefined,
  ownerNamespace: string,
  role: string,
  reason: string,
  path?: readonly (string | number)[],
): Dependency[] {
  const ref = dest?.ref;
  return ref
    ? [refDependency(ref, ownerNamespace, role, reason, path && [...path, 'ref', 'name'])]
    : [];
}

/** The dependency on the resource a KReference names; `path` is where its name is written. */
export function refDependency(
  ref: KReference,
  ownerNamespace: string,
  role: string,
  reason: string,
  path?: readonly (string | number)[],
): Dependency {
  const namespace = ref.namespace ?? ownerNamespace;
  const kind = refTopologyKind(ref);
  return {
    kind,
    // A Knative Service ref resolves to a Function of that name, or to a Service where a package
    // registers that kind.
    ...(kind === 'Function' && ref.kind === 'Service' ? { orKinds: ['Service'] } : {}),
    namespace,
    name: ref.name,
    reason,
    message: `${role} ref ${ref.kind} '${namespace}/${ref.name}' (${ref.apiVersion}) does not exist`,
    ...(path ? { path } : {}),
  };
}

const deadLetter = (d: DeliverySpec | undefined, ns: string) =>
  destinationDependency(d?.deadLetterSink, ns, 'deadLetterSink', 'DeadLetterSinkResolveFailed', [
    'spec',
    'delivery',
    'deadLetterSink',
  ]);

const brokerKind = defineKind({
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
      deps.push(
        refDependency(config, ns, 'config', 'ConfigDoesNotExist', ['spec', 'config', 'name']),
      );
    return deps;
  },
  // Knative's Broker defaulting: class, then config and delivery of config-br-defaults when the
  // Broker sets none. The MT class's config (config-br-default-channel) picks a channel kind the
  // in-memory backend does not use, so it is not copied.
  defaults: (b, knative) => {
    const explicit = b.metadata.annotations?.[BROKER_CLASS_ANNOTATION];
    const d = knative.broker(b.metadata.namespace, explicit);
    if (!d) return b;
    const cls = explicit ?? d.brokerClass;
    const spec = { ...b.spec };
    if (!spec.config && d.config && cls !== DEFAULT_BROKER_CLASS) spec.config = d.config;
    if (!spec.delivery && d.delivery) spec.delivery = d.delivery;
    const annotations = { ...b.metadata.annotations, [BROKER_CLASS_ANNOTATION]: cls };
    return { ...b, metadata: { ...b.metadata, annotations }, spec };
  },
});

const triggerKind = defineKind({
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
        path: t.spec.broker !== undefined ? ['spec', 'broker'] : ['spec', 'brokerRef', 'name'],
      },
      ...destinationDependency(t.spec.subscriber, ns, 'subscriber', 'SubscriberResolveFailed', [
        'spec',
        'subscriber',
      ]),
      ...deadLetter(t.spec.delivery, ns),
    ];
  },
});

const functionKind = defineKind({
  apiVersion: 'tributary.dev/v1alpha1',
  kind: 'Function',
  schema: FunctionSchema,
});
const secretKind = defineKind({ apiVersion: 'v1', kind: 'Secret', schema: SecretSchema });
const configMapKind = defineKind({ apiVersion: 'v1', kind: 'ConfigMap', schema: ConfigMapSchema });

const eventTypeKind = defineKind({
  apiVersion: EVENTING_V1BETA3,
  kind: 'EventType',
  schema: EventTypeSchema,
  validate: (et) => validateEventType(et),
  dependencies: (et) =>
    et.spec.reference
      ? [
          refDependency(
            et.spec.reference,
            et.metadata.namespace,
            'reference',
            'ReferenceDoesNotExist',
            ['spec', 'reference', 'name'],
          ),
        ]
      : [],
});

/** Broker, Trigger, Function, Secret, ConfigMap and EventType: what every Tributary program loads. */
export const coreKinds: readonly KindDefinition[] = Object.freeze([
  brokerKind,
  triggerKind,
  functionKind,
  secretKind,
  configMapKind,
  eventTypeKind,
]);

/** The KindSet of {@link coreKinds} alone: the loaders' default when no `kinds` is given. */
export const coreKindSet = createKindSet(coreKinds);
