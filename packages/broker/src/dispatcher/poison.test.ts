import { type CloudEvent } from '@tributary/core';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../backends/memory/memory-backend.js';
import { type DispatchOutcome, createTriggerDispatcher } from './dispatcher.js';
import { createDeliveryAgent, createHttpTarget } from './http-target.js';
import type { DeliveryPolicy } from './retry.js';

/**
 * Poison events (issue 13 item 6): an event that fails while its delivery is being prepared counts
 * as a failed attempt — retried, then dead-lettered with the reason — and is never redelivered
 * forever by the backend.
 */

const agent = createDeliveryAgent();
const sinks: HttpSink[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  await agent.close();
});

async function sink(): Promise<HttpSink> {
  const s = await startHttpSink();
  sinks.push(s);
  return s;
}

const policy: DeliveryPolicy = { retry: 1, backoffPolicy: 'linear', backoffDelayMs: 10 };

function poisonDispatcher(
  subscriber: HttpSink,
  dls: HttpSink,
  outcomes: DispatchOutcome[],
  p: DeliveryPolicy = policy,
) {
  return createTriggerDispatcher({
    name: 'poison',
    namespace: 'ns',
    filter: { match: () => 'pass' },
    subscriber: createHttpTarget(subscriber.url, { agent, namespace: 'ns' }),
    deadLetter: createHttpTarget(`${dls.url}/dls`, { agent, namespace: 'ns' }),
    policy: p,
    onOutcome: (o) => outcomes.push(o),
  });
}

const base = { specversion: '1.0', source: '/poison', type: 'dev.test.poison' };

describe('an event that cannot be encoded for delivery', () => {
  it('a lone surrogate in an attribute: retried, then dead-lettered with the reason; the backend holds nothing', async () => {
    const subscriber = await sink();
    const dls = await sink();
    const outcomes: DispatchOutcome[] = [];
    const dispatcher = poisonDispatcher(subscriber, dls, outcomes);
    // Published straight to the backend, as an event stored by an older version could be.
    const backend = createMemoryBackend({ redeliveryDelayMs: 10 });
    await backend.start();
    await backend.subscribe('poison-topic', 'poison-sub', dispatcher.handle, {
      ordered: false,
      concurrency: 1,
    });
    const event: CloudEvent = { attributes: { ...base, id: 'p-1', ext: 'a\ud800b' } };
    await backend.publish('poison-topic', [event]);
    const [dead] = await dls.waitFor(1, 20_000);
    const got = dead!.events[0]!;
    expect(got.attributes['id']).toBe('p-1');
    expect(got.attributes['ext']).toBe('a\ufffdb');
    expect(got.attributes['knativeerrorcode']).toBe('500');
    const reason = Buffer.from(got.attributes['knativeerrordata']!, 'base64').toString();
    expect(reason).toMatch(/cannot be encoded/);
    expect(reason).toContain("'ext'");
    expect(subscriber.requests).toHaveLength(0);
    for (let i = 0; i < 200 && backend.backlog('poison-topic', 'poison-sub') !== 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(backend.backlog('poison-topic', 'poison-sub')).toBe(0);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ kind: 'dead-lettered', attempts: 2, deliveryCount: 1 });
    dispatcher.close();
    await backend.close({ drainMs: 0 });
  }, 60_000);

  it('JSON data nested too deeply for structured delivery (format: json): dead-lettered, handler resolves', async () => {
    const subscriber = await sink();
    const dls = await sink();
    const outcomes: DispatchOutcome[] = [];
    const dispatcher = poisonDispatcher(subscriber, dls, outcomes, { ...policy, format: 'json' });
    const depth = 200_000;
    const event: CloudEvent = {
      attributes: { ...base, id: 'deep-1', datacontenttype: 'application/json' },
      data: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`),
    };
    await expect(dispatcher.handle(event, { deliveryCount: 1 })).resolves.toBeUndefined();
    expect(subscriber.requests).toHaveLength(0);
    expect(outcomes[0]).toMatchObject({ kind: 'dead-lettered', attempts: 2 });
    const [dead] = await dls.waitFor(1, 20_000);
    expect(dead!.events[0]!.attributes['id']).toBe('deep-1');
    const reason = Buffer.from(
      dead!.events[0]!.attributes['knativeerrordata']!,
      'base64',
    ).toString();
    expect(reason).toMatch(/could not be prepared/);
    dispatcher.close();
  }, 60_000);
});
