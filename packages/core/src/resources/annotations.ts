/**
 * Annotations Tributary reads, their accepted values and typed accessors.
 */
import type { ObjectMeta } from './common.js';
import { validateArchiveAnnotation, validateFlowControlAnnotations } from './flow-annotations.js';

/** Broker class annotation (Knative). */
export const BROKER_CLASS_ANNOTATION = 'eventing.knative.dev/broker.class';
/** Per-Trigger delivery concurrency (positive integer). */
export const CONCURRENCY_ANNOTATION = 'tributary.dev/concurrency';
/** Whether a Trigger's filter may look at the event data (`"true"` / `"false"`). */
export const FILTER_DATA_ANNOTATION = 'tributary.dev/filter-data';

/** Known broker classes and the backend each one selects. */
export const BROKER_CLASSES = [
  'MTChannelBasedBroker',
  'Kafka',
  'KafkaNamespaced',
  'RabbitMQBroker',
  'Redis',
] as const;
export type BrokerClass = (typeof BROKER_CLASSES)[number];
/** The class of a Broker without the annotation. */
export const DEFAULT_BROKER_CLASS: BrokerClass = 'MTChannelBasedBroker';

/** A resource's metadata as the accessors need it. */
type WithMeta = { readonly metadata: Pick<ObjectMeta, 'annotations'> };
type AnnotationProblem = { path: (string | number)[]; message: string };
const at = (name: string): (string | number)[] => ['metadata', 'annotations', name];

/** The Broker's class (annotation value, or {@link DEFAULT_BROKER_CLASS}). */
export function brokerClassOf(broker: WithMeta): string {
  return broker.metadata.annotations?.[BROKER_CLASS_ANNOTATION] ?? DEFAULT_BROKER_CLASS;
}

/** The Trigger's `tributary.dev/concurrency`, or `undefined` when unset (or invalid). */
export function triggerConcurrency(trigger: WithMeta): number | undefined {
  const v = trigger.metadata.annotations?.[CONCURRENCY_ANNOTATION];
  return v !== undefined && /^[1-9]\d*$/.test(v) ? Number(v) : undefined;
}

/** The Trigger's `tributary.dev/filter-data` (`false` when unset). */
export function triggerFilterData(trigger: WithMeta): boolean {
  return trigger.metadata.annotations?.[FILTER_DATA_ANNOTATION] === 'true';
}

/** Broker annotation: record EventTypes and infer data schemas for what the broker accepts. */
export const EVENTTYPE_AUTO_CREATE = 'tributary.dev/eventtype-auto-create';

/** Whether a Broker has `tributary.dev/eventtype-auto-create: "true"`. */
export function brokerAutoCreatesEventTypes(broker: WithMeta): boolean {
  return broker.metadata.annotations?.[EVENTTYPE_AUTO_CREATE] === 'true';
}

/** Checks the broker class and `tributary.dev/eventtype-auto-create` annotations. */
export function validateBrokerAnnotations(broker: WithMeta): AnnotationProblem[] {
  const problems: AnnotationProblem[] = [];
  const v = broker.metadata?.annotations?.[BROKER_CLASS_ANNOTATION];
  if (typeof v === 'string' && !(BROKER_CLASSES as readonly string[]).includes(v))
    problems.push({
      path: at(BROKER_CLASS_ANNOTATION),
      message: `broker class '${v}' is unknown; use one of: ${BROKER_CLASSES.join(', ')}`,
    });
  const auto = broker.metadata?.annotations?.[EVENTTYPE_AUTO_CREATE];
  if (typeof auto === 'string' && auto !== 'true' && auto !== 'false')
    problems.push({
      path: at(EVENTTYPE_AUTO_CREATE),
      message: `${EVENTTYPE_AUTO_CREATE} '${auto}' must be "true" or "false"`,
    });
  problems.push(...validateArchiveAnnotation(broker));
  return problems;
}

/** Checks `tributary.dev/concurrency` and `tributary.dev/filter-data` on a Trigger. */
export function validateTriggerAnnotations(trigger: WithMeta): AnnotationProblem[] {
  const a = trigger.metadata?.annotations ?? {};
  const problems: AnnotationProblem[] = [];
  const c = a[CONCURRENCY_ANNOTATION];
  if (typeof c === 'string' && !(/^[1-9]\d*$/.test(c) && Number.isSafeInteger(Number(c)))) {
    problems.push({
      path: at(CONCURRENCY_ANNOTATION),
      message: `${CONCURRENCY_ANNOTATION} '${c}' must be a positive integer, e.g. "4"`,
    });
  }
  const f = a[FILTER_DATA_ANNOTATION];
  if (typeof f === 'string' && f !== 'true' && f !== 'false') {
    problems.push({
      path: at(FILTER_DATA_ANNOTATION),
      message: `${FILTER_DATA_ANNOTATION} '${f}' must be "true" or "false"`,
    });
  }
  problems.push(...validateFlowControlAnnotations(trigger));
  return problems;
}

/**
 * Standard Webhooks signing of a Trigger's deliveries (docs/security.md): `<secret>` or
 * `<secret>/<key>` names the Secret holding the signing secret (key `secret` by default).
 */
export const WEBHOOK_SIGNING_ANNOTATION = 'tributary.dev/webhook-signing-secret';

/** The secretKeyRef of {@link WEBHOOK_SIGNING_ANNOTATION}, or undefined when unset. */
export function webhookSigningRef(r: WithMeta): { name: string; key: string } | undefined {
  const v = r.metadata.annotations?.[WEBHOOK_SIGNING_ANNOTATION];
  if (v === undefined || v === '') return undefined;
  const slash = v.indexOf('/');
  return slash === -1
    ? { name: v, key: 'secret' }
    : { name: v.slice(0, slash), key: v.slice(slash + 1) };
}
