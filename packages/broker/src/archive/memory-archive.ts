import type { CloudEvent } from '@tributary/core';
import type { ArchivedEvent, EventArchive, ReplayRecord, ReplayStore } from './archive-types.js';

/** Events the memory archive keeps per broker; beyond it the oldest go first. */
export const MEMORY_ARCHIVE_CAPACITY = 100_000;

/**
 * The archive of the memory backend: a bounded ring per broker (at most
 * {@link MEMORY_ARCHIVE_CAPACITY} events, and none older than the retention). Lost on exit.
 */
export class MemoryArchive implements EventArchive {
  readonly #rings = new Map<string, ArchivedEvent[]>();
  #seq = 0;

  constructor(readonly capacity = MEMORY_ARCHIVE_CAPACITY) {}

  append(broker: string, events: readonly CloudEvent[], retentionMs: number): void {
    let ring = this.#rings.get(broker);
    if (!ring) this.#rings.set(broker, (ring = []));
    const now = Date.now();
    for (const event of events) ring.push({ seq: ++this.#seq, archivedAt: now, event });
    let drop = Math.max(0, ring.length - this.capacity);
    while (drop < ring.length && ring[drop]!.archivedAt < now - retentionMs) drop++;
    if (drop > 0) ring.splice(0, drop);
  }

  read(
    broker: string,
    fromMs: number,
    toMs: number,
    afterSeq: number,
    limit: number,
  ): ArchivedEvent[] {
    const out: ArchivedEvent[] = [];
    for (const e of this.#rings.get(broker) ?? []) {
      if (e.seq <= afterSeq || e.archivedAt < fromMs || e.archivedAt > toMs) continue;
      out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  count(broker: string, fromMs: number, toMs: number): number {
    let n = 0;
    for (const e of this.#rings.get(broker) ?? [])
      if (e.archivedAt >= fromMs && e.archivedAt <= toMs) n++;
    return n;
  }
}

/** Replay records in memory (the memory backend: lost on exit). */
export class MemoryReplayStore implements ReplayStore {
  readonly #records = new Map<string, ReplayRecord>();
  list(): ReplayRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r }));
  }
  save(record: ReplayRecord): void {
    this.#records.set(record.id, { ...record });
  }
}
