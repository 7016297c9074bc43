import type { DeadLetterOwner, Logger } from '@tributary/core';
import { silentLogger } from '@tributary/core';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTriggerDispatcher } from '../dispatcher/dispatcher.js';
import type { EventDispatcher } from '../dispatcher/dispatcher-types.js';
import { createDeliveryAgent, createHttpTarget } from '../dispatcher/http-target.js';
import { DeadLetterMetrics } from './dead-letter-metrics.js';
import { DeadLetterService } from './dead-letter-service.js';

const agent = createDeliveryAgent();
const sinks: HttpSink[] = [];
const dispatchers: EventDispatcher[] = [];
afterEach(async () => {
  for (const d of dispatchers.splice(0)) d.close();
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => agent.close());

const broker = { namespace: 'default', name: 'b' };
const owner: DeadLetterOwner = { kind: 'Trigger', namespace: 'default', name: 'orders' };
const event = (id: string) => ({
  attributes: { specversion: '1.0', id, source: '/t', type: 't' },
  data: Buffer.from(`{"id":"${id}"}`),
});

/** A service on a memory store, a dispatcher to `sink`, and the warn lines logged. */
function setup(sinkUrl: string, capacity?: number) {
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (_o: unknown, msg?: string) => warnings.push(msg ?? ''),
  } as Logger;
  const registry = new Registry();
  const running: { dispatcher?: EventDispatcher } = {};
  const service = new DeadLetterService({
    logger,
    metrics: new DeadLetterMetrics(registry),
    dispatcherOf: (o) => (o.name === owner.name ? running.dispatcher : undefined),
    memoryCapacity: capacity,
  });
  service.attach(broker, { kind: 'memory' });
  const dispatcher = createTriggerDispatcher({
    name: owner.name,
    namespace: owner.namespace,
    filter: { match: () => 'pass' },
    subscriber: createHttpTarget(sinkUrl, { dispatcher: agent, namespace: owner.namespace }),
    policy: { retry: 1, backoffPolicy: 'linear', backoffDelayMs: 5 },
    onExhausted: service.exhaustionHandler(broker, owner),
  });
  running.dispatcher = dispatcher;
  dispatchers.push(dispatcher);
  return { service, dispatcher, registry, warnings };
}

describe('DeadLetterService', () => {
  it('stores exhausted deliveries; a full memory store drops the oldest with a metric and a warning', async () => {
    const sink = await startHttpSink({ defaultResponse: { status: 500, body: 'x'.repeat(3000) } });
    sinks.push(sink);
    const { service, dispatcher, registry, warnings } = setup(sink.url, 2);
    for (const id of ['e1', 'e2', 'e3']) await dispatcher.handle(event(id), { deliveryCount: 1 });
    const page = await service.store(broker)!.list({ limit: 10 });
    expect(page.items.map((e) => e.event.attributes['id'])).toEqual(['e2', 'e3']);
    expect(page.items[0]!.attempts.map((a) => a.status)).toEqual([500, 500]);
    expect(page.items[0]!.lastResponseBody).toHaveLength(1024);
    expect(warnings).toContain('dead-letter store full: oldest entry dropped');
    const text = await registry.metrics();
    expect(text).toMatch(/tributary_deadletter_entries_dropped_total\{[^}]*\} 1/);
    expect(text).toMatch(/tributary_deadletter_entries_added_total\{[^}]*\} 3/);
    expect(text).toMatch(/tributary_deadletter_store_entries\{[^}]*\} 2/);
  });

  it('redrive: not-found, failed when the owner is not running, dead-lettered-again appends attempts', async () => {
    const sink = await startHttpSink({ defaultResponse: { status: 503 } });
    sinks.push(sink);
    const { service, dispatcher } = setup(sink.url);
    await dispatcher.handle(event('e1'), { deliveryCount: 1 });
    const [entry] = (await service.store(broker)!.list({ limit: 10 })).items;
    const orphan = { ...entry!, id: 'orphan', owner: { ...owner, name: 'gone' } };
    await service.store(broker)!.put(orphan);
    const results = await service.redrive([entry!.id, 'orphan', 'nope']);
    expect(results.map((r) => r.outcome)).toEqual(['dead-lettered-again', 'failed', 'not-found']);
    expect(results[1]!.error).toContain("'default/gone' is not running");
    expect((await service.get(entry!.id))!.entry.attempts).toHaveLength(4);
    expect(await service.purge(await service.select({ owner: 'gone' }))).toBe(1);
    expect(await service.store(broker)!.size()).toBe(1);
  });

  it('rejecting store keeps the event with the backend (the handler rejects)', async () => {
    const sink = await startHttpSink({ defaultResponse: { status: 400 } });
    sinks.push(sink);
    const { service, dispatcher } = setup(sink.url);
    await service.detach(broker); // no store for the broker any more
    await expect(dispatcher.handle(event('e1'), { deliveryCount: 1 })).rejects.toThrow(
      /dead-letter store refused/,
    );
  });
});
