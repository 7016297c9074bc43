import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tributary/core';
import { type FunctionServer, NonRetryableError, serve } from '@tributary/function';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  type TributaryProcess,
  startTributary,
  writeManifests,
} from './support/tributary-process.js';

// A `serve`d function behind a real `tributary run`: replies in binary and structured delivery
// format, NonRetryableError → dead-letter sink without retries, a 500 → retried until it succeeds.
let fn: FunctionServer;
let sink: HttpSink;
let tributary: TributaryProcess;
const attempts = new Map<string, number>();

beforeAll(async () => {
  sink = await startHttpSink();
  fn = await serve(
    (event) => {
      const n = (attempts.get(event.id) ?? 0) + 1;
      attempts.set(event.id, n);
      const data = event.data as { mode?: string };
      if (data.mode === 'refuse')
        throw new NonRetryableError('cannot process this order', { status: 422 });
      if (data.mode === 'flaky' && n < 3) throw new Error(`attempt ${n} failed`);
      return { type: 'served.reply', data: { id: event.id, attempt: n, via: event.type } };
    },
    { port: 0, logger: silentLogger, handleSignals: false },
  );
  const trigger = (name: string, type: string, extra: string[] = []) => [
    'apiVersion: eventing.knative.dev/v1',
    'kind: Trigger',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  broker: default',
    '  filter:',
    '    attributes:',
    `      type: ${type}`,
    '  subscriber:',
    '    ref:',
    '      apiVersion: tributary.dev/v1alpha1',
    '      kind: Function',
    '      name: served',
    '  delivery:',
    '    retry: 5',
    '    backoffPolicy: linear',
    '    backoffDelay: PT0.01S',
    '    deadLetterSink:',
    `      uri: ${sink.url}/dls`,
    ...extra,
    '---',
  ];
  const dir = writeManifests({
    'all.yaml': [
      'apiVersion: eventing.knative.dev/v1',
      'kind: Broker',
      'metadata:',
      '  name: default',
      '---',
      'apiVersion: tributary.dev/v1alpha1',
      'kind: Function',
      'metadata:',
      '  name: served',
      'spec:',
      `  url: ${fn.url}/`,
      '---',
      ...trigger('binary', 'order.binary'),
      ...trigger('structured', 'order.structured', ['    format: json']),
      'apiVersion: eventing.knative.dev/v1',
      'kind: Trigger',
      'metadata:',
      '  name: replies',
      'spec:',
      '  broker: default',
      '  filter:',
      '    attributes:',
      '      type: served.reply',
      '  subscriber:',
      `    uri: ${sink.url}/replies`,
      '',
    ].join('\n'),
  });
  tributary = await startTributary(dir);
});

afterAll(async () => {
  await tributary?.stop();
  await fn?.close();
  await sink?.close();
});

async function publish(type: string, id: string, data: unknown): Promise<number> {
  const res = await fetch(`${tributary.baseUrl}/default/default`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e',
      'ce-type': type,
      'content-type': 'application/json',
    },
    body: JSON.stringify(data),
  });
  return res.status;
}

const replyFor = (id: string) =>
  sink.waitForEvent(
    (e) =>
      e.attributes['type'] === 'served.reply' &&
      JSON.parse(Buffer.from(e.data!).toString()).id === id,
    15_000,
  );

describe('serve behind tributary run', () => {
  it('replies reach the broker for binary and structured (format: json) deliveries', async () => {
    expect(await publish('order.binary', 'b1', {})).toBe(202);
    expect(await publish('order.structured', 's1', {})).toBe(202);
    const b = await replyFor('b1');
    const s = await replyFor('s1');
    expect(JSON.parse(Buffer.from(b.data!).toString())).toEqual({
      id: 'b1',
      attempt: 1,
      via: 'order.binary',
    });
    expect(JSON.parse(Buffer.from(s.data!).toString())).toEqual({
      id: 's1',
      attempt: 1,
      via: 'order.structured',
    });
  });

  it('a thrown error (500) is retried until the function succeeds', async () => {
    await publish('order.binary', 'flaky-1', { mode: 'flaky' });
    const r = await replyFor('flaky-1');
    expect(JSON.parse(Buffer.from(r.data!).toString())).toMatchObject({ attempt: 3 });
  });

  it('NonRetryableError goes to the dead-letter sink after one attempt, with its status', async () => {
    await publish('order.binary', 'refuse-1', { mode: 'refuse' });
    const dead = await sink.waitForEvent((e) => e.attributes['id'] === 'refuse-1', 15_000);
    expect(dead.attributes['knativeerrorcode']).toBe('422');
    expect(attempts.get('refuse-1')).toBe(1);
    const req = sink.requests.find((r) => r.events.some((e) => e.attributes['id'] === 'refuse-1'));
    expect(req?.url).toBe('/dls');
  });
});
