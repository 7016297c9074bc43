import type { DeadLetterOwner } from '@tributary/core';
import { silentLogger } from '@tributary/core';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSubscriptionDispatcher } from '../dispatcher/dispatcher.js';
import type { EventDispatcher } from '../dispatcher/dispatcher-types.js';
import { createDeliveryAgent, createHttpTarget } from '../dispatcher/http-target.js';
import { DeadLetterMetrics } from './dead-letter-metrics.js';
import { DeadLetterService } from './dead-letter-service.js';

/** Channel stores of the DeadLetterService (docs/failed-deliveries.md, "Dead-letter store"). */

const agent = createDeliveryAgent();
const sinks: HttpSink[] = [];
const dispatchers: EventDispatcher[] = [];
afterEach(async () => {
  for (const d of dispatchers.splice(0)) d.close();
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => agent.close());

const channel = { namespace: 'default', name: 'seq-kn-sequence-0' };
const owner: DeadLetterOwner = {
  kind: 'Subscription',
  namespace: 'default',
  name: 'seq-kn-sequence-0',
};
const event = (id: string) => ({
  attributes: { specversion: '1.0', id, source: '/t', type: 't' },
  data: Buffer.from(id),
});

function service(): DeadLetterService {
  return new DeadLetterService({
    logger: silentLogger,
    metrics: new DeadLetterMetrics(new Registry()),
    dispatcherOf: () => undefined,
  });
}

function dispatcherTo(s: DeadLetterService, url: string): EventDispatcher {
  const d = createSubscriptionDispatcher({
    name: owner.name,
    namespace: owner.namespace,
    subscriber: createHttpTarget(url, { dispatcher: agent, namespace: owner.namespace }),
    policy: { retry: 2, backoffPolicy: 'linear', backoffDelayMs: 5 },
    onExhausted: s.channelExhaustionHandler(channel, owner),
  });
  dispatchers.push(d);
  return d;
}

describe('DeadLetterService channel stores', () => {
  it("stores a Subscription's exhausted event apart from a broker of the same name and redrives it through the registered dispatcher", async () => {
    let ok = false;
    const sink = await startHttpSink({ script: () => ({ status: ok ? 200 : 422 }) });
    sinks.push(sink);
    const s = service();
    s.attach(channel, { kind: 'memory' }); // a broker named like the channel
    s.attachChannel(channel, { kind: 'memory' });
    const d = dispatcherTo(s, sink.url);
    const unregister = s.registerDispatcher(owner, d);
    await d.handle(event('e1'), { deliveryCount: 1 });
    expect(await s.store(channel)!.size()).toBe(0);
    const [entry] = (await s.channelStore(channel)!.list({ limit: 10 })).items;
    expect(entry!.broker).toEqual(channel);
    expect(entry!.owner).toEqual(owner);
    expect(entry!.attempts.map((a) => a.status)).toEqual([422]);
    expect(s.stores().map((x) => x.key)).toEqual([
      'default/seq-kn-sequence-0',
      'channel default/seq-kn-sequence-0',
    ]);
    expect(await s.select({ scope: 'broker' })).toEqual([]);
    expect(await s.select({ channel })).toEqual([entry!.id]);

    ok = true;
    expect(await s.redrive([entry!.id])).toEqual([{ id: entry!.id, outcome: 'delivered' }]);
    expect(await s.channelStore(channel)!.size()).toBe(0);

    ok = false;
    await d.handle(event('e3'), { deliveryCount: 1 });
    unregister();
    const [e3] = (await s.channelStore(channel)!.list({ limit: 10 })).items;
    const r = await s.redrive([e3!.id]);
    expect(r[0]!.outcome).toBe('failed');
    expect(r[0]!.error).toContain("Subscription 'default/seq-kn-sequence-0' is not running");
  });

  it('keeps a memory channel store across a re-attach (a reload) and forgets removed channels', async () => {
    const sink = await startHttpSink({ defaultResponse: { status: 422 } });
    sinks.push(sink);
    const s = service();
    s.attachChannel(channel, { kind: 'memory' });
    await dispatcherTo(s, sink.url).handle(event('e1'), { deliveryCount: 1 });
    s.attachChannel(channel, { kind: 'memory' });
    expect(await s.channelStore(channel)!.size()).toBe(1);
    await s.retainChannels([channel]);
    expect(await s.channelStore(channel)!.size()).toBe(1);
    await s.retainChannels([]);
    expect(s.channelStore(channel)).toBeUndefined();
  });
});
