import type { CloudEvent } from '@tributary/core';

/** CloudEvents type of RedisStreamSource events. */
export const REDIS_STREAM_EVENT_TYPE = 'dev.knative.sources.redisstream';

/**
 * Maps a stream entry to Knative's event: `id` = entry ID, `source` = `<address>/<stream>`,
 * data = JSON array of alternating field/value strings.
 */
export function streamEntryEvent(
  address: string,
  stream: string,
  id: string,
  fields: readonly string[],
): CloudEvent {
  return {
    attributes: {
      specversion: '1.0',
      id,
      source: `${address}/${stream}`,
      type: REDIS_STREAM_EVENT_TYPE,
      datacontenttype: 'application/json',
    },
    data: Buffer.from(JSON.stringify(fields), 'utf8'),
  };
}
