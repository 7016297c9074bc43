/**
 * Which backend carries which channel kind. The runtime's BackendRegistry is keyed by broker
 * class; a channel kind maps onto one of those classes, so a flow becomes durable by changing its
 * `channelTemplate` once the technology package that serves the class is loaded.
 */
import { DeliverySpecSchema, type DeliverySpec } from '@tributary/core';
import type { ChannelTemplate } from './resources.js';

/** How a channel kind is carried. */
export interface ChannelKindDefinition {
  /** e.g. `InMemoryChannel`, `KafkaChannel`. */
  readonly kind: string;
  /** The broker class in the BackendRegistry whose backend carries the channel's topic. */
  readonly brokerClass: string;
  /** Backend config for the class (validated by its provider's schema). @default {} */
  readonly backendConfig?: unknown;
  /**
   * Backend config entries a channel's own spec sets (a KafkaChannel's `numPartitions`, …),
   * merged over `backendConfig`. Channels with different entries get different backends.
   */
  readonly configFor?: (
    spec: Readonly<Record<string, unknown>> | undefined,
  ) => Record<string, string>;
}

/** The channel kind used when a Channel, Sequence or Parallel has no `channelTemplate`. */
export const DEFAULT_CHANNEL_TEMPLATE: ChannelTemplate = Object.freeze({
  apiVersion: 'messaging.knative.dev/v1',
  kind: 'InMemoryChannel',
});

const byKind = new Map<string, ChannelKindDefinition>();

/**
 * Maps a channel kind to a broker class. `@tributary/flows` registers `InMemoryChannel` → the
 * memory backend (`MTChannelBasedBroker`) and `KafkaChannel` → `Kafka`; a technology package may
 * register its own (replacing an existing mapping).
 */
export function registerChannelKind(definition: ChannelKindDefinition): void {
  byKind.set(definition.kind, definition);
}

/** The definition of a channel kind, if registered. */
export function channelKind(kind: string): ChannelKindDefinition | undefined {
  return byKind.get(kind);
}

/** Every registered channel kind name. */
export function channelKinds(): string[] {
  return [...byKind.keys()];
}

registerChannelKind({ kind: 'InMemoryChannel', brokerClass: 'MTChannelBasedBroker' });
registerChannelKind({ kind: 'KafkaChannel', brokerClass: 'Kafka' });

/** Problems of a `channelTemplate` (unknown kind, bad `spec.delivery`), located relative to it. */
export function validateChannelTemplate(
  template: ChannelTemplate,
): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  if (!byKind.has(template.kind))
    problems.push({
      path: ['kind'],
      message: `channel kind '${template.kind}' is not known; use one of ${channelKinds().join(', ')} (a technology package may add more)`,
    });
  const delivery = template.spec?.['delivery'];
  if (delivery !== undefined) {
    const r = DeliverySpecSchema.safeParse(delivery);
    if (!r.success)
      for (const issue of r.error.issues)
        problems.push({
          path: ['spec', 'delivery', ...(issue.path as (string | number)[])],
          message: issue.message,
        });
  }
  return problems;
}

/** The channel-level delivery a template gives (`spec.delivery`), if any and valid. */
export function templateDelivery(template: ChannelTemplate): DeliverySpec | undefined {
  const r = DeliverySpecSchema.safeParse(template.spec?.['delivery']);
  return r.success ? r.data : undefined;
}
