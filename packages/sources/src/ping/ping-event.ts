import { randomUUID } from 'node:crypto';
import { type CloudEvent, nowRfc3339Nano } from '@tributary/core';
import type { PingSource } from '../resources/ping.js';

/** The `source` attribute of a PingSource's events: `/apis/v1/namespaces/<ns>/pingsources/<name>`. */
export function pingEventSource(namespace: string, name: string): string {
  return `/apis/v1/namespaces/${namespace}/pingsources/${name}`;
}

/**
 * The event one tick emits (docs/knative-behaviour.md §7.3): type `dev.knative.sources.ping`, a fresh UUIDv4 id,
 * `time` = now, `datacontenttype` = `contentType` when there is data, data = `data` or the decoded
 * `dataBase64` (no data ⇒ no body). ceOverrides are applied by the sink.
 */
export function pingEvent(
  source: Pick<PingSource, 'metadata' | 'spec'>,
  now: () => string = nowRfc3339Nano,
): CloudEvent {
  const { spec, metadata } = source;
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: randomUUID(),
    type: 'dev.knative.sources.ping',
    source: pingEventSource(metadata.namespace, metadata.name),
    time: now(),
  };
  let data: Uint8Array | undefined;
  if (spec.dataBase64 !== undefined) data = Buffer.from(spec.dataBase64, 'base64');
  else if (spec.data !== undefined) data = Buffer.from(spec.data, 'utf8');
  if (data !== undefined && spec.contentType) attributes['datacontenttype'] = spec.contentType;
  return data === undefined ? { attributes } : { attributes, data };
}
