/**
 * The partitioner of broker topics. Keyed records: murmur2(key) % n, as the Java client (and
 * kafkajs' default partitioner) does. Keyless records: every record of one produce request goes
 * to one partition and the next request to the next partition (round robin per request, Kafka's
 * "sticky" partitioning, KIP-480), instead of one partition per record in turn. One record batch
 * per request instead of one per partition is what the broker writes and every consumer decodes:
 * with 4 partitions and about 8 events a request, a quarter of the batches.
 * n = at most `partitions`: a topic auto-created with more partitions than configured is used as
 * if it had the configured count.
 */
import { type ICustomPartitioner, type PartitionMetadata, Partitioners } from 'kafkajs';

/** Marks the records of one produce request: they share `partition` when keyless. */
export const STICKY = Symbol('sticky partition');

/** What the records of one request share (set on each of them under {@link STICKY}). */
export interface StickyBatch {
  partition?: number;
}

interface Partitions {
  /** The first `partitions` partitions, by id. */
  readonly used: PartitionMetadata[];
  /** Those of them with a leader. */
  readonly available: PartitionMetadata[];
}

/** The broker topics' partitioner (kafkajs `createPartitioner`). */
export function brokerPartitioner(partitions: number): ICustomPartitioner {
  return () => {
    const byKey = Partitioners.DefaultPartitioner();
    const next = new Map<string, number>();
    // kafkajs passes the same metadata array until it refreshes the metadata.
    const cache = new WeakMap<PartitionMetadata[], Partitions>();
    return ({ topic, partitionMetadata, message }) => {
      let p = cache.get(partitionMetadata);
      if (!p) {
        const used = [...partitionMetadata]
          .sort((a, b) => a.partitionId - b.partitionId)
          .slice(0, partitions);
        p = { used, available: used.filter((m) => m.leader >= 0) };
        cache.set(partitionMetadata, p);
      }
      const batch = (message as { [STICKY]?: StickyBatch })[STICKY];
      if (message.key != null || !batch || p.used.length === 0)
        return byKey({ topic, partitionMetadata: p.used, message });
      const candidates = p.available.length > 0 ? p.available : p.used;
      if (
        batch.partition !== undefined &&
        candidates.some((m) => m.partitionId === batch.partition)
      )
        return batch.partition;
      const i = next.get(topic) ?? Math.floor(Math.random() * candidates.length);
      next.set(topic, (i + 1) % 0x7fffffff);
      batch.partition = candidates[i % candidates.length]!.partitionId;
      return batch.partition;
    };
  };
}
