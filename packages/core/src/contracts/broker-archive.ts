import type { CloudEvent } from '../cloudevents/cloud-event.js';

/**
 * The archive a backend keeps natively for one Broker with `tributary.dev/archive-retention`
 * (docs/failed-deliveries.md, "Archive and replay"): Redis keeps the broker stream's entries for
 * the retention, Kafka the topic's records (`retention.ms`), RabbitMQ a stream queue. A backend
 * offers it with `Backend.archive`; without it the runtime keeps its own (memory ring or
 * `archive.db`). Every method may reject when the backend cannot answer now.
 */

/** One archived event: its position (increasing per broker) and when the broker accepted it. */
export interface ArchivedEvent {
  readonly seq: number;
  /** ms since the epoch when the broker accepted the event. */
  readonly archivedAt: number;
  readonly event: CloudEvent;
}

/** The archive of one broker, kept by its backend. */
export interface BrokerArchive {
  /** Which implementation: 'redis', 'kafka', 'rabbitmq'. */
  readonly kind: string;
  /**
   * Prepares what the archive needs before the broker takes events (RabbitMQ: declares and binds
   * its stream queue). The runtime awaits it before it reports the broker Ready; on failure it
   * logs and goes on (the archive retries on first use).
   */
  open?(): Promise<void>;
  /**
   * Called after the backend accepted `events` (its `publish` resolved). A backend whose topic
   * already is the archive does nothing; one that keeps a separate copy writes it here.
   */
  append(events: readonly CloudEvent[]): Promise<void>;
  /** Events accepted in `[fromMs, toMs]` with `seq > afterSeq`, in order, at most `limit`. */
  read(fromMs: number, toMs: number, afterSeq: number, limit: number): Promise<ArchivedEvent[]>;
  /** How many events were accepted in `[fromMs, toMs]`. */
  count(fromMs: number, toMs: number): Promise<number>;
  close?(): Promise<void>;
}

/** Which broker an archive is asked for: its name and the backend topic its events go to. */
export interface ArchivedBrokerRef {
  readonly namespace: string;
  readonly name: string;
  readonly topic: string;
}
