import type { ArchivedEvent, BrokerArchive } from '@tributary/core';
import type { Redis } from 'ioredis';
import { decodeEntry } from './codec.js';

/**
 * The archive of a Redis broker with `tributary.dev/archive-retention` (docs/redis.md,
 * "Archive"): the broker stream itself. Its entries stay for the retention (the trim keeps
 * everything younger, see trim.ts), and a replay reads a time window with XRANGE from the entry
 * ID of the window's start: stream IDs are `<ms>-<seq>`, the ms being when Redis accepted the
 * entry. The archive `seq` of an entry is `ms * 4096 + seq`, exact below 4096 entries per
 * millisecond on one broker.
 */

/** Entry IDs per millisecond the archive position can tell apart. */
const PER_MS = 4096;
const PAGE = 1000;

export function archiveSeqOf(id: string): number {
  const [ms, seq] = id.split('-') as [string, string];
  return Number(ms) * PER_MS + Math.min(Number(seq), PER_MS - 1);
}

function idOfSeq(seq: number): string {
  return `${Math.floor(seq / PER_MS)}-${seq % PER_MS}`;
}

type RawRange = Array<[Buffer, Buffer[]]>;

export function createRedisArchive(conn: () => Redis, stream: string): BrokerArchive {
  const range = async (start: string, end: string, count: number): Promise<RawRange> =>
    (await conn().xrangeBuffer(stream, start, end, 'COUNT', count)) as unknown as RawRange;
  const startOf = (fromMs: number, afterSeq: number): string =>
    afterSeq >= fromMs * PER_MS ? `(${idOfSeq(afterSeq)}` : `${fromMs}-0`;

  return {
    kind: 'redis',
    // The broker stream already holds every accepted event: nothing to copy.
    async append() {},
    async read(fromMs, toMs, afterSeq, limit) {
      const rows = await range(startOf(fromMs, afterSeq), String(Math.floor(toMs)), limit);
      return rows.map(([rawId, fields]): ArchivedEvent => {
        const id = rawId.toString('latin1');
        return {
          seq: archiveSeqOf(id),
          archivedAt: Number(id.split('-')[0]),
          event: decodeEntry(id, fields),
        };
      });
    },
    async count(fromMs, toMs) {
      let n = 0;
      let start = `${fromMs}-0`;
      for (;;) {
        const rows = await range(start, String(Math.floor(toMs)), PAGE);
        n += rows.length;
        if (rows.length < PAGE) return n;
        start = `(${rows[rows.length - 1]![0].toString('latin1')}`;
      }
    },
  };
}
