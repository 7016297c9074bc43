/**
 * The event catalog (docs/event-catalog.md): the EventTypes declared in the manifests, plus,
 * for every Broker annotated `tributary.dev/eventtype-auto-create: "true"`, one
 * `eventing.knative.dev/v1beta3` EventType per (type, source) the broker accepted, with a JSON
 * Schema of the data inferred from samples.
 *
 * Cost beside the ingress: brokers without the annotation pay one map lookup per ingest. For an
 * annotated broker each event costs a counter update; only sampled events (the first
 * `sampleFirst` of a type, then at most one per `sampleIntervalMs`) are queued, and parsed after
 * the ingress answered (setImmediate), at most `queueLimit` waiting. Types per broker, total
 * types, data size parsed and schema size are capped.
 */
import { createHash } from 'node:crypto';
import {
  type CloudEvent,
  EVENTING_V1BETA3,
  EVENTTYPE_SCHEMA_ANNOTATION,
  type EventAttributeDefinition,
  type EventType,
  type Loaded,
  type Topology,
  brokerAutoCreatesEventTypes,
  eventTypeAttribute,
  isJsonContentType,
} from '@tributary/core';
import { type InferenceLimits, type JsonSchema, SchemaAccumulator } from './schema-inference.js';

/** Bounds of the catalog. */
export interface CatalogOptions {
  /** Event types recorded per broker; later ones are counted in `dropped`. @default 200 */
  readonly maxTypesPerBroker?: number;
  /** Event types recorded in total. @default 2000 */
  readonly maxTypes?: number;
  /** Every one of the first N events of a type is sampled. @default 20 */
  readonly sampleFirst?: number;
  /** After that, at most one sample per type per interval. @default 1000 */
  readonly sampleIntervalMs?: number;
  /** Data larger than this is not parsed. @default 65536 */
  readonly maxDataBytes?: number;
  /** Samples waiting to be parsed; more are skipped. @default 256 */
  readonly queueLimit?: number;
  readonly limits?: Partial<InferenceLimits>;
  readonly now?: () => number;
}

/** How an EventType came to be in the catalog. */
export type EventTypeOrigin = 'declared' | 'auto-created';

/** One catalog entry as the admin API serves it: a v1beta3 EventType plus what was observed. */
export interface CatalogEventType {
  readonly apiVersion: typeof EVENTING_V1BETA3;
  readonly kind: 'EventType';
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: EventType['spec'];
  readonly status: {
    readonly origin: EventTypeOrigin;
    /** Events accepted for it (on an annotated broker). */
    readonly events: number;
    /** Samples merged into the inferred schema. */
    readonly samples: number;
    readonly firstSeen?: string | undefined;
    readonly lastSeen?: string | undefined;
    readonly datacontenttype?: string | undefined;
    /** `declared` (annotation `tributary.dev/data-schema`) or `inferred`. */
    readonly schemaSource?: 'declared' | 'inferred' | undefined;
    readonly schema?: JsonSchema | undefined;
  };
}

interface Entry {
  readonly name: string;
  readonly namespace: string;
  readonly origin: EventTypeOrigin;
  readonly spec: EventType['spec'];
  readonly declaredSchema?: JsonSchema | undefined;
  readonly schema: SchemaAccumulator;
  events: number;
  firstSeen?: number;
  lastSeen?: number;
  lastSampleAt: number;
  datacontenttype?: string | undefined;
}

interface BrokerState {
  /** `type \0 source` → entry. */
  readonly byKey: Map<string, Entry>;
  dropped: number;
}

const BROKER_REF = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker' } as const;

/** Knative-like name of an auto-created EventType: `et-<broker>-<hash of type and source>`. */
export function autoEventTypeName(broker: string, type: string, source: string): string {
  const hash = createHash('sha256').update(`${type}\u0000${source}`).digest('hex').slice(0, 10);
  const prefix = `et-${broker}`.slice(0, 63 - 11).replace(/-+$/, '');
  return `${prefix}-${hash}`;
}

function declaredSchemaOf(et: EventType): JsonSchema | undefined {
  const text = et.metadata.annotations?.[EVENTTYPE_SCHEMA_ANNOTATION];
  if (text !== undefined) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as JsonSchema;
    } catch {
      // validated at load time
    }
  }
  const status = (et as { status?: unknown }).status as { schema?: unknown } | undefined;
  const s = status?.schema;
  return s && typeof s === 'object' && !Array.isArray(s) ? (s as JsonSchema) : undefined;
}

/** The catalog of one runtime. */
export class EventCatalog {
  readonly #brokers = new Map<string, BrokerState>();
  #declared: Entry[] = [];
  readonly #queue: Array<{ entry: Entry; event: CloudEvent }> = [];
  #draining = false;
  #total = 0;
  readonly #o: Required<Omit<CatalogOptions, 'limits'>> & { limits: Partial<InferenceLimits> };

  constructor(topology: Topology, options: CatalogOptions = {}) {
    this.#o = {
      maxTypesPerBroker: options.maxTypesPerBroker ?? 200,
      maxTypes: options.maxTypes ?? 2000,
      sampleFirst: options.sampleFirst ?? 20,
      sampleIntervalMs: options.sampleIntervalMs ?? 1000,
      maxDataBytes: options.maxDataBytes ?? 64 * 1024,
      queueLimit: options.queueLimit ?? 256,
      limits: options.limits ?? {},
      now: options.now ?? Date.now,
    };
    this.setTopology(topology);
  }

  /** Takes a new topology: declared EventTypes are re-read; kept brokers keep what they learnt. */
  setTopology(topology: Topology): void {
    const annotated = new Set(
      topology.brokers
        .filter((b) => brokerAutoCreatesEventTypes(b))
        .map((b) => `${b.metadata.namespace}/${b.metadata.name}`),
    );
    for (const key of [...this.#brokers.keys()])
      if (!annotated.has(key)) {
        this.#total -= this.#brokers.get(key)!.byKey.size;
        this.#brokers.delete(key);
      }
    for (const key of annotated)
      if (!this.#brokers.has(key)) this.#brokers.set(key, { byKey: new Map(), dropped: 0 });
    for (const state of this.#brokers.values())
      for (const [k, e] of state.byKey) if (e.origin === 'declared') state.byKey.delete(k);
    this.#declared = (topology.byKind('EventType') as readonly Loaded<EventType>[]).map((et) => ({
      name: et.metadata.name,
      namespace: et.metadata.namespace,
      origin: 'declared',
      spec: et.spec,
      declaredSchema: declaredSchemaOf(et),
      schema: new SchemaAccumulator(this.#o.limits),
      events: 0,
      lastSampleAt: -Infinity,
    }));
    // Declared EventTypes of an annotated broker take its events (no auto-created duplicate).
    for (const d of this.#declared) {
      const ref = d.spec.reference;
      if (ref?.kind !== 'Broker') continue;
      const state = this.#brokers.get(`${ref.namespace ?? d.namespace}/${ref.name}`);
      const type = eventTypeAttribute(d, 'type');
      if (!state || !type) continue;
      const source = eventTypeAttribute(d, 'source');
      state.byKey.set(`${type}\u0000${source ?? '*'}`, d);
    }
  }

  /** True when the broker records EventTypes (the hot-path check). */
  records(namespace: string, broker: string): boolean {
    return this.#brokers.has(`${namespace}/${broker}`);
  }

  /** Notes events a broker accepted. Cheap; parsing happens later and only for samples. */
  observe(namespace: string, broker: string, events: readonly CloudEvent[]): void {
    const state = this.#brokers.get(`${namespace}/${broker}`);
    if (!state) return;
    const now = this.#o.now();
    for (const event of events) {
      const type = event.attributes['type'] ?? '';
      const source = event.attributes['source'] ?? '';
      const entry =
        state.byKey.get(`${type}\u0000${source}`) ??
        state.byKey.get(`${type}\u0000*`) ??
        this.#create(state, namespace, broker, type, source);
      if (!entry) continue;
      entry.events++;
      entry.firstSeen ??= now;
      entry.lastSeen = now;
      if (
        (entry.events <= this.#o.sampleFirst ||
          now - entry.lastSampleAt >= this.#o.sampleIntervalMs) &&
        this.#queue.length < this.#o.queueLimit
      ) {
        entry.lastSampleAt = now;
        this.#queue.push({ entry, event });
        if (!this.#draining) {
          this.#draining = true;
          setImmediate(() => this.#drain());
        }
      }
    }
  }

  #create(
    state: BrokerState,
    namespace: string,
    broker: string,
    type: string,
    source: string,
  ): Entry | undefined {
    if (state.byKey.size >= this.#o.maxTypesPerBroker || this.#total >= this.#o.maxTypes) {
      state.dropped++;
      return undefined;
    }
    const attributes: EventAttributeDefinition[] = [
      { name: 'type', required: true, value: type },
      { name: 'source', required: true, value: source },
      { name: 'specversion', required: true, value: '1.0' },
      { name: 'id', required: true },
    ];
    const entry: Entry = {
      name: autoEventTypeName(broker, type, source),
      namespace,
      origin: 'auto-created',
      spec: { reference: { ...BROKER_REF, name: broker }, attributes },
      schema: new SchemaAccumulator(this.#o.limits),
      events: 0,
      lastSampleAt: -Infinity,
    };
    state.byKey.set(`${type}\u0000${source}`, entry);
    this.#total++;
    return entry;
  }

  #drain(): void {
    this.#draining = false;
    for (const { entry, event } of this.#queue.splice(0)) {
      const ct = event.attributes['datacontenttype'];
      if (ct !== undefined) entry.datacontenttype = ct;
      const data = event.data;
      if (data === undefined) {
        entry.schema.add(undefined);
        continue;
      }
      if (data.byteLength > this.#o.maxDataBytes || !isJsonContentType(ct ?? 'application/json'))
        continue;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString());
      } catch {
        continue;
      }
      entry.schema.add(value);
    }
  }

  /** Waits until every queued sample is merged (tests, `get` right after sending). */
  async settle(): Promise<void> {
    while (this.#draining || this.#queue.length > 0) await new Promise((r) => setImmediate(r));
  }

  /** Events of types not recorded because a cap was reached, per broker `ns/name`. */
  dropped(): Record<string, number> {
    return Object.fromEntries(
      [...this.#brokers].filter(([, s]) => s.dropped > 0).map(([k, s]) => [k, s.dropped]),
    );
  }

  /** Every EventType: declared ones first (in manifest order), then auto-created ones. */
  list(): CatalogEventType[] {
    const auto = [...this.#brokers.values()].flatMap((s) =>
      [...s.byKey.values()].filter((e) => e.origin === 'auto-created'),
    );
    return [...this.#declared, ...auto].map((e) => this.#render(e));
  }

  #render(e: Entry): CatalogEventType {
    const iso = (t: number | undefined) =>
      t === undefined ? undefined : new Date(t).toISOString();
    const inferred = e.schema.samples > 0 ? e.schema.toJsonSchema() : undefined;
    const schema = e.declaredSchema ?? inferred;
    return {
      apiVersion: EVENTING_V1BETA3,
      kind: 'EventType',
      metadata: { name: e.name, namespace: e.namespace },
      spec: e.spec,
      status: {
        origin: e.origin,
        events: e.events,
        samples: e.schema.samples,
        firstSeen: iso(e.firstSeen),
        lastSeen: iso(e.lastSeen),
        datacontenttype: e.datacontenttype,
        schemaSource: e.declaredSchema ? 'declared' : inferred ? 'inferred' : undefined,
        schema,
      },
    };
  }
}
