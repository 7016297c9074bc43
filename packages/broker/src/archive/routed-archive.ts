import type { ArchivedEvent, BrokerArchive, CloudEvent } from '@tributary/core';
import type { EventArchive } from './archive-types.js';

/**
 * The runtime's archive (docs/failed-deliveries.md, "Archive and replay"): a broker whose backend
 * keeps its own archive (`Backend.archive`) is read from and appended to there; every other
 * archived broker uses the default archive (memory ring, or `archive.db` with `--data-dir`).
 */
export class RoutedArchive implements EventArchive {
  readonly #own = new Map<string, BrokerArchive>();

  constructor(private readonly fallback: EventArchive) {}

  /** Routes `broker` ("ns/name") to its backend's archive. */
  attach(broker: string, archive: BrokerArchive): void {
    this.#own.set(broker, archive);
  }

  /** Forgets a removed broker's backend archive (its events stay where the backend keeps them). */
  async detach(broker: string): Promise<void> {
    const a = this.#own.get(broker);
    this.#own.delete(broker);
    await a?.close?.();
  }

  /** Which archive holds `broker`: the backend's kind, or undefined for the default. */
  kindOf(broker: string): string | undefined {
    return this.#own.get(broker)?.kind;
  }

  async append(broker: string, events: readonly CloudEvent[], retentionMs: number): Promise<void> {
    const own = this.#own.get(broker);
    if (own) await own.append(events);
    else await this.fallback.append(broker, events, retentionMs);
  }

  read(
    broker: string,
    fromMs: number,
    toMs: number,
    afterSeq: number,
    limit: number,
  ): Promise<ArchivedEvent[]> {
    const own = this.#own.get(broker);
    return own
      ? own.read(fromMs, toMs, afterSeq, limit)
      : this.fallback.read(broker, fromMs, toMs, afterSeq, limit);
  }

  count(broker: string, fromMs: number, toMs: number): Promise<number> {
    const own = this.#own.get(broker);
    return own ? own.count(fromMs, toMs) : this.fallback.count(broker, fromMs, toMs);
  }

  async close(): Promise<void> {
    const own = [...this.#own.values()];
    this.#own.clear();
    await Promise.all(own.map((a) => a.close?.()));
    await this.fallback.close?.();
  }
}
