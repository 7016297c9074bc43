import type { Redis } from 'ioredis';
import { compareIds, nextId } from './codec.js';

/**
 * Removes the entries every consumer group of `stream` has acknowledged (XTRIM MINID): the
 * smallest of each group's oldest pending ID, or the ID after its last delivered one when nothing
 * is pending. A stream without groups is left alone. Returns the number of entries removed.
 */
export async function trimAcknowledged(redis: Redis, stream: string): Promise<number> {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  if (groups.length === 0) return 0;
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
  return Number(await redis.xtrim(stream, 'MINID', min));
}
