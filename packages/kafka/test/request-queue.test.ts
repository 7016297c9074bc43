// kafkajs' request queue with and without the fix of ../src/wire/kafkajs-request-queue.ts, driven
// directly: requests are pushed, answered and throttled as a connection does, and the timers the
// queue arms are counted. The tests run in order: the first sees kafkajs' own scheduling.
import { afterEach, describe, expect, it } from 'vitest';
import {
  kafkajsRequestQueue,
  stopRequestQueueTimerLoop,
} from '../src/wire/kafkajs-request-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttleCheckTimeoutId: unknown;
  push(request: unknown): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
  destroy(): void;
}

const queues: Queue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});

/** A queue as a connection makes one, with the calls of `checkPendingRequests` counted. */
function newQueue(maxInFlightRequests: number | null = null) {
  const RequestQueue = kafkajsRequestQueue() as unknown as new (o: object) => Queue;
  const queue = new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: '127.0.0.1:9092',
    logger: quiet,
  });
  queues.push(queue);
  const counted = { checks: 0 };
  const check = queue.checkPendingRequests.bind(queue);
  queue.checkPendingRequests = () => {
    counted.checks++;
    check();
  };
  const sent: number[] = [];
  const answered: number[] = [];
  const push = (correlationId: number) =>
    queue.push({
      entry: {
        correlationId,
        apiName: 'Produce',
        apiKey: 0,
        apiVersion: 3,
        resolve: () => answered.push(correlationId),
        reject: () => undefined,
      },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
  const answer = (correlationId: number) =>
    queue.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });
  return { queue, counted, sent, answered, push, answer };
}

describe('kafkajs request queue', () => {
  it('kafkajs 2.2.4 itself keeps re-checking an empty queue every millisecond', async () => {
    const { counted, push, answer } = newQueue();
    push(1);
    answer(1);
    const before = counted.checks;
    await sleep(100);
    // Unpatched, the empty queue checks itself ~1,000 times a second (timer granularity allows
    // fewer on a loaded machine, never a handful).
    expect(counted.checks - before).toBeGreaterThan(10);
  });

  it('after the fix an answered, idle queue arms no timer and checks nothing', async () => {
    expect(stopRequestQueueTimerLoop()).toBe(true);
    const { queue, counted, sent, answered, push, answer } = newQueue();
    push(1);
    push(2);
    expect(sent).toEqual([1, 2]);
    answer(1);
    answer(2);
    expect(answered).toEqual([1, 2]);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    const before = counted.checks;
    await sleep(100);
    expect(counted.checks - before).toBe(0);
  });

  it('a request waiting for an in-flight slot goes out when the slot frees', async () => {
    const { queue, sent, answered, push, answer } = newQueue(1);
    push(1);
    push(2);
    push(3);
    expect(sent).toEqual([1]);
    expect(queue.pending).toHaveLength(2);
    answer(1);
    expect(sent).toEqual([1, 2]);
    answer(2);
    expect(sent).toEqual([1, 2, 3]);
    answer(3);
    expect(answered).toEqual([1, 2, 3]);
    expect(queue.pending).toHaveLength(0);
    await sleep(30);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('a request pushed while the broker throttles goes out when the throttle ends', async () => {
    const { queue, sent, push, answer } = newQueue();
    push(1);
    queue.maybeThrottle(60);
    answer(1);
    push(2);
    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await sleep(30);
    expect(sent).toEqual([1]);
    await sleep(80);
    expect(sent).toEqual([1, 2]);
    answer(2);
    await sleep(20);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('a throttle with nothing pending still checks once when it ends', async () => {
    const { queue, counted, push, answer } = newQueue();
    push(1);
    queue.maybeThrottle(40);
    answer(1);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    const before = counted.checks;
    await sleep(100);
    // One check when the throttle ends (two if the timer fired within the throttle's last ms).
    expect(counted.checks - before).toBeGreaterThanOrEqual(1);
    expect(counted.checks - before).toBeLessThanOrEqual(2);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });
});
