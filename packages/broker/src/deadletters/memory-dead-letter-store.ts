import type {
  DeadLetterEntry,
  DeadLetterPage,
  DeadLetterQuery,
  DeadLetterStore,
} from '@tributary/core';

/** Default bound of a memory dead-letter store, per broker (docs/failed-deliveries.md). */
export const DEFAULT_MEMORY_DEAD_LETTER_CAPACITY = 10_000;

/** Options of {@link createMemoryDeadLetterStore}. */
export interface MemoryDeadLetterStoreOptions {
  /** Most entries held; storing one more drops the oldest. @default 10000 */
  readonly capacity?: number;
  /** Called with every entry dropped because the store was full. */
  readonly onDrop?: (dropped: DeadLetterEntry) => void;
}

/**
 * A bounded in-memory store: entries in insertion order (a Map keyed by id, re-inserted on replace),
 * the cursor is the sequence number of the last entry of a page. Lost when the process exits.
 */
export function createMemoryDeadLetterStore(
  options: MemoryDeadLetterStoreOptions = {},
): DeadLetterStore {
  const capacity = options.capacity ?? DEFAULT_MEMORY_DEAD_LETTER_CAPACITY;
  const entries = new Map<string, { seq: number; entry: DeadLetterEntry }>();
  let seq = 0;
  return {
    kind: 'memory',
    put(entry) {
      entries.delete(entry.id);
      entries.set(entry.id, { seq: ++seq, entry });
      while (entries.size > capacity) {
        const [oldest, held] = entries.entries().next().value as [
          string,
          { entry: DeadLetterEntry },
        ];
        entries.delete(oldest);
        options.onDrop?.(held.entry);
      }
      return Promise.resolve();
    },
    list(query: DeadLetterQuery): Promise<DeadLetterPage> {
      const after = query.cursor === undefined ? 0 : Number(query.cursor);
      const items: DeadLetterEntry[] = [];
      let next: string | undefined;
      for (const { seq: s, entry } of entries.values()) {
        if (s <= after) continue;
        if (query.owner !== undefined && entry.owner.name !== query.owner) continue;
        if (query.namespace !== undefined && entry.owner.namespace !== query.namespace) continue;
        if (items.length === query.limit) {
          next = String(seqOf(items[items.length - 1]!));
          break;
        }
        items.push(entry);
      }
      return Promise.resolve(next === undefined ? { items } : { items, next });
    },
    get: (id) => Promise.resolve(entries.get(id)?.entry),
    remove: (id) => Promise.resolve(entries.delete(id)),
    size: () => Promise.resolve(entries.size),
  };

  function seqOf(e: DeadLetterEntry): number {
    return entries.get(e.id)!.seq;
  }
}
