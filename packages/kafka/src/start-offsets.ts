/**
 * The start position of a consumer group (docs/kafka.md, "From when delivery is promised"): every
 * partition of the group's topics gets a committed offset before the group's owner is Ready, as
 * Knative's Kafka broker does, so a crash before the first delivery cannot move the start to
 * `latest` on restart.
 */
import type { Admin } from 'kafkajs';

/** One partition's start offset. */
export interface StartOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Where partitions without a committed offset start, per topic. */
export type StartFrom = 'earliest' | 'latest' | ((topic: string) => 'earliest' | 'latest');

/** Partition ids of `topic` from fresh metadata; throws when the metadata lists none. */
export async function topicPartitions(admin: Admin, topic: string): Promise<number[]> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const ids = (meta.topics.find((t) => t.name === topic)?.partitions ?? []).map(
    (p) => p.partitionId,
  );
  if (ids.length === 0) throw new Error(`topic '${topic}' has no partitions in the metadata yet`);
  return ids.sort((a, b) => a - b);
}

/**
 * The partitions of `topics` that have no committed offset for `groupId`, each with the offset it
 * must start from (`earliest` → low watermark, `latest` → high watermark, read now).
 */
export async function missingStartOffsets(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  startFrom: StartFrom,
): Promise<StartOffset[]> {
  const out: StartOffset[] = [];
  for (const topic of topics) {
    const partitions = await topicPartitions(admin, topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const have = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    const missing = partitions.filter((p) => (have.get(p) ?? '-1') === '-1');
    if (missing.length === 0) continue;
    const ends = await admin.fetchTopicOffsets(topic);
    const from = typeof startFrom === 'function' ? startFrom(topic) : startFrom;
    for (const partition of missing) {
      const end = ends.find((e) => e.partition === partition);
      if (!end) throw new Error(`no offsets known for ${topic}/${partition} yet`);
      out.push({ topic, partition, offset: from === 'earliest' ? end.low : end.high });
    }
  }
  return out;
}
