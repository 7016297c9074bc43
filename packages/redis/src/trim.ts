import type { Redis } from 'ioredis';
import { compareIds, nextId } from './codec.js';

/**
 * Removes the entries every consumer group of `stream` has acknowledged (XTRIM MINID): the
 * smallest of each group's oldest pending ID, or the ID after its last delivered one when nothing
 * is pending. A stream without groups is left alone. Returns the number of entries removed.
 *
 * With `retentionMs` (an archived broker, docs/redis.md "Archive") the trim goes by age
 * instead: entries younger than the retention stay even when acknowledged, and an older entry
 * still pending (or not yet read) by a group stays too; without groups, only the age counts.
 */
export async function trimAcknowledged(
  redis: Redis,
  stream: string,
  retentionMs?: number,
): Promise<number> {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  const byAge = retentionMs === undefined ? undefined : `${Date.now() - retentionMs}-0`;
  if (groups.length === 0) return byAge ? Number(await redis.xtrim(stream, 'MINID', byAge)) : 0;
  let min: string | undefined;
  for (const g of groups) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
    const name = String(info.get('name'));
    const pending = Number(info.get('pending'));
    let keep = nextId(String(info.get('last-delivered-id')));
    if (pending > 0) {
      const summary = (await redis.xpending(stream, name)) as [number, string | null, ...unknown[]];
      if (summary[1]) keep = summary[1];
    }
    if (min === undefined || compareIds(keep, min) < 0) min = keep;
  }
  if (!min) return 0;
  if (byAge && compareIds(byAge, min) < 0) min = byAge;
  return Number(await redis.xtrim(stream, 'MINID', min));
}
