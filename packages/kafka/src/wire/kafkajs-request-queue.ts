/**
 * Stops kafkajs' 1 ms timer loop. In kafkajs 2.2.4 every connection's request queue
 * (network/requestQueue/index.js) re-arms a `setTimeout` after each check of its pending requests;
 * with nothing pending and no broker throttling, the delay it computes (`throttledUntil - now`) is
 * negative, Node runs it after 1 ms, and the check re-arms it: about 1,000 timer callbacks a
 * second per connection for as long as the client lives (kafkajs issues #1556 and #1704, not fixed
 * upstream). The Kafka broker holds several connections (producer, admin, consumer group
 * coordinator and fetch), so an idle `tributary run` with one Kafka Broker burned ~5 % of a core,
 * and under load the callbacks take turns with the work (docs/kafka.md, "Idle").
 *
 * The replacement keeps every case where a later check is needed: requests pending (in 10 ms, or
 * when the throttle ends) and a throttle still running (when it ends). Only the empty, unthrottled
 * case no longer schedules anything; a request pushed later either goes out at once or is pending,
 * and then schedules its own check; a response or a timeout runs a check itself.
 *
 * Only kafkajs 2.2.4 (the locked version; packages/kafka/test/request-queue.test.ts drives the
 * patched queue) is patched: the method lives on the class' prototype, so every client in the
 * process gets it, whenever it was created.
 */
import { createRequire } from 'node:module';

const PATCHED_VERSION = '2.2.4';
/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL (not exported). */
const CHECK_PENDING_INTERVAL_MS = 10;
const require = createRequire(import.meta.url);

/** The fields of kafkajs' RequestQueue that its scheduling reads and writes. */
interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}
type RequestQueueClass = { prototype: RequestQueueState };

let installed: boolean | undefined;

/** The kafkajs RequestQueue class (for tests); throws when kafkajs is not installed. */
export function kafkajsRequestQueue(): RequestQueueClass {
  return require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
}

/**
 * Installs the fixed scheduling once per process; true when it is in use (false for a kafkajs
 * version other than the patched one, which keeps its own code).
 */
export function stopRequestQueueTimerLoop(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  try {
    const { version } = require('kafkajs/package.json') as { version: string };
    if (version !== PATCHED_VERSION) return false;
  } catch {
    return false;
  }
  kafkajsRequestQueue().prototype.scheduleCheckPendingRequests = function (
    this: RequestQueueState,
  ): void {
    if (this.throttleCheckTimeoutId) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    let delay: number;
    if (this.pending.length > 0)
      delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_INTERVAL_MS;
    else if (untilUnthrottled > 0) delay = untilUnthrottled;
    else return; // nothing to send and nothing to wait for: the loop kafkajs would start
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  installed = true;
  return true;
}
