/** The options of a group consumer (./group-consumer.ts). */
import type { CloudEvent, EventHandler, Logger } from '@tributary/core';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { StartFrom } from './start-offsets.js';

/** Consumer group timing (short values make rebalances fast in tests). */
export interface GroupTimeouts {
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

export interface GroupConsumerOptions extends GroupTimeouts {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly handler: EventHandler;
  readonly ordered: boolean;
  readonly concurrency: number;
  /** Where partitions without a committed offset start (per topic when a function). */
  readonly startFrom: StartFrom;
  readonly logger: Logger;
  /** Reads a record; undefined or a throw skips it (logged). */
  readonly toEvent: (
    message: KafkaMessage,
    topic: string,
    partition: number,
  ) => CloudEvent | undefined;
  /** Called before subscribing to a topic (creates it when absent); resolves with nothing. */
  readonly ensureTopic: (topic: string) => Promise<void>;
  /** First wait before a failed record is tried again. @default 200 */
  readonly redeliveryDelayMs?: number;
  /** How long the group leader waits before sending its assignment. @default 250 */
  readonly assignmentDelayMs?: number;
  /** Cap of that wait. @default 10000 */
  readonly maxRedeliveryDelayMs?: number;
  /** How long committing the start offsets is retried before `start` fails. @default 60000 */
  readonly startTimeoutMs?: number;
  /** How often the consumer refreshes metadata (notices new partitions). @default 5000 */
  readonly metadataMaxAgeMs?: number;
  /** Whether the consumer's metadata requests may create missing topics. @default true */
  readonly allowAutoTopicCreation?: boolean;
}
