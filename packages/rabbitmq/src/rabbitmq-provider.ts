/**
 * Provider of broker class `RabbitMQBroker`. The Broker's `spec.config` names a
 * `RabbitmqBrokerConfig` (eventing.knative.dev/v1alpha1) whose `rabbitmqClusterReference.
 * connectionSecret` holds the connection; `queueType` picks quorum (default) or classic queues.
 * Tuning may come from a ConfigMap instead (then its `uri` key is the AMQP URL).
 */
import {
  type BackendProvider,
  lazyBackend,
  type ProviderContext,
  type SubscribeOptions,
  clientName,
} from '@tributary/core';
import { z } from 'zod';
import { resolveAmqpUrl } from './connection-url.js';
import { RabbitmqConfigError } from './errors.js';
import type { RabbitmqBackendOptions } from './rabbitmq-backend.js';
import { QUEUE_TYPES, type QueueType } from './resources.js';

/** ConfigMap form of the config (optional; a RabbitmqBrokerConfig is the Knative way). */
export const rabbitmqBackendConfigSchema = z.object({
  uri: z.string().optional(),
  queueType: z.enum(QUEUE_TYPES).optional(),
  pendingTimeoutMs: z.coerce.number().int().positive().default(10_000),
  redeliveryDelayMs: z.coerce.number().int().nonnegative().default(1_000),
  maxRedeliveryDelayMs: z.coerce.number().int().nonnegative().default(30_000),
});
export type RabbitmqBackendConfig = z.output<typeof rabbitmqBackendConfigSchema>;

/** Resolves where and how a RabbitMQBroker connects. */
export function resolveBrokerConnection(
  config: RabbitmqBackendConfig,
  ctx: ProviderContext,
): { url: string; queueType: QueueType } {
  const ref = ctx.configRef;
  const ns = ref?.namespace ?? ctx.namespace ?? 'default';
  if (ref?.kind === 'RabbitmqBrokerConfig') {
    const res = ctx.topology?.get('RabbitmqBrokerConfig', ns, ref.name);
    if (!res || !ctx.topology)
      throw new RabbitmqConfigError(
        `spec.config names RabbitmqBrokerConfig '${ns}/${ref.name}', which is not in the manifests; add it (apiVersion eventing.knative.dev/v1alpha1)`,
      );
    return {
      url: resolveAmqpUrl(ctx.topology, ns, res.spec.rabbitmqClusterReference, res.spec.vhost),
      queueType: res.spec.queueType,
    };
  }
  if (ref?.kind === 'ConfigMap' && config.uri)
    return { url: config.uri, queueType: config.queueType ?? 'quorum' };
  throw new RabbitmqConfigError(
    ref
      ? `spec.config kind '${ref.kind}' cannot configure a RabbitMQBroker; name a RabbitmqBrokerConfig (or a ConfigMap with a uri key)`
      : 'a RabbitMQBroker needs spec.config naming a RabbitmqBrokerConfig (apiVersion eventing.knative.dev/v1alpha1, kind RabbitmqBrokerConfig)',
  );
}

/** Trigger annotation: deliveries in flight per trigger, 1–1000; 1 means in order (Knative's RabbitMQ broker). */
export const PARALLELISM_ANNOTATION = 'rabbitmq.eventing.knative.dev/parallelism';
/** {@link PARALLELISM_ANNOTATION} under the name the runtime's tests and docs use. */
export const RABBITMQ_PARALLELISM_ANNOTATION = PARALLELISM_ANNOTATION;

/**
 * What a Trigger's {@link PARALLELISM_ANNOTATION} asks of the runtime's subscription (any positive
 * integer): that many deliveries in flight, in order for 1.
 */
export function parallelismSubscribeOptions(
  annotations: Readonly<Record<string, string>>,
): Partial<Pick<SubscribeOptions, 'ordered' | 'concurrency'>> {
  const n = Number(annotations[PARALLELISM_ANNOTATION]);
  if (!Number.isInteger(n) || n <= 0) return {};
  return { ordered: n === 1, concurrency: n };
}

/**
 * Subscribe options from a Trigger's {@link PARALLELISM_ANNOTATION}: the runtime names a trigger's
 * subscription `knative-trigger-<ns>-<name>`, and triggers live in their broker's namespace.
 */
export function parallelismOverrides(
  ctx: ProviderContext,
): (subscription: string) => Partial<SubscribeOptions> | undefined {
  const prefix = `knative-trigger-${ctx.namespace ?? 'default'}-`;
  return (subscription) => {
    if (!subscription.startsWith(prefix) || !ctx.topology) return undefined;
    const trigger = ctx.topology.get(
      'Trigger',
      ctx.namespace ?? 'default',
      subscription.slice(prefix.length),
    );
    const v = trigger?.metadata.annotations?.[PARALLELISM_ANNOTATION];
    if (v === undefined || !/^[1-9]\d{0,3}$/.test(v) || Number(v) > 1000) return undefined;
    const n = Number(v);
    return { ordered: n === 1, concurrency: n };
  };
}

/** Provider for broker class `RabbitMQBroker`. */
export const rabbitmqBackendProvider: BackendProvider<RabbitmqBackendConfig> = {
  kind: 'rabbitmq',
  brokerClasses: ['RabbitMQBroker'],
  configSchema: rabbitmqBackendConfigSchema,
  subscribeOptions: parallelismSubscribeOptions,
  create(config, ctx) {
    const { url, queueType } = resolveBrokerConnection(config, ctx);
    // Options are worked out now (config errors surface at create); amqplib loads on start().
    const options: RabbitmqBackendOptions = {
      url,
      queueType,
      logger: ctx.logger,
      pendingTimeoutMs: config.pendingTimeoutMs,
      redeliveryDelayMs: config.redeliveryDelayMs,
      maxRedeliveryDelayMs: config.maxRedeliveryDelayMs,
      subscribeOverrides: parallelismOverrides(ctx),
      connectionName: ctx.clientName ?? clientName(`broker-${ctx.namespace ?? 'default'}`),
    };
    return lazyBackend('rabbitmq', async () =>
      (await import('./rabbitmq-backend.js')).createRabbitmqBackend(options),
    );
  },
};
