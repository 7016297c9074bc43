import type { CloudEvent } from '@tributary/core';

/**
 * The archive and replay contracts (docs/failed-deliveries.md, "Archive and replay"). The runtime
 * appends every event a Broker with `tributary.dev/archive-retention` accepted; replays read a
 * time window back in order and record their progress so a restarted process resumes them.
 */

/** One archived event: its position (increasing per archive) and when the broker accepted it. */
export interface ArchivedEvent {
  readonly seq: number;
  /** ms since the epoch when the broker accepted the event. */
  readonly archivedAt: number;
  readonly event: CloudEvent;
}

/** Where archived events live (memory: a bounded ring; `--data-dir`: a SQLite file). */
export interface EventArchive {
  /** Keeps `events` of `broker` ("ns/name"); drops what is older than `retentionMs`. */
  append(broker: string, events: readonly CloudEvent[], retentionMs: number): void;
  /** Events of `broker` accepted in `[fromMs, toMs]` with `seq > afterSeq`, in order, at most `limit`. */
  read(
    broker: string,
    fromMs: number,
    toMs: number,
    afterSeq: number,
    limit: number,
  ): ArchivedEvent[];
  /** How many events of `broker` were accepted in `[fromMs, toMs]`. */
  count(broker: string, fromMs: number, toMs: number): number;
  close?(): void;
}

export type ReplayState = 'running' | 'done' | 'cancelled' | 'failed';

/** A replay as the admin API lists it (`GET /admin/v1/replays`). */
export interface ReplayRecord {
  readonly id: string;
  readonly broker: string;
  readonly trigger?: string | undefined;
  /** RFC 3339, as asked. */
  readonly from: string;
  readonly to: string;
  readonly filter?: string | undefined;
  state: ReplayState;
  /** Events in the window when the replay started. */
  total?: number | undefined;
  /** Deliveries that succeeded (one per event and trigger). */
  delivered: number;
  /** Deliveries that failed (dead-lettered, dropped or held failing). */
  failed: number;
  readonly startedAt: string;
  finishedAt?: string | undefined;
  /** Why a replay failed. */
  error?: string | undefined;
  /** The `seq` of the last archived event fully handled (progress; resumes after it). */
  cursor: number;
}

/** Where replay records live; `save` must be durable on return for a durable store. */
export interface ReplayStore {
  list(): ReplayRecord[];
  save(record: ReplayRecord): void;
}
