/**
 * A KafkaSource record as a CloudEvent (docs/knative-behaviour.md §7.4): records that are CloudEvents (binary
 * `ce_` headers or structured content type) pass through with `knativekafkapartition` and
 * `knativekafkaoffset`; any other record is mapped the way Knative's data plane maps it.
 */
import type { CloudEvent } from '@tributary/core';
import { decodeRecord, headerString, type RecordHeaders } from '../record-codec.js';
import type { KeyType } from './kafka-source-resource.js';

/** What the mapping needs of a record. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Milliseconds since the epoch, as a string (kafkajs). */
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RecordHeaders | undefined;
}

/** Reads a record key per the `kafkasources.sources.knative.dev/key-type` label. */
export function typedKey(key: Buffer, type: KeyType): string {
  if (type === 'int' && key.length === 4) return String(key.readInt32BE(0));
  if (type === 'float' && key.length === 4) return String(key.readFloatBE(0));
  if (type === 'float' && key.length === 8) return String(key.readDoubleBE(0));
  if (type === 'byte-array') return key.toString('base64');
  return key.toString('utf8');
}

/** The CloudEvent a KafkaSource `<namespace>/<name>` sends for a record. */
export function sourceRecordEvent(
  record: SourceRecord,
  source: { namespace: string; name: string; keyType: KeyType },
): CloudEvent {
  const { topic, partition, offset } = record;
  const ce = decodeRecord(record.value, record.headers);
  if (ce)
    return {
      ...ce,
      attributes: {
        ...ce.attributes,
        knativekafkapartition: String(partition),
        knativekafkaoffset: offset,
      },
    };
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: `partition:${partition}/offset:${offset}`,
    type: 'dev.knative.kafka.event',
    source: `/apis/v1/namespaces/${source.namespace}/kafkasources/${source.name}#${topic}`,
    subject: `partition:${partition}#${offset}`,
  };
  const ms = Number(record.timestamp);
  if (Number.isFinite(ms) && ms >= 0) attributes['time'] = new Date(ms).toISOString();
  if (record.key !== null) {
    const key = typedKey(record.key, source.keyType);
    attributes['key'] = key;
    attributes['partitionkey'] = key;
  }
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    const v = headerString(value);
    if (v === undefined) continue;
    if (name.toLowerCase() === 'content-type') {
      attributes['datacontenttype'] = v.toLowerCase();
      continue;
    }
    const ext = `kafkaheader${name.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
    attributes[ext] = v;
  }
  return record.value === null
    ? { attributes }
    : { attributes, data: new Uint8Array(record.value) };
}
