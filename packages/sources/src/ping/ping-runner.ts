import type { Logger, Sink } from '@tributary/core';
import type { PingSource } from '../resources/ping.js';
import { pingEvent } from './ping-event.js';
import { cronFor, parseSchedule } from './schedule.js';

/** A running PingSource. */
export interface PingRunner {
  /** The next scheduled send, if any. */
  nextRun(): Date | null;
  /** Stops the schedule and waits (up to `drainMs`) for sends in flight. */
  stop(drainMs: number): Promise<void>;
}

/**
 * Schedules a PingSource: every tick builds one event ({@link pingEvent}) and hands it to `sink`
 * (which retries). A tick whose delivery finally fails is logged with the source's name and lost,
 * as in Knative (docs/knative-behaviour.md §7.3); ticks do not wait for each other.
 */
export function startPingSource(source: PingSource, sink: Sink, logger: Logger): PingRunner {
  const inFlight = new Set<Promise<void>>();
  const schedule = parseSchedule(source.spec.schedule);
  const job = cronFor(schedule, source.spec.timezone, () => {
    const event = pingEvent(source);
    const sending = sink(event).then(
      () => logger.debug({ id: event.attributes['id'] }, 'ping sent'),
      (err: Error) =>
        logger.error(
          { id: event.attributes['id'], err: err.message },
          `PingSource ${source.metadata.namespace}/${source.metadata.name}: event lost: ${err.message}`,
        ),
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  });
  return {
    nextRun: () => job.nextRun(),
    async stop(drainMs) {
      job.stop();
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((r) => (timer = setTimeout(r, drainMs))),
      ]);
      clearTimeout(timer);
    },
  };
}
