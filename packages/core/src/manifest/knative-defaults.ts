/**
 * Knative's cluster defaults, read from the ConfigMaps Knative reads them from (namespace
 * `knative-eventing`): `config-br-defaults` (key `default-br-config`: the broker class, config
 * and delivery a Broker gets when it sets none) and `default-ch-webhook` (key
 * `default-ch-config`: the channel template of a Channel, Sequence or Parallel that sets none).
 * A namespace entry beats the cluster entry; a value on the resource beats both
 * (docs/knative-compatibility.md).
 */
import { parse } from 'yaml';
import { z } from 'zod';
import { DeliverySpecSchema, type DeliverySpec, type KReference } from '../resources/common.js';
import type { ConfigMap } from '../resources/kinds.js';
import type { Loaded } from './types.js';

/** The namespace Knative reads its ConfigMaps from. */
export const KNATIVE_SYSTEM_NAMESPACE = 'knative-eventing';
/** ConfigMap of broker defaults and its data key. */
export const BROKER_DEFAULTS_CONFIGMAP = 'config-br-defaults';
export const BROKER_DEFAULTS_KEY = 'default-br-config';
/** ConfigMap of channel defaults and its data key. */
export const CHANNEL_DEFAULTS_CONFIGMAP = 'default-ch-webhook';
export const CHANNEL_DEFAULTS_KEY = 'default-ch-config';

const BrokerConfigSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  delivery: DeliverySpecSchema.optional(),
});
const ClassAndConfigSchema = BrokerConfigSchema.extend({
  brokerClass: z.string().optional(),
  brokerClasses: z.record(z.string(), BrokerConfigSchema).optional(),
});
/** Shape of `default-br-config` (Knative's `Defaults`). */
export const BrokerDefaultsSchema = z.object({
  clusterDefault: ClassAndConfigSchema.optional(),
  namespaceDefaults: z.record(z.string(), ClassAndConfigSchema).optional(),
});
export type BrokerDefaultsConfig = z.output<typeof BrokerDefaultsSchema>;
type ClassAndConfig = z.output<typeof ClassAndConfigSchema>;
type BrokerConfig = z.output<typeof BrokerConfigSchema>;

const ChannelTemplateSchema = z.object({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  spec: z.record(z.string(), z.unknown()).optional(),
});
/** Shape of `default-ch-config`. */
export const ChannelDefaultsSchema = z.object({
  clusterDefault: ChannelTemplateSchema.optional(),
  namespaceDefaults: z.record(z.string(), ChannelTemplateSchema).optional(),
});
export type ChannelDefaultsConfig = z.output<typeof ChannelDefaultsSchema>;
/** A channel template as `default-ch-config` gives it. */
export type DefaultChannelTemplate = z.output<typeof ChannelTemplateSchema>;

/** What a Broker without class, config or delivery gets. */
export interface BrokerDefault {
  readonly brokerClass: string;
  readonly config?: KReference | undefined;
  readonly delivery?: DeliverySpec | undefined;
}

/** The defaults in effect for one set of manifests (passed to every kind's `defaults`). */
export interface KnativeDefaults {
  /**
   * The class a Broker in `namespace` gets when it has no class annotation, and the config and
   * delivery for a Broker of `brokerClass` (or of the default class when undefined).
   */
  broker(namespace: string, brokerClass: string | undefined): BrokerDefault | undefined;
  /** The channel template for a Channel, Sequence or Parallel in `namespace` without one. */
  channel(namespace: string): DefaultChannelTemplate | undefined;
}

/** A problem in one of the ConfigMaps, located by its data key. */
export interface DefaultsProblem {
  readonly configMap: Loaded<ConfigMap>;
  readonly key: string;
  readonly message: string;
}

const toRef = (c: BrokerConfig | undefined): KReference | undefined =>
  c?.kind && c.name
    ? {
        apiVersion: c.apiVersion ?? 'v1',
        kind: c.kind,
        name: c.name,
        ...(c.namespace ? { namespace: c.namespace } : {}),
      }
    : undefined;

const hasConfig = (c: BrokerConfig): boolean => !!toRef(c) || c.delivery !== undefined;

/** Knative's GetBrokerConfig by class: namespace entry, then cluster entry. */
function configByClass(d: BrokerDefaultsConfig, ns: string, cls: string): BrokerConfig | undefined {
  for (const entry of [d.namespaceDefaults?.[ns], d.clusterDefault]) {
    if (!entry) continue;
    const byClass = entry.brokerClasses?.[cls];
    if (byClass) return byClass;
    if (entry.brokerClass === cls && hasConfig(entry)) return entry;
  }
  return undefined;
}

/** Knative's GetBrokerClass: namespace entry, then cluster entry, then MTChannelBasedBroker. */
function classOf(d: BrokerDefaultsConfig, ns: string): string | undefined {
  return d.namespaceDefaults?.[ns]?.brokerClass || d.clusterDefault?.brokerClass || undefined;
}

function configForEmptyClass(d: BrokerDefaultsConfig, ns: string): BrokerConfig | undefined {
  for (const entry of [d.namespaceDefaults?.[ns], d.clusterDefault] as (
    ClassAndConfig | undefined
  )[]) {
    if (!entry) continue;
    if (entry.brokerClass) return configByClass(d, ns, entry.brokerClass);
    if (hasConfig(entry)) return entry;
  }
  return undefined;
}

function parseKey<T>(
  cm: Loaded<ConfigMap> | undefined,
  key: string,
  schema: z.ZodType<T>,
  problems: DefaultsProblem[],
): T | undefined {
  const text = cm?.data?.[key];
  if (!cm || text === undefined) return undefined;
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    problems.push({
      configMap: cm,
      key,
      message: `${key} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    });
    return undefined;
  }
  if (value === null || value === undefined) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const i of r.error.issues)
    problems.push({
      configMap: cm,
      key,
      message: `${key}: ${i.path.join('.') || '(value)'}: ${i.message}`,
    });
  return undefined;
}

/** Finds `config-br-defaults` and `default-ch-webhook` in namespace knative-eventing and parses them. */
export function readKnativeDefaults(configMaps: readonly Loaded<ConfigMap>[]): {
  defaults: KnativeDefaults;
  problems: DefaultsProblem[];
} {
  const find = (name: string) =>
    configMaps.find(
      (c) => c.metadata.name === name && c.metadata.namespace === KNATIVE_SYSTEM_NAMESPACE,
    );
  const problems: DefaultsProblem[] = [];
  const br = parseKey(
    find(BROKER_DEFAULTS_CONFIGMAP),
    BROKER_DEFAULTS_KEY,
    BrokerDefaultsSchema,
    problems,
  );
  const ch = parseKey(
    find(CHANNEL_DEFAULTS_CONFIGMAP),
    CHANNEL_DEFAULTS_KEY,
    ChannelDefaultsSchema,
    problems,
  );
  const defaults: KnativeDefaults = {
    broker(ns, cls) {
      if (!br) return undefined;
      const brokerClass = cls ?? classOf(br, ns);
      const cfg = cls ? configByClass(br, ns, cls) : configForEmptyClass(br, ns);
      if (!brokerClass && !cfg) return undefined;
      return {
        brokerClass: brokerClass ?? 'MTChannelBasedBroker',
        config: toRef(cfg),
        delivery: cfg?.delivery,
      };
    },
    channel: (ns) => ch?.namespaceDefaults?.[ns] ?? ch?.clusterDefault,
  };
  return { defaults, problems };
}
