import {
  type DeadLetterEntry,
  type DeadLetterEntryJson,
  type DeadLetterPage,
  type DeadLetterStore,
  deadLetterEntryFromJson,
  deadLetterEntryToJson,
} from '@tributary/core';
import type { Redis } from 'ioredis';

/**
 * A broker's dead-letter store on Redis (docs/redis.md, docs/failed-deliveries.md): a stream per
 * broker, `tributary:deadletters:<ns>/<name>`, one stream entry per dead-letter entry (fields `id`
 * and `entry`, the entry's JSON), plus a hash `…:index` from entry id to stream id so `get` and
 * `remove` are O(1). Both keys change together in Lua scripts (atomic); replacing an entry appends
 * it again, so the stream stays in the order entries were (last) stored.
 */

/** Stream key of a broker's dead-letter store. */
export function deadLetterStreamKey(broker: { namespace: string; name: string }): string {
  return `tributary:deadletters:${broker.namespace}/${broker.name}`;
}

// KEYS[1] stream, KEYS[2] index; ARGV[1] id, ARGV[2] entry JSON.
const PUT = `
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('XDEL', KEYS[1], old) end
local sid = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'entry', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], sid)
return sid`;

// KEYS[1] stream, KEYS[2] index; ARGV[1] id.
const REMOVE = `
local sid = redis.call('HGET', KEYS[2], ARGV[1])
if not sid then return 0 end
redis.call('XDEL', KEYS[1], sid)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;

/** Stream entries read per XRANGE while filtering a page. */
const SCAN_BATCH = 200;

export function createRedisDeadLetterStore(
  redis: () => Redis,
  broker: { namespace: string; name: string },
): DeadLetterStore {
  const stream = deadLetterStreamKey(broker);
  const index = `${stream}:index`;
  const parse = (fields: string[]): DeadLetterEntry | undefined => {
    const i = fields.indexOf('entry');
    if (i < 0 || i + 1 >= fields.length) return undefined;
    return deadLetterEntryFromJson(JSON.parse(fields[i + 1]!) as DeadLetterEntryJson);
  };
  return {
    kind: 'redis',
    async put(entry) {
      await redis().eval(
        PUT,
        2,
        stream,
        index,
        entry.id,
        JSON.stringify(deadLetterEntryToJson(entry)),
      );
    },
    async list(query): Promise<DeadLetterPage> {
      const items: DeadLetterEntry[] = [];
      let start = query.cursor === undefined ? '-' : `(${query.cursor}`;
      let lastSid: string | undefined;
      for (;;) {
        const rows = await redis().xrange(stream, start, '+', 'COUNT', SCAN_BATCH);
        for (const [sid, fields] of rows) {
          const e = parse(fields);
          if (!e) continue;
          if (query.owner !== undefined && e.owner.name !== query.owner) continue;
          if (query.namespace !== undefined && e.owner.namespace !== query.namespace) continue;
          if (items.length === query.limit) return { items, next: lastSid };
          items.push(e);
          lastSid = sid;
        }
        if (rows.length < SCAN_BATCH) return { items };
        start = `(${rows[rows.length - 1]![0]}`;
      }
    },
    async get(id) {
      const sid = await redis().hget(index, id);
      if (!sid) return undefined;
      const rows = await redis().xrange(stream, sid, sid);
      return rows[0] ? parse(rows[0][1]) : undefined;
    },
    async remove(id) {
      return (await redis().eval(REMOVE, 2, stream, index, id)) === 1;
    },
    size: () => redis().hlen(index),
  };
}
